"""A worker that dies in the middle of a charge: the redelivered message finishes the payment."""

from __future__ import annotations

from decimal import Decimal

from adapters.payments.sandbox import SandboxGateway
from commerce_core.cart.commands import AddToCart
from commerce_core.catalog.commands import CreateProduct
from commerce_core.identity.commands import RegisterUser
from commerce_core.inventory.events import InventoryReserved
from commerce_core.ordering.commands import Checkout, GetOrder
from commerce_core.ordering.model import OrderStatus
from commerce_core.payments.model import PaymentStatus
from commerce_core.payments.ports import ChargeRequest, ChargeResult
from entrypoints.embedded import open_shop


class DiesOnFirstCharge(SandboxGateway):
    """The first call fails the way a killed process does: no answer, no settlement."""

    def __init__(self) -> None:
        super().__init__()
        self.crashes_left = 1

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        if self.crashes_left:
            self.crashes_left -= 1
            raise RuntimeError("worker killed mid-charge")
        return await super().charge(request)


async def test_redelivery_after_a_crash_mid_charge_confirms_the_order(container):
    gateway = DiesOnFirstCharge()
    container.gateway.override(gateway)  # before the bus is built
    async with open_shop(container=container) as shop:
        await _crash_then_redeliver(shop, container, gateway)


async def _crash_then_redeliver(shop, container, gateway):
    seen: list[InventoryReserved] = []
    shop.bus.observe(lambda e: seen.append(e) if isinstance(e, InventoryReserved) else None)

    ana = await shop.handle(RegisterUser("ana@example.com", "correct horse", "Ana"))
    lamp = await shop.handle(
        CreateProduct(sku="L1", name="Lamp", description="", category="home",
                      price=Decimal("10.00"), currency="EUR", stock=5)
    )
    await shop.handle(AddToCart(ana.id, lamp.id, 1))
    placed = await shop.handle(Checkout(user_id=ana.id, payment_token="tok_visa"))

    store = container.memory_store()
    assert store.payments[placed.id].status is PaymentStatus.CHARGING
    assert (await shop.handle(GetOrder(order_id=placed.id, requested_by=ana.id))).status is (
        OrderStatus.PENDING
    )

    await shop.bus.dispatch(seen)  # the broker redelivers the unacknowledged message

    order = await shop.handle(GetOrder(order_id=placed.id, requested_by=ana.id))
    assert order.status is OrderStatus.CONFIRMED
    assert store.payments[placed.id].status is PaymentStatus.CAPTURED
    assert gateway.captures[placed.id] == 1
