from __future__ import annotations

import enum
from datetime import datetime

from attrs import define, field

from commerce_core.payments.events import PaymentFailed, PaymentProcessed, PaymentRefunded
from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import IllegalTransition
from commerce_core.shared.money import Money


class PaymentStatus(enum.StrEnum):
    AWAITING_STOCK = "AWAITING_STOCK"  # intent recorded from OrderCreated
    CHARGING = "CHARGING"  # the gateway was asked; its answer may still be on its way
    CAPTURED = "CAPTURED"
    FAILED = "FAILED"
    VOIDED = "VOIDED"  # the order was cancelled before the money was taken
    REFUNDED = "REFUNDED"


_TRANSITIONS = {
    PaymentStatus.AWAITING_STOCK: {PaymentStatus.CHARGING, PaymentStatus.VOIDED},
    PaymentStatus.CHARGING: {PaymentStatus.CAPTURED, PaymentStatus.FAILED, PaymentStatus.VOIDED},
    PaymentStatus.CAPTURED: {PaymentStatus.REFUNDED},
    # A charge that lands after the order was cancelled is refunded at once.
    PaymentStatus.VOIDED: {PaymentStatus.REFUNDED, PaymentStatus.FAILED},
    PaymentStatus.FAILED: set(),
    PaymentStatus.REFUNDED: set(),
}


@define(slots=False, eq=False)
class Payment(Aggregate):
    order_id: str
    user_id: str
    amount: Money
    method_token: str = field(repr=False)
    status: PaymentStatus
    updated_at: datetime
    reference: str | None = None
    failure_reason: str | None = None
    version: int = field(default=0, kw_only=True)

    @classmethod
    def intend(
        cls, *, order_id: str, user_id: str, amount: Money, method_token: str, now: datetime
    ) -> Payment:
        return cls(order_id, user_id, amount, method_token, PaymentStatus.AWAITING_STOCK, now)

    @classmethod
    def voided_before_intent(cls, *, order_id: str, user_id: str, now: datetime) -> Payment:
        """The order was cancelled before payments heard of it; a late OrderCreated is ignored."""
        return cls(order_id, user_id, Money.zero("XXX"), "", PaymentStatus.VOIDED, now)

    def _move_to(self, target: PaymentStatus, now: datetime) -> None:
        if target not in _TRANSITIONS[self.status]:
            raise IllegalTransition(f"payment {self.order_id}: {self.status} -> {target}")
        self.status = target
        self.updated_at = now

    def start_charge(self, now: datetime) -> None:
        self._move_to(PaymentStatus.CHARGING, now)

    def captured(self, reference: str, now: datetime) -> None:
        self.reference = reference
        self._move_to(PaymentStatus.CAPTURED, now)
        self._record(
            PaymentProcessed(
                occurred_at=now,
                correlation_id=self.order_id,
                order_id=self.order_id,
                amount=self.amount.amount,
                currency=self.amount.currency,
                reference=reference,
            )
        )

    def declined(self, reason: str, now: datetime) -> None:
        announce = self.status is PaymentStatus.CHARGING
        self.failure_reason = reason
        self._move_to(PaymentStatus.FAILED, now)
        if announce:
            self._record(
                PaymentFailed(
                    occurred_at=now,
                    correlation_id=self.order_id,
                    order_id=self.order_id,
                    reason=reason,
                )
            )

    def void(self, now: datetime) -> None:
        self._move_to(PaymentStatus.VOIDED, now)

    def refunded(self, now: datetime) -> None:
        self._move_to(PaymentStatus.REFUNDED, now)
        self._record(
            PaymentRefunded(
                occurred_at=now,
                correlation_id=self.order_id,
                order_id=self.order_id,
                amount=self.amount.amount,
                currency=self.amount.currency,
            )
        )
