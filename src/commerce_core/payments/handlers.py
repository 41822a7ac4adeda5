from __future__ import annotations

import logging
from datetime import timedelta

from commerce_core.inventory.events import InventoryReserved
from commerce_core.ordering.events import OrderCancelled, OrderCreated
from commerce_core.payments.model import Payment, PaymentStatus
from commerce_core.payments.ports import ChargeRequest, ChargeResult, PaymentGateway
from commerce_core.shared.deadline import within
from commerce_core.shared.errors import TransientError
from commerce_core.shared.money import Money
from commerce_core.shared.ports import Clock
from commerce_core.shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def record_payment_intent(event: OrderCreated, uow: UnitOfWork, clock: Clock) -> None:
    async with uow:
        if await uow.payments.get(event.order_id) is not None:
            return
        uow.payments.add(
            Payment.intend(
                order_id=event.order_id,
                user_id=event.user_id,
                amount=Money(event.total, event.currency),
                method_token=event.payment_method,
                now=clock.now(),
            )
        )
        await uow.commit()


async def charge_reserved_order(
    event: InventoryReserved,
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    payment_timeout: timedelta,
) -> None:
    async with uow:
        payment = await uow.payments.get(event.order_id)
        if payment is None:
            # OrderCreated has not reached payments yet (separate queues): try again later.
            raise TransientError(f"no payment intent for order {event.order_id} yet")
        if payment.status is PaymentStatus.AWAITING_STOCK:
            payment.start_charge(clock.now())
            # Not the last step: a worker dying during the charge must leave the message
            # unrecorded, so its redelivery retries the charge (the gateway key makes it safe).
            await uow.commit(completes_message=False)
        elif payment.status is not PaymentStatus.CHARGING:
            return  # charged, failed or voided already
        # CHARGING: a first attempt may have died mid-call; the gateway's key makes a retry safe.
        request = ChargeRequest(payment.order_id, payment.amount, payment.method_token)
    try:
        result = await within(payment_timeout.total_seconds(), gateway.charge(request))
    except TimeoutError:
        # Outcome unknown. The reservation's TTL bounds the wait: the sweeper cancels the order,
        # and OrderCancelled voids this payment and refunds whatever the gateway took.
        log.warning("payment gateway did not answer for order %s", event.order_id)
        return
    await _settle(event.order_id, result, uow, gateway, clock)


async def _settle(
    order_id: str, result: ChargeResult, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock
) -> None:
    async with uow:
        payment = await uow.payments.get(order_id)
        if payment is None:
            return
        if payment.status is PaymentStatus.CHARGING:
            if result.approved:
                payment.captured(result.reference, clock.now())
            else:
                payment.declined(result.decline_reason or "declined", clock.now())
        elif payment.status is PaymentStatus.VOIDED:
            # The order was cancelled while the charge was on its way.
            if result.approved:
                await gateway.refund(order_id)
                payment.refunded(clock.now())
            else:
                payment.declined(result.decline_reason or "declined", clock.now())
        else:
            return
        await uow.commit()


async def void_or_refund_cancelled_order(
    event: OrderCancelled, uow: UnitOfWork, gateway: PaymentGateway, clock: Clock
) -> None:
    async with uow:
        payment = await uow.payments.get(event.order_id)
        now = clock.now()
        if payment is None:
            uow.payments.add(
                Payment.voided_before_intent(order_id=event.order_id, user_id=event.user_id,
                                             now=now)
            )
        elif payment.status is PaymentStatus.AWAITING_STOCK:
            payment.void(now)
        elif payment.status is PaymentStatus.CHARGING:
            payment.void(now)
            # The charge may have landed without our hearing of it (a gateway time-out).
            if await gateway.refund(event.order_id):
                payment.refunded(now)
        elif payment.status is PaymentStatus.CAPTURED:
            await gateway.refund(event.order_id)
            payment.refunded(now)
        else:
            return
        await uow.commit()


EVENT_HANDLERS = {
    OrderCreated: [record_payment_intent],
    InventoryReserved: [charge_reserved_order],
    OrderCancelled: [void_or_refund_cancelled_order],
}
