"""The sandbox gateway of CONTRACT.md: ``tok_visa`` approves, ``tok_chargeDeclined`` declines,
``tok_timeout`` never answers. It counts charges per idempotency key so tests can prove that no
customer was charged twice."""

from __future__ import annotations

import asyncio
from collections import Counter

from commerce_core.payments.ports import ChargeRequest, ChargeResult
from commerce_core.shared.money import Money

APPROVED = "tok_visa"
DECLINED = "tok_chargeDeclined"
NEVER_ANSWERS = "tok_timeout"


class SandboxGateway:
    def __init__(self) -> None:
        self._answers: dict[str, ChargeResult] = {}
        self.captured: dict[str, Money] = {}
        self.refunded: dict[str, Money] = {}  # whole (remaining) refunds, per charge key
        self.partial_refunds: dict[str, dict[str, Money]] = {}  # per charge key, per refund key
        self.charge_calls: Counter[str] = Counter()  # every call, repeats included
        self.captures: Counter[str] = Counter()  # money actually taken, per key

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        key = request.idempotency_key
        self.charge_calls[key] += 1
        if key in self._answers:
            return self._answers[key]
        if request.method_token == NEVER_ANSWERS:
            await asyncio.Event().wait()  # hangs until the caller gives up
        if request.method_token == APPROVED:
            result = ChargeResult(True, reference=f"ch_{key}")
            self.captured[key] = request.amount
            self.captures[key] += 1
        elif request.method_token == DECLINED:
            result = ChargeResult(False, decline_reason="card_declined")
        else:
            result = ChargeResult(False, decline_reason="unknown_payment_method")
        self._answers[key] = result
        return result

    async def refund(
        self, idempotency_key: str, amount: Money | None = None, *, refund_key: str | None = None
    ) -> bool:
        if idempotency_key not in self.captured or idempotency_key in self.refunded:
            return False
        parts = self.partial_refunds.setdefault(idempotency_key, {})
        remaining = self.captured[idempotency_key]
        for part in parts.values():
            remaining = remaining - part
        if amount is None:
            self.refunded[idempotency_key] = remaining
            return True
        if refund_key is None:
            raise ValueError("a partial refund needs a refund_key")
        key = refund_key
        if key in parts:
            return True  # this refund was made before: the money is back already
        if remaining < amount:
            return False
        parts[key] = amount
        return True

    def charged_twice(self) -> list[str]:
        return [key for key, count in self.captures.items() if count > 1]
