from __future__ import annotations

from attrs import frozen

from commerce_core.shared.events import Event


@frozen(kw_only=True)
class UserRegistered(Event):
    user_id: str
    email: str
    name: str
    role: str
