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

    async def refund(self, idempotency_key: str) -> bool:
        """Refunds what was captured under the key; False when nothing was captured."""
        ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment) -> None: ...

    async def get(self, order_id: str) -> Payment | None: ...
