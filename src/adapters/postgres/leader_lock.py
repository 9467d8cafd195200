"""A PostgreSQL session advisory lock held on a dedicated connection: released if the process dies."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from src.domain.ports.leader_lock import LeaderLock


class PostgresLeaderLock(LeaderLock):
    def __init__(self, engine: AsyncEngine, *, key: int) -> None:
        self._engine = engine
        self._key = key
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))
                return True
            except Exception:
                # The connection died, and the lock with it: try again below.
                await self.release()
        conn = await self._engine.connect()
        got = bool((await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})).scalar_one())
        await conn.commit()
        if got:
            self._conn = conn
        else:
            await conn.close()
        return got

    async def release(self) -> None:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                await self._conn.commit()
            except Exception:
                pass
            finally:
                await self._conn.close()
                self._conn = None
