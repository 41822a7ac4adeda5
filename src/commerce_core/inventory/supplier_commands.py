from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Command


@frozen
class CreateSupplier(Command):
    name: str


@frozen(kw_only=True)
class ReceiveSupplierShipment(Command):
    api_key: str
    reference: str
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)


@frozen(kw_only=True)
class ReceiveDelivery(Command):
    """A delivery booked by the shop's staff (``commerce inventory receive``): one receipt per
    reference, like a supplier's, so booking the same delivery again changes nothing."""

    reference: str
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)
