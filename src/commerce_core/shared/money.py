"""Money: a Decimal amount and an ISO 4217 currency code, never a float."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from attrs import frozen

from commerce_core.shared.errors import CurrencyMismatch, InvalidMoney

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "TND": 3}


_TOO_LARGE = Decimal("1e12")
# Codes that passed the pattern (at most 2 * 26**3: "$" also matches before a final newline, as
# it always did): a saga makes a few Money values, each checked here first. Values are the code's
# quantum, Decimal(1).scaleb(-minor units).
_CHECKED_CURRENCIES: dict[str, Decimal] = {}


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency, 2)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float):
        # A float has already lost the cents; refuse it rather than guess.
        raise InvalidMoney("amount must be a decimal string or integer, not a float")
    try:
        amount = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidMoney(f"not a decimal amount: {value!r}") from None
    if not amount.is_finite():
        raise InvalidMoney("amount must be finite")
    return amount


def _check_currency(currency: Any) -> Decimal:
    """The quantum of a valid ISO 4217 code; raises InvalidMoney for anything else."""
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise InvalidMoney(f"not an ISO 4217 currency code: {currency!r}")
    quantum = Decimal(1).scaleb(-minor_units(currency))
    if type(currency) is str:
        _CHECKED_CURRENCIES[currency] = quantum
    return quantum


@frozen(order=False)
class Money:
    amount: Decimal
    currency: str

    def __attrs_post_init__(self) -> None:
        currency = self.currency
        quantum = _CHECKED_CURRENCIES.get(currency) if type(currency) is str else None
        if quantum is None:
            quantum = _check_currency(currency)
        amount = _to_decimal(self.amount)
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > minor_units(currency):
            raise InvalidMoney(f"{currency} has {minor_units(currency)} decimal places: {amount}")
        if abs(amount) >= _TOO_LARGE:
            raise InvalidMoney("amount too large")
        object.__setattr__(self, "amount", amount.quantize(quantum))

    @classmethod
    def _exact(cls, amount: Decimal, currency: str) -> Money:
        """Arithmetic on two valid amounts of one currency: skips re-validation (hot path)."""
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def of(cls, amount: Any, currency: str) -> Money:
        return cls(_to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def sum(cls, values: Iterable[Money], currency: str) -> Money:
        """The total of ``values``, all in ``currency`` (CurrencyMismatch otherwise); zero when
        there are none. One Money made, not one per term (an order's total is taken twice a
        saga)."""
        amount: Decimal | None = None
        for value in values:
            if value.currency != currency:
                raise CurrencyMismatch(f"{currency} and {value.currency}")
            amount = value.amount if amount is None else amount + value.amount
        return cls.zero(currency) if amount is None else cls._exact(amount, currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money._exact(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money._exact(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise InvalidMoney("money is multiplied by whole quantities only")
        return Money._exact(self.amount * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
