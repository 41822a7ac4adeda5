import pytest
from argon2 import PasswordHasher as Argon2

from adapters.security.passwords import OWASP, Argon2PasswordHasher

CHEAP = {"time_cost": 1, "memory_cost": 64}


@pytest.fixture
def hasher():
    return Argon2PasswordHasher(**CHEAP)


async def test_the_right_password_verifies(hasher):
    password_hash = await hasher.hash("correct horse")

    assert await hasher.verify(password_hash, "correct horse") is True


async def test_a_wrong_password_does_not_verify(hasher):
    password_hash = await hasher.hash("correct horse")

    assert await hasher.verify(password_hash, "Correct horse") is False
    assert await hasher.verify(password_hash, "") is False


async def test_hashes_are_salted_argon2id(hasher):
    first, second = await hasher.hash("same"), await hasher.hash("same")

    assert first != second
    assert first.startswith("$argon2id$")
    assert "same" not in first


@pytest.mark.parametrize(
    "garbage",
    ["", "not a hash", "$argon2id$", "$argon2id$v=19$m=64,t=1,p=1$bad$bad", "$2b$12$abc"],
)
async def test_verify_never_raises_on_a_garbage_hash(hasher, garbage):
    assert await hasher.verify(garbage, "password") is False


async def test_verify_dummy_spends_the_time_and_returns_nothing(hasher):
    assert await hasher.verify_dummy("anything") is None


async def test_a_hash_with_the_current_parameters_needs_no_rehash(hasher):
    assert hasher.needs_rehash(await hasher.hash("pw")) is False


@pytest.mark.parametrize(
    "changed", [{"time_cost": 2}, {"memory_cost": 128}, {"parallelism": 2}]
)
async def test_needs_rehash_when_a_parameter_changes(hasher, changed):
    old_hash = await hasher.hash("pw")

    assert Argon2PasswordHasher(**{**CHEAP, **changed}).needs_rehash(old_hash) is True


def test_an_unreadable_hash_needs_rehash(hasher):
    assert hasher.needs_rehash("not a hash") is True


async def test_a_hash_from_other_parameters_still_verifies(hasher):
    old_hash = await Argon2PasswordHasher(time_cost=2, memory_cost=128).hash("pw")

    assert await hasher.verify(old_hash, "pw") is True


async def test_defaults_are_the_owasp_parameters():
    assert OWASP == {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    password_hash = await Argon2PasswordHasher().hash("pw")  # the one slow hash of the suite

    parameters = password_hash.split("$")[3]
    assert parameters == "m=19456,t=2,p=1"
    assert not Argon2(time_cost=2, memory_cost=19456, parallelism=1).check_needs_rehash(
        password_hash
    )
