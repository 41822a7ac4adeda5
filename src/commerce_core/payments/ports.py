from __future__ import annotations

from typing import Protocol

from attrs import frozen

from commerce_core.payments.model import Payment
from commerce_core.shared.money import Money


@frozen
class ChargeRequest:
    idempotency_key: str
    amount: Money
    method_token: str


@frozen
class ChargeResult:
    approved: bool
    reference: str = ""
    decline_reason: str = ""


class PaymentGateway(Protocol):
    async def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charges at most once per idempotency key; a repeat returns the first answer.

        Raises TransientError when the gateway cannot be reached.
        """
        ...

    async def refund(
        self, idempotency_key: str, amount: Money | None = None, *, refund_key: str | None = None
    ) -> bool:
        """Refunds what was captured under the key; False when nothing was captured.

        With ``amount`` (and a ``refund_key`` naming this refund) it refunds that part only,
        at most once per ``refund_key``: a repeat is a no-op that answers True, since the money
        is back. False when the capture does not cover the amount. Without ``amount`` the rest
        of the capture is refunded, once.
        """
        ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None: ...

    async def get(self, order_id: str) -> Payment | None: ...
