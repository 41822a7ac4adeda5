from __future__ import annotations

from commerce_core.notifications.preferences import NotificationPreferences


class MemoryNotificationPreferencesRepository:
    """The embedded mode's store of channel choices (values are frozen: kept as they are)."""

    def __init__(self) -> None:
        self._by_user: dict[str, NotificationPreferences] = {}

    async def get(self, user_id: str) -> NotificationPreferences | None:
        return self._by_user.get(user_id)

    async def save(self, preferences: NotificationPreferences) -> None:
        self._by_user[preferences.user_id] = preferences
