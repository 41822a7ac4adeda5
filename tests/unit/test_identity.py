import pytest
from factories import PASSWORD, EventLog

from adapters.security.passwords import Argon2PasswordHasher
from commerce_core.identity.commands import Authenticate, CreateAdmin, GetUser, RegisterUser
from commerce_core.identity.events import UserRegistered
from commerce_core.identity.model import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Email,
    Role,
    check_name,
    check_password_strength,
)
from commerce_core.shared.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidInput,
    UserNotFound,
    WeakPassword,
)
from entrypoints.embedded import Shop


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("ana@example.com", "ana@example.com"),
        ("  Ana@Example.COM  ", "ana@example.com"),
        ("first.last+tag@sub.example.org", "first.last+tag@sub.example.org"),
    ],
)
def test_email_is_trimmed_and_lowercased(raw, normalised):
    assert Email(raw).value == normalised
    assert str(Email(raw)) == normalised


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "ana@@example.com",
        "ana @example.com",
        "ana@exa mple.com",
        "ana@example.c",
        "a" * 65 + "@example.com",
        "ana@" + "d" * 250 + ".com",
        None,
        42,
    ],
)
def test_what_cannot_be_an_address_is_refused(raw):
    with pytest.raises(InvalidEmail) as caught:
        Email(raw)
    assert caught.value.code == "invalid_email"
    assert caught.value.field == "email"


@pytest.mark.parametrize("length", [MIN_PASSWORD_LENGTH, 20, MAX_PASSWORD_LENGTH])
def test_passwords_from_8_to_256_characters_are_accepted(length):
    check_password_strength("p" * length)


@pytest.mark.parametrize(
    "password", ["", "p" * (MIN_PASSWORD_LENGTH - 1), "p" * 257, None, 12345678]
)
def test_passwords_outside_the_bounds_are_weak(password):
    with pytest.raises(WeakPassword) as caught:
        check_password_strength(password)
    assert caught.value.code == "weak_password"
    assert caught.value.field == "password"


def test_password_bounds_are_8_and_256():
    assert (MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH) == (8, 256)


@pytest.mark.parametrize(
    ("raw", "clean"), [("Ana", "Ana"), ("  Ana B  ", "Ana B"), ("x" * 200, "x" * 200)]
)
def test_names_are_trimmed(raw, clean):
    assert check_name(raw) == clean


@pytest.mark.parametrize("raw", ["", "   ", "x" * 201, None])
def test_empty_or_overlong_names_are_refused(raw):
    with pytest.raises(InvalidInput) as caught:
        check_name(raw)
    assert caught.value.field == "name"


async def test_registration_stores_a_customer_with_a_hashed_password(shop):
    log = EventLog(shop)

    user = await shop.handle(RegisterUser("  Ana@Example.com ", PASSWORD, " Ana "))

    stored = await shop.handle(GetUser(user.id))
    assert (stored.email, stored.name, stored.role) == ("ana@example.com", "Ana", Role.CUSTOMER)
    assert not stored.is_admin
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    [registered] = log.of(UserRegistered)
    assert (registered.user_id, registered.email, registered.role) == (
        user.id, "ana@example.com", "customer"
    )
    assert registered.correlation_id == user.id


async def test_registering_the_same_email_twice_is_email_taken(shop):
    await shop.handle(RegisterUser("ana@example.com", PASSWORD, "Ana"))

    with pytest.raises(EmailTaken) as caught:
        await shop.handle(RegisterUser("ANA@example.com ", PASSWORD, "Other Ana"))
    assert caught.value.code == "email_taken"


@pytest.mark.parametrize(
    ("email", "password", "name", "error"),
    [
        ("not-an-email", PASSWORD, "Ana", InvalidEmail),
        ("ana@example.com", "short", "Ana", WeakPassword),
        ("ana@example.com", PASSWORD, "  ", InvalidInput),
    ],
)
async def test_registration_validates_its_input(shop, email, password, name, error):
    with pytest.raises(error):
        await shop.handle(RegisterUser(email, password, name))
    with pytest.raises(InvalidCredentials):
        await shop.handle(Authenticate("ana@example.com", PASSWORD))


async def test_authenticate_with_the_right_password_returns_the_user(shop):
    user = await shop.handle(RegisterUser("ana@example.com", PASSWORD, "Ana"))

    assert (await shop.handle(Authenticate(" ANA@example.com", PASSWORD))).id == user.id


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ana@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("not an email", PASSWORD),
    ],
)
async def test_unknown_email_and_wrong_password_give_the_same_error(shop, email, password):
    await shop.handle(RegisterUser("ana@example.com", PASSWORD, "Ana"))

    with pytest.raises(InvalidCredentials) as caught:
        await shop.handle(Authenticate(email, password))
    assert caught.value.code == "invalid_credentials"
    assert caught.value.detail == InvalidCredentials.title


async def test_authenticate_rehashes_when_the_hashing_parameters_changed(shop, container):
    user = await shop.handle(RegisterUser("ana@example.com", PASSWORD, "Ana"))
    old_hash = (await shop.handle(GetUser(user.id))).password_hash
    stronger = Argon2PasswordHasher(time_cost=2, memory_cost=128)
    assert stronger.needs_rehash(old_hash)
    # Same store, a shop whose hasher has stronger parameters (as after a configuration change).
    container.hasher.override(stronger)
    container.bus.reset()
    upgraded = Shop(container)

    await upgraded.handle(Authenticate("ana@example.com", PASSWORD))

    new_hash = (await shop.handle(GetUser(user.id))).password_hash
    assert new_hash != old_hash
    assert not stronger.needs_rehash(new_hash)
    assert await stronger.verify(new_hash, PASSWORD)


async def test_create_admin_creates_an_admin(shop):
    admin = await shop.handle(CreateAdmin("boss@example.com", PASSWORD))

    stored = await shop.handle(GetUser(admin.id))
    assert stored.role is Role.ADMIN
    assert stored.is_admin
    assert stored.name == "Admin"


async def test_create_admin_promotes_an_existing_user_and_resets_the_password(shop):
    user = await shop.handle(RegisterUser("ana@example.com", PASSWORD, "Ana"))

    promoted = await shop.handle(CreateAdmin("ana@example.com", "brand new password"))

    assert promoted.id == user.id
    assert (await shop.handle(GetUser(user.id))).role is Role.ADMIN
    with pytest.raises(InvalidCredentials):
        await shop.handle(Authenticate("ana@example.com", PASSWORD))
    assert (await shop.handle(Authenticate("ana@example.com", "brand new password"))).id == user.id


async def test_get_user_of_an_unknown_id_is_user_not_found(shop):
    with pytest.raises(UserNotFound) as caught:
        await shop.handle(GetUser("nobody"))
    assert caught.value.code == "user_not_found"
