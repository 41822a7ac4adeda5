"""argon2id hashing (OWASP: m=19 MiB, t=2, p=1), run in threads so the event loop keeps serving.

A semaphore bounds how many hashes run at once: each takes 19 MiB and a core for tens of
milliseconds, and a burst of logins must queue rather than exhaust the machine.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

OWASP = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}


class Argon2PasswordHasher:
    def __init__(
        self,
        *,
        time_cost: int = OWASP["time_cost"],
        memory_cost: int = OWASP["memory_cost"],
        parallelism: int = OWASP["parallelism"],
        max_concurrent: int = 4,
    ) -> None:
        self._argon2 = Argon2(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._slots = asyncio.Semaphore(max_concurrent)
        self._dummy_hash = self._argon2.hash("not-a-real-password")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        await self.verify(self._dummy_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
