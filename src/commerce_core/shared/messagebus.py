"""The message bus: one handler per command or query, any number per event.

Handlers are plain async functions whose parameters name their dependencies; the bus binds them
once at start. ``uow`` is the call's own unit of work: a new one, or one that an earlier call
finished with and ``reset`` (a handler must not keep it past its return). Events that a commit
produced are dispatched after it; each event handler runs in its own unit of work bound to the
message, so the inbox makes a second delivery a no-op. A handler that loses an
optimistic-concurrency race is retried with fresh state.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from commerce_core.shared.errors import ConcurrencyConflict, TransientError
from commerce_core.shared.events import Event
from commerce_core.shared.unit_of_work import AlreadyProcessed, UnitOfWork

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]
Observer = Callable[[Event], None]
# Reusable units of work kept for later handler calls: enough for many concurrent sagas, and a
# bound on what a burst of them leaves behind.
MAX_SPARE_UNITS = 64


class Outbox(Protocol):
    """The relay's view of the outbox (writing happens inside the unit of work's commit)."""

    async def pending(self, *, limit: int, min_age_s: float) -> list[Event]:
        """Events not yet delivered, oldest first, written at least ``min_age_s`` ago."""
        ...

    async def mark_delivered(self, message_ids: list[str]) -> None: ...

    async def backlog(self) -> int: ...

    async def oldest_age_s(self) -> float:
        """Seconds since the oldest undelivered row was written; 0 when the outbox is empty."""
        ...


class UnknownMessage(LookupError):
    pass


class _Bound:
    """A handler with its dependencies resolved, called as ``fn(message, uow, *args)`` (without
    ``uow`` when it names none): by position, which spares a dictionary of keywords and their
    matching by name on each of the dozen and more calls of a saga."""

    __slots__ = ("args", "consumer", "fn", "needs_uow")

    def __init__(self, fn: Handler, dependencies: Mapping[str, Any]) -> None:
        signature = list(inspect.signature(fn).parameters.values())[1:]
        params = [p.name for p in signature]
        missing = [p for p in params if p != "uow" and p not in dependencies]
        if missing:
            raise TypeError(f"{fn.__qualname__} needs {missing}, which the bus was not given")
        if "uow" in params[1:] or any(
            p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD for p in signature
        ):
            raise TypeError(
                f"{fn.__qualname__}: after the message a handler takes ``uow`` (if it needs one),"
                " then its dependencies, all as plain parameters"
            )
        self.fn = fn
        self.needs_uow = params[:1] == ["uow"]
        self.args = tuple(dependencies[p] for p in params if p != "uow")
        self.consumer = f"{fn.__module__.removeprefix('commerce_core.')}.{fn.__qualname__}"


class MessageBus:
    def __init__(
        self,
        *,
        uow_factory: Callable[[], UnitOfWork],
        command_handlers: Mapping[type, Handler],
        event_handlers: Mapping[type[Event], Iterable[Handler]],
        dependencies: Mapping[str, Any],
        outbox: Outbox | None = None,
        dispatch_inline: bool = True,
        max_attempts: int = 8,
    ) -> None:
        self._uow_factory = uow_factory
        self._commands = {t: _Bound(h, dependencies) for t, h in command_handlers.items()}
        self._events = {
            t: [_Bound(h, dependencies) for h in hs] for t, hs in event_handlers.items()
        }
        self._outbox = outbox
        self.dispatch_inline = dispatch_inline
        self._max_attempts = max_attempts
        self._observers: list[Observer] = []
        self._spare_units: list[UnitOfWork] = []

    # -- public ------------------------------------------------------------------------------

    async def handle(self, message: object) -> Any:
        """Runs the command's (or query's) handler, then the events its commits raised."""
        bound = self._commands.get(type(message))
        if bound is None:
            raise UnknownMessage(type(message).__name__)
        uow = self._unit_of_work()
        succeeded = False
        try:
            result = await self._with_retries(bound, message, uow)
            succeeded = True
            return result
        finally:
            # Even a handler that failed after a commit raised events that must flow.
            events = uow.collect_new_events()
            if succeeded:
                self._finished_with(uow)
            if self.dispatch_inline:
                await self.dispatch(events)

    async def dispatch(self, events: Iterable[Event]) -> None:
        """Delivers events and the events their handlers raise, breadth first."""
        queue = deque(events)
        delivered: list[str] = []
        while queue:
            event = queue.popleft()
            raised, ok = await self.deliver(event)
            queue.extend(raised)
            if ok:
                delivered.append(event.message_id)
        if delivered and self._outbox is not None:
            await self._outbox.mark_delivered(delivered)

    async def deliver(self, event: Event) -> tuple[list[Event], bool]:
        """Runs every handler of one event; returns the events they raised and whether all of
        them succeeded (a failed one leaves the event in the outbox for the relay)."""
        raised: list[Event] = []
        ok = True
        spares = self._spare_units
        for bound in self._events.get(type(event), ()):
            uow: UnitOfWork | None = None
            if bound.needs_uow:
                uow = spares.pop() if spares else self._uow_factory()  # _unit_of_work(), inlined
                uow.handling(bound.consumer, event.message_id)
                first = bound.fn(event, uow, *bound.args)
            else:
                # No unit of work, hence no inbox row and no events: such a handler is
                # idempotent by its own means (its docstring says how); only the retries apply.
                first = bound.fn(event, *bound.args)
            failed = False
            try:
                try:
                    # The first attempt made and awaited here, without a frame around it (not
                    # ``_call``): nearly every handler call, 17 a checkout, goes this way.
                    await first
                except (ConcurrencyConflict, TransientError) as error:
                    await self._retry(bound, event, uow, error)
            except AlreadyProcessed:
                pass
            except Exception:
                ok, failed = False, True
                log.exception("%s failed on %s %s", bound.consumer, type(event).__name__,
                              event.message_id)
            if uow is not None:
                raised.extend(uow.collect_new_events())
                if not failed and len(spares) < MAX_SPARE_UNITS and uow.reset():
                    spares.append(uow)  # _finished_with(), inlined
        for observer in self._observers:
            observer(event)
        return raised, ok

    async def run_consumer(self, consumer: str, event: Event) -> list[Event]:
        """Runs one named consumer of ``event`` (a broker delivered it to that consumer's queue)
        in a unit of work bound to the message, so a redelivery is a no-op. Unlike ``deliver`` it
        lets a failure out, for the broker to requeue or dead-letter. Returns the events raised."""
        bound = next((b for b in self._events.get(type(event), ()) if b.consumer == consumer), None)
        if bound is None:
            raise UnknownMessage(f"{consumer} does not consume {type(event).__name__}")
        uow = self._unit_of_work()
        uow.handling(consumer, event.message_id)
        with contextlib.suppress(AlreadyProcessed):
            await self._with_retries(bound, event, uow)
        raised = uow.collect_new_events()
        self._finished_with(uow)
        return raised

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Calls ``observer`` with every event delivered in this process; returns an unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def handlers_of(self, event_type: type[Event]) -> list[str]:
        return [b.consumer for b in self._events.get(event_type, ())]

    # -- internals ---------------------------------------------------------------------------

    def _unit_of_work(self) -> UnitOfWork:
        spares = self._spare_units
        return spares.pop() if spares else self._uow_factory()

    def _finished_with(self, uow: UnitOfWork) -> None:
        """Keeps a reusable unit of work, its call over and its events collected, for a later
        call. Not one whose call failed: building a new one is cheap next to a failure."""
        if len(self._spare_units) < MAX_SPARE_UNITS and uow.reset():
            self._spare_units.append(uow)

    @staticmethod
    def _call(bound: _Bound, message: object, uow: UnitOfWork | None) -> Awaitable[Any]:
        if bound.needs_uow:
            return bound.fn(message, uow, *bound.args)
        return bound.fn(message, *bound.args)

    async def _with_retries(self, bound: _Bound, message: object, uow: UnitOfWork) -> Any:
        try:
            return await self._call(bound, message, uow)
        except (ConcurrencyConflict, TransientError) as error:
            return await self._retry(bound, message, uow, error)

    async def _retry(
        self, bound: _Bound, message: object, uow: UnitOfWork | None, error: Exception
    ) -> Any:
        """Runs the handler again, with fresh state, after its first attempt lost an
        optimistic-concurrency race or met a transient error; up to ``max_attempts`` in all."""
        for attempt in range(2, self._max_attempts + 1):
            log.debug("%s retries after %s (attempt %d)", bound.consumer, error, attempt - 1)
            # Yield so the transaction that won can finish; back off a little more each time.
            await asyncio.sleep(0 if attempt <= 3 else 0.001 * 2 ** (attempt - 1))
            try:
                return await self._call(bound, message, uow)
            except (ConcurrencyConflict, TransientError) as again:
                error = again
        raise error
