"""Password hashing with argon2 (pwdlib), off the event loop.

An argon2 hash costs tens of milliseconds of CPU and 64 MiB: done in a thread (argon2-cffi releases the
GIL) so the AMI consumer and the FastAGI intake keep running, and at most ``concurrency`` at a time so
that a login flood cannot eat the machine's memory.
"""

from __future__ import annotations

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class Passwords:
    def __init__(self, hasher: PasswordHash | None = None, *, concurrency: int = 2) -> None:
        self._hasher = hasher or PasswordHash.recommended()
        self._slots = asyncio.Semaphore(concurrency)
        self._dummy: str | None = None

    @classmethod
    def fast_for_tests(cls) -> Passwords:
        """Argon2id with tiny costs: the same code path, milliseconds instead of tens of them."""
        return cls(PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),)))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """With ``hashed`` None (no such user) a dummy hash is still checked, so that a wrong username
        costs as long as a wrong password and does not tell which usernames exist."""
        if hashed is None:
            if self._dummy is None:
                self._dummy = await self.hash("ec112-no-such-user-dummy")
            async with self._slots:
                await asyncio.to_thread(self._hasher.verify, password, self._dummy)
            return False
        async with self._slots:
            return bool(await asyncio.to_thread(self._hasher.verify, password, hashed))
