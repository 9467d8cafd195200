"""One miner per (tenant, service): tenants never share patterns, nor do a tenant's services.

Memory is bounded per miner (`max_patterns`, `cache_size`) and in number of miners: past
`max_miners`, the least recently used miner is dropped (its
patterns' ids stay valid, since ids derive from tenant, service and template, not from the miner).
"""

from __future__ import annotations

from collections import OrderedDict

from src.domain.patterns.config import MinerConfig
from src.domain.patterns.masking import Masker
from src.domain.patterns.miner import Match, TemplateMiner


class MinerPool:
    def __init__(self, config: MinerConfig | None = None, *, max_miners: int = 1_000) -> None:
        self._config = config or MinerConfig()
        self._max_miners = max_miners
        self._miners: OrderedDict[tuple[str, str], TemplateMiner] = OrderedDict()
        self._masker = Masker()

    def __len__(self) -> int:
        return len(self._miners)

    def miner(self, tenant: str, service: str) -> TemplateMiner:
        key = (tenant, service)
        miner = self._miners.get(key)
        if miner is None:
            miner = self._miners[key] = TemplateMiner(tenant, service, self._config, masker=self._masker)
            while len(self._miners) > self._max_miners:
                self._miners.popitem(last=False)
        else:
            self._miners.move_to_end(key)
        return miner

    def add(self, tenant: str, service: str, line: str) -> Match:
        return self.miner(tenant, service).add(line)
