import asyncio

import pytest

from adapters.payments.sandbox import APPROVED, DECLINED, NEVER_ANSWERS, SandboxGateway
from commerce_core.payments.ports import ChargeRequest
from commerce_core.shared.money import Money

TEN = Money.of("10.00", "EUR")


@pytest.fixture
def gateway():
    return SandboxGateway()


def _request(key="order-1", token=APPROVED, amount=TEN):
    return ChargeRequest(key, amount, token)


def test_the_documented_tokens():
    assert (APPROVED, DECLINED, NEVER_ANSWERS) == ("tok_visa", "tok_chargeDeclined", "tok_timeout")


async def test_tok_visa_approves_and_captures(gateway):
    result = await gateway.charge(_request())

    assert result.approved
    assert result.reference == "ch_order-1"
    assert gateway.captured == {"order-1": TEN}
    assert gateway.captures["order-1"] == 1


async def test_tok_charge_declined_declines_and_takes_nothing(gateway):
    result = await gateway.charge(_request(token=DECLINED))

    assert not result.approved
    assert result.decline_reason == "card_declined"
    assert gateway.captured == {}


async def test_an_unknown_token_is_declined(gateway):
    result = await gateway.charge(_request(token="tok_mastercard"))

    assert (result.approved, result.decline_reason) == (False, "unknown_payment_method")


async def test_the_same_idempotency_key_returns_the_first_answer_and_captures_once(gateway):
    first = await gateway.charge(_request())
    again = await gateway.charge(_request(token=DECLINED, amount=Money.of("99.00", "EUR")))

    assert again == first
    assert gateway.charge_calls["order-1"] == 2
    assert gateway.captures["order-1"] == 1
    assert gateway.captured == {"order-1": TEN}
    assert gateway.charged_twice() == []


async def test_a_declined_key_stays_declined(gateway):
    await gateway.charge(_request(token=DECLINED))

    assert not (await gateway.charge(_request(token=APPROVED))).approved
    assert gateway.captured == {}


async def test_different_keys_are_different_charges(gateway):
    await gateway.charge(_request("a"))
    await gateway.charge(_request("b"))

    assert set(gateway.captured) == {"a", "b"}


async def test_refund_returns_a_capture_once(gateway):
    await gateway.charge(_request())

    assert await gateway.refund("order-1") is True
    assert await gateway.refund("order-1") is False
    assert gateway.refunded == {"order-1": TEN}


async def test_refund_of_nothing_captured_is_false(gateway):
    await gateway.charge(_request(token=DECLINED))

    assert await gateway.refund("order-1") is False
    assert await gateway.refund("never-charged") is False
    assert gateway.refunded == {}


async def test_tok_timeout_never_answers(gateway):
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(gateway.charge(_request(token=NEVER_ANSWERS)), timeout=0.01)

    assert gateway.captured == {}
    assert gateway.charge_calls["order-1"] == 1
    assert await gateway.refund("order-1") is False
