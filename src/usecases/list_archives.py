"""Use case: the tenant's archive objects in a time range, with presigned download URLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from src.domain.archive import Manifest, manifest_prefix
from src.domain.credentials import Principal, Scope
from src.domain.ports.archive_store import ArchiveStore


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveEntry:
    key: str
    task_id: str
    date: str
    rows: int
    bytes: int
    sha256: str
    min_timestamp: datetime
    max_timestamp: datetime
    url: str


class ListArchives:
    """Rules: `read` scope; only the tenant's own manifests (its prefix) are listed; URLs expire."""

    def __init__(self, store: ArchiveStore, *, url_ttl_seconds: int = 900) -> None:
        self._store = store
        self._ttl = url_ttl_seconds

    async def execute(
        self, *, principal: Principal, start: datetime | None, end: datetime | None
    ) -> list[ArchiveEntry]:
        principal.require(Scope.READ)
        entries: list[ArchiveEntry] = []
        for listed in await self._store.list(prefix=manifest_prefix(principal.tenant_id)):
            raw = await self._store.get(key=listed.key)
            if raw is None:
                continue
            manifest = Manifest.from_json(raw)
            if manifest.tenant_id != principal.tenant_id:
                continue
            for obj in manifest.objects:
                if (start and obj.max_timestamp < start) or (end and obj.min_timestamp > end):
                    continue
                entries.append(
                    ArchiveEntry(
                        key=obj.key,
                        task_id=str(manifest.task_id),
                        date=obj.day.isoformat(),
                        rows=obj.rows,
                        bytes=obj.bytes,
                        sha256=obj.sha256,
                        min_timestamp=obj.min_timestamp,
                        max_timestamp=obj.max_timestamp,
                        url=await self._store.presign(key=obj.key, expires_seconds=self._ttl),
                    )
                )
        return sorted(entries, key=lambda e: (e.min_timestamp, e.key))
