from __future__ import annotations

from decimal import Decimal

from attrs import frozen

from commerce_core.shared.events import Event


@frozen(kw_only=True)
class PaymentProcessed(Event):
    order_id: str
    amount: Decimal
    currency: str
    reference: str


@frozen(kw_only=True)
class PaymentFailed(Event):
    order_id: str
    reason: str


@frozen(kw_only=True)
class PaymentRefunded(Event):
    order_id: str
    amount: Decimal
    currency: str
