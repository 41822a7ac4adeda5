import asyncio

import pytest
from attrs import frozen

from adapters.memory.outbox import MemoryOutbox
from adapters.memory.store import MemoryStore
from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.system import ManualClock
from commerce_core.catalog.events import ProductCreated, ProductUpdated
from commerce_core.catalog.model import Product
from commerce_core.shared.errors import ConcurrencyConflict, TransientError
from commerce_core.shared.events import Command, Event
from commerce_core.shared.messagebus import MessageBus, UnknownMessage
from commerce_core.shared.money import Money
from entrypoints.workers import relay_once


@frozen
class CreateLamp(Command):
    product_id: str
    sku: str = "LAMP-1"


@frozen
class RenameLamp(Command):
    product_id: str
    name: str


@frozen
class Unregistered(Command):
    pass


@frozen(kw_only=True)
class Pinged(Event):
    n: int


class Harness:
    """A bus on the memory adapters with small handlers whose behaviour a test can steer."""

    def __init__(self, **bus_options) -> None:
        self.store = MemoryStore()
        self.outbox = MemoryOutbox(self.store)
        self.clock = ManualClock()
        self.calls: list[str] = []
        self.fail_next: dict[str, list[Exception]] = {}
        self.race_next_rename = False  # another transaction renames the lamp mid-handler
        self.extra_event_handlers = bus_options.pop("event_handlers", {})
        self.units_made = 0
        self.bus = MessageBus(
            uow_factory=self._new_unit_of_work,
            command_handlers={CreateLamp: self.create_lamp, RenameLamp: self.rename_lamp},
            event_handlers={
                ProductCreated: [self.mark_created, self.count_created],
                **self.extra_event_handlers,
            },
            dependencies={"clock": self.clock},
            outbox=self.outbox,
            **bus_options,
        )

    def _new_unit_of_work(self) -> MemoryUnitOfWork:
        self.units_made += 1
        return MemoryUnitOfWork(self.store)

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        failures = self.fail_next.get(name)
        if failures:
            raise failures.pop(0)

    # The bus passes what the parameters name, in order: the message, ``uow``, ``clock``.
    async def create_lamp(self, command: CreateLamp, uow, clock) -> str:
        self._maybe_fail("create_lamp")
        async with uow:
            uow.products.add(Product.create(
                product_id=command.product_id, sku=command.sku, name="Lamp", description="",
                category="home", price=Money.of("5", "EUR"), initial_stock=1,
                low_stock_threshold=0, now=clock.now(),
            ))
            await uow.commit()
        self.calls.append("create_lamp done")
        return command.product_id

    async def rename_lamp(self, command: RenameLamp, uow, clock) -> str:
        self._maybe_fail("rename_lamp")
        async with uow:
            product = await uow.products.get(command.product_id)
            if self.race_next_rename:
                self.race_next_rename = False
                await self._rename_behind_its_back(command.product_id)
            product.update(now=clock.now(), name=product.name + command.name)
            await uow.commit()
        return product.name

    async def _rename_behind_its_back(self, product_id: str) -> None:
        async with MemoryUnitOfWork(self.store) as other:
            (await other.products.get(product_id)).update(now=self.clock.now(), name="Other")
            await other.commit()

    async def mark_created(self, event: ProductCreated, uow, clock) -> None:
        """Appends a mark to the product's description; a second run would append another."""
        self._maybe_fail("mark_created")
        async with uow:
            product = await uow.products.get(event.product_id)
            product.update(now=clock.now(), description=product.description + "*")
            await uow.commit()

    async def count_created(self, event: ProductCreated) -> None:
        self._maybe_fail("count_created")

    def product(self, product_id: str = "p1") -> Product:
        return self.store.products[product_id]


@pytest.fixture
def harness():
    return Harness()


async def test_a_message_without_a_handler_is_unknown_message(harness):
    with pytest.raises(UnknownMessage, match="Unregistered"):
        await harness.bus.handle(Unregistered())


async def test_a_command_returns_its_handlers_result(harness):
    assert await harness.bus.handle(CreateLamp("p1")) == "p1"
    assert harness.product().name == "Lamp"


async def test_events_raised_by_the_commit_are_dispatched_after_the_command(harness):
    await harness.bus.handle(CreateLamp("p1"))

    assert harness.calls == ["create_lamp", "create_lamp done", "mark_created", "count_created"]
    assert harness.product().description == "*"
    # ProductUpdated (from mark_created) was dispatched too, and every event was delivered.
    assert await harness.outbox.backlog() == 0


@pytest.mark.parametrize("error", [ConcurrencyConflict("lost a race"), TransientError("away")])
async def test_a_handler_that_fails_transiently_once_is_retried_and_succeeds(harness, error):
    harness.fail_next["create_lamp"] = [error]

    assert await harness.bus.handle(CreateLamp("p1")) == "p1"

    assert harness.calls.count("create_lamp") == 2
    assert harness.product().name == "Lamp"


async def test_a_stale_read_is_retried_with_fresh_state(harness):
    await harness.bus.handle(CreateLamp("p1"))
    harness.race_next_rename = True

    assert await harness.bus.handle(RenameLamp("p1", "!")) == "Other!"

    assert harness.calls.count("rename_lamp") == 2
    assert harness.product().name == "Other!"


async def test_retries_are_bounded():
    harness = Harness(max_attempts=3)
    harness.fail_next["create_lamp"] = [ConcurrencyConflict() for _ in range(3)]

    with pytest.raises(ConcurrencyConflict):
        await harness.bus.handle(CreateLamp("p1"))
    assert harness.calls.count("create_lamp") == 3
    assert harness.store.products == {}


async def test_other_errors_are_not_retried(harness):
    harness.fail_next["create_lamp"] = [ValueError("a bug")]

    with pytest.raises(ValueError, match="a bug"):
        await harness.bus.handle(CreateLamp("p1"))
    assert harness.calls == ["create_lamp"]


async def test_a_failed_event_handler_leaves_the_event_for_the_relay(harness):
    harness.fail_next["mark_created"] = [RuntimeError("down")]

    await harness.bus.handle(CreateLamp("p1"))  # the command itself succeeds

    assert harness.product().description == ""
    assert await harness.outbox.backlog() == 1
    [waiting] = await harness.outbox.pending(limit=10, min_age_s=0)
    assert isinstance(waiting, ProductCreated)

    assert await relay_once(harness.outbox, harness.bus, min_age_s=0) == 1

    assert harness.product().description == "*"
    assert await harness.outbox.backlog() == 0
    assert harness.calls.count("mark_created") == 2


async def test_the_relay_skips_the_handlers_that_had_succeeded(harness):
    harness.fail_next["count_created"] = [RuntimeError("down")]
    await harness.bus.handle(CreateLamp("p1"))
    assert harness.product().description == "*"
    version = harness.product().version

    await relay_once(harness.outbox, harness.bus, min_age_s=0)

    # mark_created's inbox row refused the redelivery at `async with uow`: still one mark.
    assert harness.calls.count("count_created") == 2
    assert (harness.product().description, harness.product().version) == ("*", version)
    assert await harness.outbox.backlog() == 0


async def test_relay_once_leaves_young_rows_to_the_fast_path(harness):
    harness.fail_next["mark_created"] = [RuntimeError("down")]
    await harness.bus.handle(CreateLamp("p1"))

    assert await relay_once(harness.outbox, harness.bus, min_age_s=3600) == 0
    assert await harness.outbox.backlog() == 1


async def test_an_event_that_keeps_failing_stays_in_the_outbox(harness):
    harness.fail_next["mark_created"] = [RuntimeError("down"), RuntimeError("still down")]
    await harness.bus.handle(CreateLamp("p1"))

    await relay_once(harness.outbox, harness.bus, min_age_s=0)

    assert await harness.outbox.backlog() == 1
    assert harness.product().description == ""


async def test_the_same_event_dispatched_twice_changes_nothing_the_second_time(harness):
    seen: list[Event] = []
    harness.bus.observe(seen.append)
    await harness.bus.handle(CreateLamp("p1"))
    [created] = [e for e in seen if isinstance(e, ProductCreated)]
    before = (harness.product().description, harness.product().version, len(harness.store.inbox))

    await harness.bus.dispatch([created])
    await harness.bus.dispatch([created])

    after = (harness.product().description, harness.product().version, len(harness.store.inbox))
    assert after == before == ("*", 2, 1)


async def test_observers_see_every_delivered_event_until_they_unsubscribe(harness):
    seen: list[type] = []
    unsubscribe = harness.bus.observe(lambda e: seen.append(type(e)))

    await harness.bus.handle(CreateLamp("p1"))
    assert seen == [ProductCreated, ProductUpdated]

    unsubscribe()
    await harness.bus.handle(CreateLamp("p2", sku="LAMP-2"))
    assert seen == [ProductCreated, ProductUpdated]


async def test_observers_see_events_that_no_handler_serves(harness, clock):
    seen: list[Event] = []
    harness.bus.observe(seen.append)
    ping = Pinged(occurred_at=clock.now(), correlation_id="c", n=1)

    await harness.bus.dispatch([ping])

    assert seen == [ping]


async def test_events_raised_by_event_handlers_are_dispatched_breadth_first(clock):
    order: list[str] = []

    async def first(event: Pinged) -> None:
        order.append(f"first {event.n}")

    async def second(event: Pinged) -> None:
        order.append(f"second {event.n}")

    harness = Harness(event_handlers={Pinged: [first, second]})
    harness.bus.observe(lambda e: order.append(f"seen {type(e).__name__}"))

    await harness.bus.dispatch([
        Pinged(occurred_at=clock.now(), correlation_id="c", n=1),
        Pinged(occurred_at=clock.now(), correlation_id="c", n=2),
    ])

    assert order == ["first 1", "second 1", "seen Pinged", "first 2", "second 2", "seen Pinged"]


async def test_events_of_a_failed_command_that_had_committed_still_flow(harness):
    async def create_then_fail(command: CreateLamp, uow, clock) -> None:
        await harness.create_lamp(command, uow, clock)
        raise RuntimeError("after the commit")

    bus = MessageBus(
        uow_factory=lambda: MemoryUnitOfWork(harness.store),
        command_handlers={CreateLamp: create_then_fail},
        event_handlers={ProductCreated: [harness.mark_created]},
        dependencies={"clock": harness.clock},
        outbox=harness.outbox,
    )

    with pytest.raises(RuntimeError):
        await bus.handle(CreateLamp("p1"))
    assert harness.product().description == "*"
    assert await harness.outbox.backlog() == 0


async def test_without_inline_dispatch_events_wait_for_the_relay():
    harness = Harness(dispatch_inline=False)

    await harness.bus.handle(CreateLamp("p1"))
    assert harness.calls == ["create_lamp", "create_lamp done"]
    assert await harness.outbox.backlog() == 1

    await relay_once(harness.outbox, harness.bus, min_age_s=0)
    assert harness.product().description == "*"
    assert await harness.outbox.backlog() == 0


def test_a_handler_whose_dependency_is_missing_is_refused_at_construction():
    async def needs_gateway(command: CreateLamp, gateway) -> None:
        return None

    with pytest.raises(TypeError, match="gateway"):
        MessageBus(uow_factory=lambda: None, command_handlers={CreateLamp: needs_gateway},
                   event_handlers={}, dependencies={})


@pytest.mark.parametrize("signature", ["uow_after_a_dependency", "keyword_only"])
def test_a_handler_the_bus_cannot_call_by_position_is_refused_at_construction(signature):
    async def uow_after_a_dependency(command: CreateLamp, clock, uow) -> None:
        return None

    async def keyword_only(command: CreateLamp, *, clock) -> None:
        return None

    handler = {"uow_after_a_dependency": uow_after_a_dependency, "keyword_only": keyword_only}
    with pytest.raises(TypeError, match="plain parameters"):
        MessageBus(uow_factory=lambda: None, command_handlers={CreateLamp: handler[signature]},
                   event_handlers={}, dependencies={"clock": ManualClock()})


def test_handlers_of_names_the_consumers(harness):
    consumers = harness.bus.handlers_of(ProductCreated)

    assert [c.rsplit(".", 1)[-1] for c in consumers] == ["mark_created", "count_created"]
    assert harness.bus.handlers_of(Pinged) == []


# -- units of work reused --------------------------------------------------------------------


async def test_handler_calls_one_after_another_share_one_unit_of_work(harness):
    await harness.bus.handle(CreateLamp("p1"))  # the command, then mark_created
    await harness.bus.handle(RenameLamp("p1", "!"))

    assert harness.units_made == 1
    assert (harness.product().name, harness.product().description) == ("Lamp!", "*")


async def test_a_command_after_a_refused_redelivery_commits_without_the_events_inbox_row(harness):
    seen: list[Event] = []
    harness.bus.observe(seen.append)
    await harness.bus.handle(CreateLamp("p1"))
    [created] = [e for e in seen if isinstance(e, ProductCreated)]
    await harness.bus.dispatch([created])  # mark_created's unit of work is refused on entry
    inbox = set(harness.store.inbox)

    assert await harness.bus.handle(RenameLamp("p1", "!")) == "Lamp!"

    assert harness.store.inbox == inbox  # a command records no message
    assert harness.units_made == 1


async def test_a_unit_of_work_that_declines_reset_is_built_anew_for_every_call(harness):
    class NotReusable(MemoryUnitOfWork):  # as the SQL unit of work, which keeps the base's reset
        def reset(self) -> bool:
            return False

    made: list[MemoryUnitOfWork] = []
    bus = MessageBus(
        uow_factory=lambda: made.append(NotReusable(harness.store)) or made[-1],
        command_handlers={CreateLamp: harness.create_lamp, RenameLamp: harness.rename_lamp},
        event_handlers={ProductCreated: [harness.mark_created]},
        dependencies={"clock": harness.clock},
    )

    await bus.handle(CreateLamp("p1"))  # the command, then mark_created
    await bus.handle(RenameLamp("p1", "!"))

    assert len(made) == len({id(u) for u in made}) == 3
    assert (harness.product().name, harness.product().description) == ("Lamp!", "*")


async def test_a_unit_of_work_whose_handler_failed_is_not_reused(harness):
    harness.fail_next["mark_created"] = [RuntimeError("down")]
    await harness.bus.handle(CreateLamp("p1"))  # the command's unit of work, then a failure
    assert harness.units_made == 1

    await harness.bus.handle(RenameLamp("p1", "!"))

    assert harness.units_made == 2
    assert harness.product().name == "Lamp!"


async def test_handler_calls_in_flight_together_each_have_a_unit_of_work_of_their_own(harness):
    await harness.bus.handle(CreateLamp("p1"))
    in_use: set[int] = set()
    overlapped = []
    gate = asyncio.Event()

    async def slow_rename(command: RenameLamp, uow, clock) -> str:
        in_use.add(id(uow))
        overlapped.append(len(in_use))
        async with uow:
            product = await uow.products.get(command.product_id)
            await gate.wait()  # both calls are inside their transactions here
            product.update(now=clock.now(), name=product.name + command.name)
            await uow.commit()
        in_use.discard(id(uow))
        return product.name

    bus = MessageBus(
        uow_factory=harness._new_unit_of_work, command_handlers={RenameLamp: slow_rename},
        event_handlers={}, dependencies={"clock": harness.clock},
    )
    renames = asyncio.gather(*(bus.handle(RenameLamp("p1", n)) for n in ("1", "2")))
    await asyncio.sleep(0)
    gate.set()

    # The second commit finds the lamp changed, and its retry starts from the stored state.
    assert sorted(await renames) == ["Lamp1", "Lamp12"]
    assert max(overlapped) == 2
    assert harness.product().name == "Lamp12"
