"""RabbitMQ: topology, the relay's confirmed publishing, consuming with inbox deduplication, and
a poison message dead-lettered after its bounded deliveries while the others flow, then replayed
by ``commerce dlq replay``."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from attrs import define, field

from adapters.memory.outbox import MemoryOutbox
from adapters.memory.store import MemoryStore, OutboxRow
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.rabbitmq.claims import LockedOutbox
from adapters.rabbitmq.consumers import Consumers, bus_consumer
from adapters.rabbitmq.dead_letters import DeadLetters
from adapters.rabbitmq.publisher import ConfirmingPublisher, OutgoingMessage
from adapters.rabbitmq.relay import OutboxRelay
from adapters.rabbitmq.topology import Topology, subscriptions, supports_quorum
from commerce_core.ordering.events import OrderCancelled, OrderCreated, OrderedItem
from commerce_core.shared.events import Event
from commerce_core.shared.messagebus import MessageBus
from commerce_core.shared.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration

MAX_DELIVERIES = 3
AMQP_URL = os.environ.get("COMMERCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@define
class Ledger:
    """What the test handlers did, and whether the poison still kills them."""

    handled: list[tuple[str, str]] = field(factory=list)
    poison_kills: bool = True


async def reserve(event: OrderCreated, uow: UnitOfWork, ledger: Ledger) -> None:
    async with uow:
        if event.correlation_id == "poison" and ledger.poison_kills:
            raise RuntimeError("this message always fails")
        ledger.handled.append(("reserve", event.message_id))
        await uow.commit()


async def charge(event: OrderCreated, uow: UnitOfWork, ledger: Ledger) -> None:
    async with uow:
        ledger.handled.append(("charge", event.message_id))
        await uow.commit()


def an_order(correlation_id: str = "o1") -> OrderCreated:
    return OrderCreated(
        occurred_at=datetime.now(UTC),
        correlation_id=correlation_id,
        order_id=correlation_id,
        user_id="u1",
        items=(OrderedItem("p1", 2, Decimal("9.99")),),
        total=Decimal("19.98"),
        currency="EUR",
        payment_method="tok_visa",
    )


@define
class Rig:
    bus: MessageBus
    ledger: Ledger
    store: MemoryStore
    topology: Topology
    channel: AbstractChannel
    queues: dict[str, Any]
    publisher: ConfirmingPublisher
    consumers: Consumers


@pytest.fixture
async def rig(amqp_connection: AbstractRobustConnection, amqp_prefix: str) -> AsyncIterator[Rig]:
    store, ledger = MemoryStore(), Ledger()
    bus = MessageBus(
        uow_factory=lambda: MemoryUnitOfWork(store),
        command_handlers={},
        event_handlers={OrderCreated: [reserve, charge]},
        dependencies={"ledger": ledger},
        dispatch_inline=False,
    )
    topology = Topology(
        amqp_prefix, max_deliveries=MAX_DELIVERIES, quorum=supports_quorum(amqp_connection)
    )
    channel = await amqp_connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=16)
    queues = await topology.declare(channel, subscriptions(bus))
    exchange = await topology.declare_exchanges(channel)
    consumers = Consumers(channel, topology, retry_delay_s=0.01, max_retry_delay_s=0.05)
    yield Rig(bus, ledger, store, topology, channel, queues,
              ConfirmingPublisher(channel, exchange), consumers)
    await consumers.stop()
    await topology.delete(channel, [q.name for q in queues.values()])
    await channel.close()


async def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def start_consuming(rig: Rig) -> None:
    await rig.consumers.start(
        rig.queues, {name: bus_consumer(rig.bus, name) for name in rig.queues}
    )


async def test_topology_declares_one_durable_queue_per_consumer_bound_by_routing_key(
    rig: Rig,
) -> None:
    assert set(rig.queues) == {
        f"{__name__}.reserve".removeprefix("commerce_core."),
        f"{__name__}.charge".removeprefix("commerce_core."),
    }
    for consumer, queue in rig.queues.items():
        assert queue.name == f"{rig.topology.prefix}.q.{consumer}"
        assert queue.durable
    # An event of each bound routing key reaches both queues; an unbound one reaches neither.
    confirmed = await rig.publisher.publish_batch(
        [OutgoingMessage.of(an_order()), OutgoingMessage.of(
            OrderCancelled(occurred_at=datetime.now(UTC), correlation_id="o1", order_id="o1",
                           user_id="u1", reason="x", previous_status="PENDING"))]
    )
    assert len(confirmed) == 2  # the unconsumed one went to the alternate exchange, not lost
    for queue in rig.queues.values():
        await eventually_async(lambda name=queue.name: depth(rig.channel, name), 1)
    await eventually_async(lambda: depth(rig.channel, rig.topology.unrouted_queue), 1)


async def test_quorum_queues_with_a_delivery_limit_where_the_broker_has_them(
    rig: Rig, amqp_connection: AbstractRobustConnection
) -> None:
    assert rig.topology.quorum is supports_quorum(amqp_connection)
    if rig.topology.quorum:
        # Redeclaring with other arguments fails: the queue holds exactly these.
        channel = await amqp_connection.channel()
        name = next(iter(rig.queues.values())).name
        with pytest.raises(Exception, match="PRECONDITION_FAILED"):
            await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "classic"})


async def test_the_relay_publishes_with_confirms_and_empties_the_outbox(rig: Rig) -> None:
    events: list[Event] = [an_order(f"o{i}") for i in range(250)]
    for event in events:
        rig.store.outbox[event.message_id] = OutboxRow(event, time.monotonic())
    outbox = MemoryOutbox(rig.store)
    relay = OutboxRelay(LockedOutbox(outbox), rig.publisher, batch_size=100)
    results = [await relay.relay_once() for _ in range(4)]
    assert results == [(100, 0), (100, 0), (50, 0), (0, 0)]
    assert await outbox.backlog() == 0
    await start_consuming(rig)
    await eventually(lambda: len(rig.ledger.handled) == 500)
    assert {m for _, m in rig.ledger.handled} == {e.message_id for e in events}


async def test_a_relay_whose_broker_is_away_keeps_the_rows(
    rig: Rig, amqp_connection: AbstractRobustConnection
) -> None:
    event = an_order()
    rig.store.outbox[event.message_id] = OutboxRow(event, time.monotonic())
    outbox = MemoryOutbox(rig.store)
    closed = await amqp_connection.channel(publisher_confirms=True)
    exchange = await rig.topology.declare_exchanges(closed)
    await closed.close()
    relay = OutboxRelay(LockedOutbox(outbox), ConfirmingPublisher(closed, exchange))
    assert await relay.relay_once() == (0, 1)
    assert await outbox.backlog() == 1


async def test_a_message_delivered_twice_is_handled_once(rig: Rig) -> None:
    event = an_order()
    twice = [OutgoingMessage.of(event)] * 2
    assert len(await rig.publisher.publish_batch(twice)) == 2
    await start_consuming(rig)
    await eventually(lambda: rig.consumers.handled == 4)  # both copies acked on both queues
    assert sorted(rig.ledger.handled) == [("charge", event.message_id),
                                          ("reserve", event.message_id)]
    for queue in rig.queues.values():
        await eventually_async(lambda name=queue.name: depth(rig.channel, name), 0)


async def test_a_poison_message_is_dead_lettered_the_others_flow_and_replay_puts_it_back(
    rig: Rig, amqp_prefix: str
) -> None:
    poison, good = an_order("poison"), [an_order(f"good{i}") for i in range(20)]
    await rig.publisher.publish_batch([OutgoingMessage.of(e) for e in [poison, *good]])
    await start_consuming(rig)
    dead_letters = DeadLetters(rig.channel, rig.topology)
    await eventually(lambda: len(rig.ledger.handled) == 41)  # 20 + 20 + the poison's charge
    await eventually_async(lambda: dead_letters.count(), 1)
    assert ("reserve", poison.message_id) not in rig.ledger.handled

    [letter] = await dead_letters.list()
    assert letter.message_id == poison.message_id
    assert letter.event == "OrderCreated"
    assert letter.queue == rig.queues[f"{__name__}.reserve"].name
    await eventually_async(lambda: dead_letters.count(), 1)  # listing leaves it there

    rig.ledger.poison_kills = False  # the bug is fixed; the operator replays
    env = {**os.environ, "COMMERCE_AMQP_URL": AMQP_URL, "COMMERCE_AMQP_PREFIX": amqp_prefix}
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entrypoints.ops_cli", "dlq", "replay", "--all", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await cli.communicate()
    assert cli.returncode == 0, err.decode()
    assert poison.message_id in out.decode()
    await eventually(lambda: ("reserve", poison.message_id) in rig.ledger.handled)
    assert await dead_letters.count() == 0
    # The other consumer of that event was not bothered again.
    assert rig.ledger.handled.count(("charge", poison.message_id)) == 1


async def eventually_async(read: Callable[[], Any], expected: object,
                           timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (value := await read()) != expected:
        if time.monotonic() > deadline:
            raise AssertionError(f"{value!r} != {expected!r}")
        await asyncio.sleep(0.05)


async def depth(channel: AbstractChannel, queue_name: str) -> int:
    """Messages ready in the queue, counted by taking them and putting them back (a quorum
    queue's declared count lags by seconds)."""
    queue = await channel.get_queue(queue_name, ensure=False)
    taken = []
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        taken.append(message)
    for message in taken:
        await message.nack(requeue=True)
    return len(taken)
