from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Command, Query


@frozen
class RegisterUser(Command):
    email: str
    password: str
    name: str


@frozen
class CreateAdmin(Command):
    """Creates an admin, or promotes the user with this e-mail (the password is then reset)."""

    email: str
    password: str
    name: str = "Admin"


@frozen
class Authenticate(Command):
    """Checks credentials; rehashes the password when the hashing parameters changed."""

    email: str
    password: str


@frozen
class GetUser(Query):
    user_id: str
