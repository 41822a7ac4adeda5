from __future__ import annotations

import enum
import re
from datetime import datetime

from attrs import define, field, frozen

from commerce_core.identity.events import UserRegistered
from commerce_core.shared.aggregate import Aggregate
from commerce_core.shared.errors import InvalidEmail, InvalidInput, WeakPassword

# Deliberately simple: one "@", a dot in the domain, no spaces. Deliverability is the mail
# server's business; this only refuses what cannot be an address.
# The pattern is also the HTTP schema's (JSON Schema, ECMA regex): Python's \s and ECMA's differ on
# \x1c-\x1f, \x85 and \ufeff, so those are named, and both engines refuse the same strings.
_NOT_AT_OR_SPACE = r"[^@\s\x1c-\x1f\x85\ufeff"
EMAIL_PATTERN = (
    rf"^{_NOT_AT_OR_SPACE}]{{1,64}}@{_NOT_AT_OR_SPACE}]+\.{_NOT_AT_OR_SPACE}.]{{2,}}$"
)
_EMAIL = re.compile(EMAIL_PATTERN)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


@frozen
class Email:
    value: str

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise InvalidEmail(field="email")
        normalised = self.value.strip().lower()
        if len(normalised) > 254 or not _EMAIL.match(normalised):
            raise InvalidEmail(f"not an e-mail address: {self.value!r}", field="email")
        object.__setattr__(self, "value", normalised)

    def __str__(self) -> str:
        return self.value


def check_password_strength(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        # Hashing cost grows with length; an unbounded password is a denial-of-service lever.
        raise WeakPassword(
            f"password must have at most {MAX_PASSWORD_LENGTH} characters", field="password"
        )


def check_name(name: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(cleaned) <= 200:
        raise InvalidInput("name must have 1 to 200 characters", field="name")
    return cleaned


@define(slots=False, eq=False)
class User(Aggregate):
    id: str
    email: str
    name: str
    password_hash: str
    role: Role
    created_at: datetime
    version: int = field(default=0, kw_only=True)

    @classmethod
    def register(
        cls, *, user_id: str, email: Email, name: str, password_hash: str, role: Role, now: datetime
    ) -> User:
        user = cls(user_id, email.value, check_name(name), password_hash, role, now)
        user._record(
            UserRegistered(
                occurred_at=now,
                correlation_id=user_id,
                user_id=user_id,
                email=email.value,
                name=user.name,
                role=role.value,
            )
        )
        return user

    def change_password_hash(self, new_hash: str) -> None:
        self.password_hash = new_hash

    def promote_to_admin(self) -> None:
        self.role = Role.ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
