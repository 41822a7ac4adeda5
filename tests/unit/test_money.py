from decimal import Decimal

import pytest

from commerce_core.shared.errors import CurrencyMismatch, InvalidInput, InvalidMoney
from commerce_core.shared.money import Money, minor_units


def test_money_keeps_a_decimal_amount_and_its_currency():
    price = Money.of("19.99", "EUR")

    assert price.amount == Decimal("19.99")
    assert isinstance(price.amount, Decimal)
    assert price.currency == "EUR"
    assert str(price) == "19.99 EUR"


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("5", "EUR", "5.00"),
        (7, "USD", "7.00"),
        (Decimal("1.5"), "GBP", "1.50"),
        ("1000", "JPY", "1000"),
        ("1.234", "KWD", "1.234"),
        ("-2.50", "EUR", "-2.50"),
    ],
)
def test_amounts_are_quantized_to_the_currencys_minor_units(raw, currency, expected):
    assert str(Money.of(raw, currency).amount) == expected


def test_minor_units_default_to_two_and_follow_iso_4217_exceptions():
    assert minor_units("EUR") == 2
    assert minor_units("JPY") == 0
    assert minor_units("BHD") == 3


@pytest.mark.parametrize("amount", [19.99, 1.0, 0.0, True, False])
def test_floats_and_booleans_are_refused(amount):
    with pytest.raises(InvalidMoney):
        Money.of(amount, "EUR")


def test_float_is_refused_by_the_constructor_too():
    with pytest.raises(InvalidMoney):
        Money(0.1, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["abc", "", "1,50", None, "NaN", "Infinity", "-inf", [1]])
def test_values_that_are_not_finite_decimals_are_refused(amount):
    with pytest.raises(InvalidMoney):
        Money.of(amount, "EUR")


@pytest.mark.parametrize("currency", ["eur", "EU", "EURO", "", "E1R", " EUR", None, 978])
def test_bad_currency_codes_are_refused(currency):
    with pytest.raises(InvalidMoney):
        Money.of("1.00", currency)


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.001", "EUR"), ("1.5", "JPY"), ("0.0001", "KWD"), ("2.999", "USD")]
)
def test_more_decimals_than_the_currency_has_are_refused(amount, currency):
    with pytest.raises(InvalidMoney):
        Money.of(amount, currency)


def test_trailing_zeros_beyond_minor_units_are_still_too_many_decimals():
    # "1.000" says three decimal places; the rule is about what was written, not its value.
    with pytest.raises(InvalidMoney):
        Money.of("1.000", "EUR")


def test_absurdly_large_amounts_are_refused():
    with pytest.raises(InvalidMoney):
        Money.of("1000000000000", "EUR")
    assert Money.of("999999999999.99", "EUR").amount == Decimal("999999999999.99")


def test_invalid_money_is_an_invalid_input_with_a_stable_code():
    with pytest.raises(InvalidInput) as caught:
        Money.of("x", "EUR")
    assert caught.value.code == "invalid_money"


def test_addition_and_subtraction_in_the_same_currency():
    a, b = Money.of("10.10", "EUR"), Money.of("0.95", "EUR")

    assert a + b == Money.of("11.05", "EUR")
    assert a - b == Money.of("9.15", "EUR")
    assert (b - a).is_negative


def test_multiplication_by_a_whole_quantity():
    assert Money.of("19.99", "EUR") * 3 == Money.of("59.97", "EUR")
    assert Money.of("19.99", "EUR") * 0 == Money.zero("EUR")


@pytest.mark.parametrize("factor", [1.5, Decimal("2"), True, "2"])
def test_multiplication_by_anything_but_an_int_is_refused(factor):
    with pytest.raises(InvalidMoney):
        Money.of("1.00", "EUR") * factor


@pytest.mark.parametrize(
    "operation",
    [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a < b],
    ids=["add", "sub", "lt"],
)
def test_mixing_currencies_raises_currency_mismatch(operation):
    with pytest.raises(CurrencyMismatch) as caught:
        operation(Money.of("1.00", "EUR"), Money.of("1.00", "USD"))
    assert caught.value.code == "currency_mismatch"


def test_money_is_an_immutable_value():
    price = Money.of("1.00", "EUR")

    assert price == Money.of("1", "EUR")
    assert hash(price) == hash(Money.of("1.0", "EUR"))
    with pytest.raises(AttributeError):
        price.amount = Decimal("2")  # type: ignore[misc]


def test_zero_and_comparison():
    assert Money.zero("EUR").amount == Decimal("0.00")
    assert Money.of("1.00", "EUR") < Money.of("1.01", "EUR")
    assert not Money.zero("EUR").is_negative


def test_sum_adds_amounts_of_one_currency_and_is_zero_for_nothing():
    total = Money.sum([Money.of("9.99", "EUR"), Money.of("0.01", "EUR"), Money.of("5", "EUR")],
                      "EUR")
    assert total == Money.of("15.00", "EUR")
    assert str(total) == "15.00 EUR"
    assert str(Money.sum([], "JPY")) == "0 JPY"


def test_sum_refuses_a_term_in_another_currency():
    with pytest.raises(CurrencyMismatch):
        Money.sum([Money.of("1.00", "EUR"), Money.of("1.00", "USD")], "EUR")
    with pytest.raises(CurrencyMismatch):
        Money.sum([Money.of("1.00", "USD")], "EUR")
