"""An online template miner for one tenant's service: Drain's fixed-depth tree with a merge step.

Drain (He et al., ICWS 2017) routes a masked line by its token count and first word to a leaf of a
few patterns, and joins the most similar one if it is similar enough. Three additions:

- **Settled patterns.** After `settle_after` lines with the same words, a pattern's words are
  taken as constant: a line that differs in one of them is a new pattern, not a reason to turn a
  word that never varied into `<*>` (`… by client WindowsUpdateAgent` 600 times, then
  `… by client SPP`).
- **Merge.** When a template generalises, sibling patterns it now covers fold into it. The pattern
  that generalised keeps its id; the others' ids become its aliases (`resolve` follows them), so
  events stored under an alias still find their pattern. This also undoes an early split once a
  third value shows that a settled word was a variable after all.
- **Bounded memory.** At most `max_patterns` live patterns; the least recently matched is
  forgotten first. Ids derive from the first template, so when a forgotten pattern's first line
  comes back it is born again under the same id (`restore` carries whole patterns over restarts).

An exact-match memo of masked lines skips the tree for lines seen before (most of any log).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from src.domain.patterns.config import MinerConfig
from src.domain.patterns.masking import Masker
from src.domain.patterns.pattern import Pattern, pattern_id
from src.domain.patterns.tokens import tokenize
from src.domain.patterns.tree import Node, ParseTree


@dataclass(frozen=True, slots=True)
class Match:
    pattern_id: str
    template: str
    created: bool


class TemplateMiner:
    def __init__(
        self, tenant: str, service: str, config: MinerConfig | None = None, *, masker: Masker | None = None
    ) -> None:
        self.tenant = tenant
        self.service = service
        self.config = config or MinerConfig()
        self._tree = ParseTree(depth=self.config.depth, max_children=self.config.max_children)
        self._masker = masker or Masker()
        # Live patterns from least to most recently matched: the eviction order.
        self._patterns: OrderedDict[str, Pattern] = OrderedDict()
        self._leaf_of: dict[str, Node] = {}
        self._aliases: dict[str, str] = {}
        self._cache: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._patterns)

    def patterns(self) -> list[Pattern]:
        return list(self._patterns.values())

    def get(self, pid: str) -> Pattern | None:
        return self._patterns.get(self.resolve(pid))

    def resolve(self, pid: str) -> str:
        """The live id for `pid`: itself, or the pattern it was merged into."""
        while pid in self._aliases:
            pid = self._aliases[pid]
        return pid

    def add(self, line: str) -> Match:
        if len(line) > self.config.max_chars:
            # Cut at a space: half a word would be a word of its own and split the template.
            head = line[: self.config.max_chars].rsplit(maxsplit=1)
            line = head[0] if head else ""
        masked = self._masker.mask(line)
        cached = self._cache.get(masked)
        if cached is not None:
            pattern = self._patterns.get(self.resolve(cached))
            if pattern is not None:
                return self._hit(pattern, created=False)
        tokens = tokenize(masked, max_tokens=self.config.max_tokens)
        leaf = self._tree.leaf(tokens)
        pattern = self._best(leaf, tokens)
        created = pattern is None
        if pattern is None:
            pattern = self._create(leaf, tokens)
        elif pattern.absorb(tokens):
            self._merge_into(pattern, leaf)
        if len(self._cache) >= self.config.cache_size:
            self._cache.clear()
        self._cache[masked] = pattern.id
        return self._hit(pattern, created=created)

    def restore(self, patterns: Iterable[Pattern]) -> None:
        """Load patterns saved from an earlier miner (a restart): their ids and aliases carry on."""
        for saved in patterns:
            tokens = list(saved.tokens)
            pattern = Pattern(id=saved.id, tokens=tokens, count=saved.count, aliases=list(saved.aliases))
            self._add(self._tree.leaf(tokens), pattern)
            for alias in pattern.aliases:
                self._aliases[alias] = pattern.id

    def _best(self, leaf: Node, tokens: list[str]) -> Pattern | None:
        best: Pattern | None = None
        best_score = self.config.similarity
        settle = self.config.settle_after
        for candidate in leaf.patterns:
            if candidate.count >= settle and not candidate.keeps_words(tokens):
                continue
            score = candidate.similarity(tokens)
            if score > best_score or (best is None and score == best_score):
                best, best_score = candidate, score
        return best

    def _create(self, leaf: Node, tokens: list[str]) -> Pattern:
        pid = pattern_id(self.tenant, self.service, " ".join(tokens))
        existing = self._patterns.get(pid)
        if existing is not None:
            # The same first template under another leaf (a full node re-routed it): one pattern.
            return existing
        pattern = Pattern(id=pid, tokens=list(tokens))
        self._add(leaf, pattern)
        # A pattern born again under an id that was merged away is live under that id once more.
        self._aliases.pop(pid, None)
        return pattern

    def _add(self, leaf: Node, pattern: Pattern) -> None:
        leaf.patterns.append(pattern)
        self._patterns[pattern.id] = pattern
        self._leaf_of[pattern.id] = leaf
        while len(self._patterns) > self.config.max_patterns:
            self._evict()

    def _merge_into(self, survivor: Pattern, leaf: Node) -> None:
        for other in list(leaf.patterns):
            if other is survivor or not survivor.covers(other.tokens):
                continue
            leaf.patterns.remove(other)
            del self._patterns[other.id]
            del self._leaf_of[other.id]
            survivor.count += other.count
            # A reborn id may sit in both lists; an alias of itself would make `resolve` loop.
            for alias in (other.id, *other.aliases):
                if alias != survivor.id and alias not in survivor.aliases:
                    survivor.aliases.append(alias)
                    self._aliases[alias] = survivor.id

    def _evict(self) -> None:
        pid, pattern = self._patterns.popitem(last=False)
        self._leaf_of.pop(pid).patterns.remove(pattern)
        for alias in pattern.aliases:
            self._aliases.pop(alias, None)

    def _hit(self, pattern: Pattern, *, created: bool) -> Match:
        pattern.count += 1
        self._patterns.move_to_end(pattern.id)
        return Match(pattern.id, pattern.template, created)
