"""Every context's handlers, gathered for the message bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from commerce_core.cart import handlers as cart
from commerce_core.catalog import handlers as catalog
from commerce_core.catalog import search_handlers as search
from commerce_core.identity import auth
from commerce_core.identity import handlers as identity
from commerce_core.inventory import handlers as inventory
from commerce_core.inventory import supplier_handlers as suppliers
from commerce_core.notifications import handlers as notifications
from commerce_core.ordering import handlers as ordering
from commerce_core.ordering import return_handlers as returns
from commerce_core.payments import handlers as payments
from commerce_core.reporting import handlers as reporting
from commerce_core.shared import inbox_retention
from commerce_core.shared.events import Event

_CONTEXTS_WITH_COMMANDS = (
    identity, auth, catalog, cart, ordering, inventory, suppliers, returns,
    notifications, inbox_retention
)
_CONTEXTS_WITH_EVENTS = (
    catalog, search, inventory, ordering, payments, notifications, reporting
)


def command_handlers() -> dict[type, Callable[..., Any]]:
    handlers: dict[type, Callable[..., Any]] = {}
    for context in _CONTEXTS_WITH_COMMANDS:
        for message, handler in context.COMMAND_HANDLERS.items():
            if message in handlers:
                raise TypeError(f"two handlers for {message.__name__}")
            handlers[message] = handler
    return handlers


def event_handlers() -> dict[type[Event], list[Callable[..., Any]]]:
    handlers: dict[type[Event], list[Callable[..., Any]]] = {}
    for context in _CONTEXTS_WITH_EVENTS:
        for event, subscribers in context.EVENT_HANDLERS.items():
            handlers.setdefault(event, []).extend(subscribers)
    return handlers
