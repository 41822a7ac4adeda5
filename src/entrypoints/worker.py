"""``commerce worker``: the event consumers, the outbox relay and the reservation sweeper.

Any number of workers may run side by side. Consumers compete on each consumer's queue and the
inbox makes a redelivery a no-op; the relay claims outbox rows with SKIP LOCKED, so each row is
published once; the sweeper's transitions are guarded by the order's version, so two sweeps
release a reservation once. SIGTERM or SIGINT stops it cleanly: consumption stops, in-flight
messages are not acked (the broker redelivers them), the connections close.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from aio_pika.abc import AbstractRobustConnection
from aio_pika.exceptions import AMQPError

from adapters.rabbitmq.claims import LockedOutbox, SqlOutboxClaims
from adapters.rabbitmq.connection import connect
from adapters.rabbitmq.consumers import Consumers, EventHandler, bus_consumer
from adapters.rabbitmq.publisher import ConfirmingPublisher
from adapters.rabbitmq.relay import ClaimingOutbox, OutboxRelay
from adapters.rabbitmq.topology import Topology, subscriptions, supports_quorum
from adapters.redis.outcomes import OUTCOME_EVENTS
from commerce_core.shared.messagebus import MessageBus
from entrypoints.container import Container, build_container
from entrypoints.distributed_settings import DistributedSettings
from entrypoints.settings import Settings, SettingsError
from entrypoints.workers import run_inbox_pruning, run_notification_retries, run_sweeper

log = logging.getLogger(__name__)

OUTCOMES_CONSUMER = "outcomes.push"


def _report_end(task: asyncio.Task[None]) -> None:
    """A background loop must run until the worker stops: say so loudly if one ends."""
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("worker task %s died", task.get_name(), exc_info=error)
    else:
        log.error("worker task %s ended", task.get_name())


def claiming_outbox(container: Container) -> ClaimingOutbox:
    if "database" in container.providers:
        return SqlOutboxClaims(container.database())
    return LockedOutbox(container.outbox())


class Worker:
    def __init__(self, container: Container, extra: DistributedSettings | None = None) -> None:
        settings = container.settings()
        if not settings.amqp_url:
            raise SettingsError(
                "commerce worker needs COMMERCE_AMQP_URL (without a broker, `commerce serve` "
                "runs the workers in process)"
            )
        self._container = container
        self._url = settings.amqp_url
        self._extra = extra or DistributedSettings.from_env()
        self.bus: MessageBus = container.bus()
        self.relay: OutboxRelay | None = None
        self.consumers: Consumers | None = None
        self._connection: AbstractRobustConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self._container.settings()
        self._connection = await self._connect()
        topology = Topology(
            self._extra.amqp_prefix,
            max_deliveries=self._extra.max_deliveries,
            quorum=supports_quorum(self._connection),
        )
        consume_channel = await self._connection.channel(publisher_confirms=True)
        await consume_channel.set_qos(prefetch_count=self._extra.prefetch)
        routes = subscriptions(self.bus)
        handlers: dict[str, EventHandler] = {c: bus_consumer(self.bus, c) for c in routes}
        if "outcome_publisher" in self._container.providers:
            publisher = self._container.outcome_publisher()
            routes[OUTCOMES_CONSUMER] = [e.routing_key() for e in OUTCOME_EVENTS]
            handlers[OUTCOMES_CONSUMER] = publisher.publish
        queues = await topology.declare(consume_channel, routes)

        publish_channel = await self._connection.channel(publisher_confirms=True)
        exchange = await topology.declare_exchanges(publish_channel)
        self.relay = OutboxRelay(
            claiming_outbox(self._container), ConfirmingPublisher(publish_channel, exchange)
        )
        self.consumers = Consumers(consume_channel, topology)
        await self.consumers.start(queues, handlers)
        self._tasks = [
            asyncio.create_task(self.relay.run(), name="outbox-relay"),
            asyncio.create_task(
                run_sweeper(self.bus, interval_s=settings.sweep_interval_s), name="sweeper"
            ),
            asyncio.create_task(
                run_notification_retries(
                    self.bus, interval_s=settings.notification_retry_interval_s
                ),
                name="notification-retries",
            ),
            asyncio.create_task(
                run_inbox_pruning(
                    self.bus,
                    keep_days=settings.inbox_retention_days,
                    interval_s=settings.inbox_prune_interval_s,
                ),
                name="inbox-pruning",
            ),
        ]
        for task in self._tasks:
            task.add_done_callback(_report_end)
        log.info("worker started: %d consumer queues on %s", len(queues), topology.prefix)

    async def _connect(self, max_backoff_s: float = 5.0) -> AbstractRobustConnection:
        """Waits for the broker: a worker started while it is away comes up when it returns."""
        backoff = 0.2
        while True:
            try:
                return await connect(self._url, name="commerce-worker")
            except (OSError, ConnectionError, AMQPError) as error:
                log.warning("broker unreachable (%s); retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, max_backoff_s)

    async def stop(self) -> None:
        if self.consumers is not None:
            await self.consumers.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()


async def run_worker(container: Container, *, stop: asyncio.Event | None = None) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    init = container.init_resources()
    if init is not None:
        await init
    worker = Worker(container)
    try:
        await worker.start()
        await stop.wait()
    finally:
        await worker.stop()
        shutdown = container.shutdown_resources()
        if shutdown is not None:
            await shutdown


def main() -> None:
    """``commerce worker``: logs to stderr, stops on SIGTERM or SIGINT."""

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = Settings.from_env()
        if not settings.amqp_url:  # before the container opens (or migrates) anything
            raise SettingsError(
                "commerce worker needs COMMERCE_AMQP_URL (without a broker, `commerce serve` "
                "runs the workers in process)"
            )
        container = build_container(settings)
        asyncio.run(run_worker(container))
    except SettingsError as error:
        print(error, file=sys.stderr)
        raise SystemExit(1) from None
    except (OSError, ConnectionError) as error:
        print(f"cannot start the worker: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
