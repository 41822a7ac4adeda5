"""The bus's unit-of-work factory: injections resolved once when they are singletons."""

from __future__ import annotations

import itertools

from dependency_injector import providers

from adapters.memory.unit_of_work import MemoryUnitOfWork
from adapters.system import ManualClock
from entrypoints.container import build_container, resolved_once
from entrypoints.settings import Settings


class Made:
    def __init__(self, *args: object, **kwargs: object) -> None:
        self.args, self.kwargs = args, kwargs


def test_the_memory_bus_builds_units_of_work_on_the_containers_store():
    container = build_container(Settings())
    container.clock.override(ManualClock())
    make = container.bus()._uow_factory
    first, second = make(), make()
    assert isinstance(first, MemoryUnitOfWork)
    assert first is not second
    assert first._store is second._store is container.memory_store()


def test_singleton_and_object_injections_are_resolved_once_and_overrides_are_followed():
    shared = providers.Singleton(object)
    factory = providers.Factory(Made, providers.Object("positional"), shared=shared)
    factory.override(providers.Factory(Made, shared=shared, clock=providers.Object("clock")))
    make = resolved_once(factory)
    made = make()
    assert isinstance(made, Made)
    assert made.args == ()
    assert made.kwargs == {"shared": shared(), "clock": "clock"}
    assert make().kwargs["shared"] is made.kwargs["shared"]


def test_a_factory_with_an_injection_that_changes_per_call_is_kept_as_it_is():
    counter = itertools.count()
    factory = providers.Factory(Made, n=providers.Callable(lambda: next(counter)))
    make = resolved_once(factory)
    assert make is factory
    assert [make().kwargs["n"], make().kwargs["n"]] == [0, 1]
