"""Use case: mine stored events into patterns and, in the same pass, error groups, before indexing."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from src.domain.error_groups.fingerprint import fingerprint, group_id
from src.domain.error_groups.group import MAX_HOSTS, ErrorOccurrences
from src.domain.logs import LogEvent
from src.domain.patterns.config import MinerConfig
from src.domain.patterns.masking import Masker
from src.domain.patterns.miner import TemplateMiner
from src.domain.patterns.records import MAX_SAMPLES, MinuteCount, PatternChange, mining_text
from src.domain.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from src.domain.severity import Severity

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Seen:
    """What one batch saw of one pattern."""

    first: datetime
    last: datetime
    samples: list[UUID] = field(default_factory=list)


class MinerCache:
    """In-process miners per (tenant, service), each with the revision of the table it matches.

    Bounded (least recently used dropped): a dropped miner is reloaded from PostgreSQL."""

    def __init__(self, config: MinerConfig | None = None, *, max_miners: int = 1_000) -> None:
        self.config = config or MinerConfig()
        self._max = max_miners
        self._masker = Masker()
        self._miners: OrderedDict[tuple[UUID, str], tuple[TemplateMiner, int]] = OrderedDict()

    def get(self, tenant_id: UUID, service: str, revision: int) -> TemplateMiner | None:
        """The miner if it is as new as `revision`, else None (reload it)."""
        found = self._miners.get((tenant_id, service))
        if found is None or found[1] != revision:
            return None
        self._miners.move_to_end((tenant_id, service))
        return found[0]

    def new(self, tenant_id: UUID, service: str) -> TemplateMiner:
        return TemplateMiner(str(tenant_id), service, self.config, masker=self._masker)

    def keep(self, tenant_id: UUID, service: str, miner: TemplateMiner, revision: int) -> None:
        self._miners[(tenant_id, service)] = (miner, revision)
        self._miners.move_to_end((tenant_id, service))
        while len(self._miners) > self._max:
            self._miners.popitem(last=False)

    def forget(self, tenant_id: UUID, service: str) -> None:
        self._miners.pop((tenant_id, service), None)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class MinePatterns:
    """Rules:
    - events are mined per (tenant, service) (no service: `""`), one transaction each, under that
      pair's lock, so several workers and restarts agree on ids (ids also derive from the template);
    - an event already carrying a pattern id (a retry, another worker) is not mined again: counts
      are added once per event;
    - the in-process miner is reloaded from PostgreSQL when the table moved on (another worker
      mined) or after a failed transaction; merged patterns keep their id and list their aliases;
    - ERROR/FATAL events and stack traces are fingerprinted into error groups in the same
      transaction (src/domain/error_groups/fingerprint.py);
    - events come back with `pattern_id` set, ready for the search index.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, cache: MinerCache) -> None:
        self._uow_factory = uow_factory
        self._cache = cache

    async def execute(self, events: Sequence[LogEvent]) -> list[LogEvent]:
        groups: dict[tuple[UUID, str], list[LogEvent]] = defaultdict(list)
        for event in events:
            if event.pattern_id is None:
                groups[(event.tenant_id, event.service or "")].append(event)
        if not groups:
            return list(events)
        assigned: dict[UUID, str | None] = {}
        for (tenant_id, service), group in groups.items():
            assigned.update(await self._mine(tenant_id, service, group))
        return [replace(e, pattern_id=assigned.get(e.id, e.pattern_id)) for e in events]

    async def _mine(self, tenant_id: UUID, service: str, events: list[LogEvent]) -> dict[UUID, str | None]:
        try:
            async with self._uow_factory() as uow:
                await uow.act_as_tenant(tenant_id)
                revision = await uow.patterns.lock_miner(tenant_id=tenant_id, service=service)
                stored = await uow.patterns.current(tenant_id=tenant_id, events=events)
                todo = [e for e in events if e.id in stored and stored[e.id] is None]
                miner = await self._miner(uow, tenant_id, service, revision)
                mined = await self._record(uow, miner, tenant_id, service, todo) if todo else []
                if mined:
                    revision += 1
                    await uow.patterns.set_revision(tenant_id=tenant_id, service=service, revision=revision)
                await uow.commit()
        except BaseException:
            # The miner may hold what the rolled-back transaction did not store: rebuild it next time.
            self._cache.forget(tenant_id, service)
            raise
        self._cache.keep(tenant_id, service, miner, revision)
        out = dict(stored)
        out.update((e.id, e.pattern_id) for e in mined)
        return out

    async def _miner(self, uow: UnitOfWork, tenant_id: UUID, service: str, revision: int) -> TemplateMiner:
        miner = self._cache.get(tenant_id, service, revision)
        if miner is None:
            miner = self._cache.new(tenant_id, service)
            miner.restore(
                await uow.patterns.load(tenant_id=tenant_id, service=service, limit=self._cache.config.max_patterns)
            )
        return miner

    async def _record(
        self, uow: UnitOfWork, miner: TemplateMiner, tenant_id: UUID, service: str, events: list[LogEvent]
    ) -> list[LogEvent]:
        cpu = time.thread_time()
        first_ids = [miner.add(mining_text(e.message)).pattern_id for e in events]
        # bench/patterns.py --api reads this line for the mining rate (this thread's CPU time: the miner alone).
        logger.info("mined %d events in %.6f s CPU", len(events), time.thread_time() - cpu)
        # Resolved at the end of the batch: a merge later in the batch moves earlier lines too.
        mined = [replace(e, pattern_id=miner.resolve(pid)) for e, pid in zip(events, first_ids, strict=True)]
        seen: dict[str, _Seen] = {}
        minutes: dict[tuple[str, datetime], list[int]] = defaultdict(lambda: [0, 0])
        for event in mined:
            pid = event.pattern_id or ""
            s = seen.get(pid)
            if s is None:
                s = seen[pid] = _Seen(event.timestamp, event.timestamp)
            s.first, s.last = min(s.first, event.timestamp), max(s.last, event.timestamp)
            if len(s.samples) < MAX_SAMPLES:
                s.samples.append(event.id)
            counts = minutes[(pid, _minute(event.timestamp))]
            counts[0] += 1
            counts[1] += event.severity >= Severity.ERROR
        changes = []
        for pid, s in seen.items():
            pattern = miner.get(pid)
            if pattern is None:  # evicted within the batch (a burst of new patterns): nothing to update
                continue
            changes.append(
                PatternChange(
                    id=pid,
                    template=pattern.template,
                    mined_count=pattern.count,
                    aliases=tuple(pattern.aliases),
                    first_seen=s.first,
                    last_seen=s.last,
                    sample_event_ids=tuple(s.samples),
                )
            )
        await uow.patterns.save(tenant_id=tenant_id, service=service, changes=changes)
        await uow.patterns.add_counts(
            tenant_id=tenant_id,
            service=service,
            counts=[MinuteCount(pattern_id=p, minute=m, total=t, errors=e) for (p, m), (t, e) in minutes.items()],
        )
        await uow.patterns.assign(tenant_id=tenant_id, events=mined)
        templates = {c.id: c.template for c in changes}
        await uow.error_groups.record(
            tenant_id=tenant_id, service=service, occurrences=_error_groups(tenant_id, service, mined, templates)
        )
        return mined


def _error_groups(
    tenant_id: UUID, service: str, events: list[LogEvent], templates: dict[str, str]
) -> list[ErrorOccurrences]:
    """Errors of the batch by group: in the same pass as mining, so a group can fall back on the pattern."""
    groups: dict[str, ErrorOccurrences] = {}
    for event in events:
        found = fingerprint(
            event.message,
            is_error=event.severity >= Severity.ERROR,
            pattern_id=event.pattern_id,
            template=templates.get(event.pattern_id or ""),
        )
        if found is None:
            continue
        gid = group_id(str(tenant_id), service, found.key)
        seen = groups.get(gid)
        hosts = (event.host,) if event.host else ()
        if seen is None:
            groups[gid] = ErrorOccurrences(
                id=gid,
                fingerprint=found.key,
                kind=found.kind,
                exception_type=found.exception_type,
                title=found.title,
                frames=found.frames,
                pattern_id=event.pattern_id,
                count=1,
                first_seen=event.timestamp,
                last_seen=event.timestamp,
                hosts=hosts,
                sample_event_ids=(event.id,),
            )
            continue
        new_hosts = tuple(h for h in hosts if h not in seen.hosts)
        groups[gid] = replace(
            seen,
            count=seen.count + 1,
            first_seen=min(seen.first_seen, event.timestamp),
            last_seen=max(seen.last_seen, event.timestamp),
            hosts=(seen.hosts + new_hosts)[:MAX_HOSTS],
            sample_event_ids=((*seen.sample_event_ids, event.id))[:MAX_SAMPLES],
        )
    return list(groups.values())
