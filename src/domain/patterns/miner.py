"""An online template miner for one tenant's service: Drain's fixed-depth tree with a merge step.

Drain (He et al., ICWS 2017) routes a masked line by its token count, then by its first words, to a
leaf holding a few patterns, and joins the most similar one if it is similar enough. Two additions:

- **Merge.** When a template generalises (a word became `<*>`), any sibling pattern it now covers
  is folded in: the older pattern keeps its id and records the other's id as an alias, so events
  already stored under the alias still find their pattern.
- **Bounded memory.** At most `max_patterns` live patterns; the least recently matched one is
  forgotten first. Ids are derived from the template, so a forgotten pattern that comes back is
  born again under the same id.

An exact-match cache of masked lines skips the tree for the lines seen before (most of any log).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from src.domain.patterns.masking import WILDCARD, Masker
from src.domain.patterns.pattern import Pattern, pattern_id
from src.domain.patterns.tokens import tokenize


@dataclass(frozen=True, slots=True, kw_only=True)
class MinerConfig:
    depth: int = 4
    similarity: float = 0.6
    max_children: int = 64
    max_patterns: int = 5_000
    max_tokens: int = 64
    cache_size: int = 50_000


@dataclass(frozen=True, slots=True)
class Match:
    pattern_id: str
    template: str
    created: bool


class _Node:
    __slots__ = ("children", "patterns")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.patterns: list[Pattern] = []


class TemplateMiner:
    def __init__(self, tenant: str, service: str, config: MinerConfig | None = None) -> None:
        self.tenant = tenant
        self.service = service
        self.config = config or MinerConfig()
        self._root = _Node()
        # Live patterns in least- to most-recently matched order (the eviction order).
        self._patterns: OrderedDict[str, Pattern] = OrderedDict()
        self._leaf_of: dict[str, _Node] = {}
        self._aliases: dict[str, str] = {}
        self._cache: dict[str, str] = {}
        self._masker = Masker()

    def __len__(self) -> int:
        return len(self._patterns)

    def patterns(self) -> list[Pattern]:
        return list(self._patterns.values())

    def resolve(self, pid: str) -> str:
        """The live id for `pid`: itself, or the pattern it was merged into."""
        while pid in self._aliases:
            pid = self._aliases[pid]
        return pid

    def add(self, line: str) -> Match:
        masked = self._masker.mask(line)
        cached = self._cache.get(masked)
        if cached is not None:
            pattern = self._patterns.get(self.resolve(cached))
            if pattern is not None:
                return self._hit(pattern, created=False)
        tokens = tokenize(masked, max_tokens=self.config.max_tokens)
        leaf = self._leaf(tokens)
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

    def _leaf(self, tokens: list[str]) -> _Node:
        node = self._root.children.get(str(len(tokens)))
        if node is None:
            node = self._root.children[str(len(tokens))] = _Node()
        for token in tokens[: self.config.depth - 2]:
            # A word with punctuation inside is usually a value the masks missed (a name, a key):
            # routing it under `<*>` keeps such lines together, as Drain does with digits.
            key = token if token.isalpha() else WILDCARD
            child = node.children.get(key)
            if child is None:
                if len(node.children) >= self.config.max_children:
                    key = WILDCARD
                    child = node.children.get(key)
                if child is None:
                    child = node.children[key] = _Node()
            node = child
        return node

    def _best(self, leaf: _Node, tokens: list[str]) -> Pattern | None:
        best: Pattern | None = None
        best_score = self.config.similarity
        for candidate in leaf.patterns:
            score = candidate.similarity(tokens)
            if score >= best_score and (best is None or score > best_score):
                best, best_score = candidate, score
        return best

    def _create(self, leaf: _Node, tokens: list[str]) -> Pattern:
        template = " ".join(tokens)
        pattern = Pattern(id=pattern_id(self.tenant, self.service, template), tokens=list(tokens))
        existing = self._patterns.get(pattern.id)
        if existing is not None:
            return existing
        leaf.patterns.append(pattern)
        self._patterns[pattern.id] = pattern
        self._leaf_of[pattern.id] = leaf
        self._aliases.pop(pattern.id, None)
        if len(self._patterns) > self.config.max_patterns:
            self._evict()
        return pattern

    def _merge_into(self, survivor: Pattern, leaf: _Node) -> None:
        for other in list(leaf.patterns):
            if other is survivor or not survivor.covers(other.tokens):
                continue
            leaf.patterns.remove(other)
            del self._patterns[other.id]
            del self._leaf_of[other.id]
            survivor.count += other.count
            survivor.aliases.extend([other.id, *other.aliases])
            self._aliases[other.id] = survivor.id

    def _evict(self) -> None:
        pid, pattern = self._patterns.popitem(last=False)
        self._leaf_of.pop(pid).patterns.remove(pattern)
        for alias in pattern.aliases:
            self._aliases.pop(alias, None)

    def _hit(self, pattern: Pattern, *, created: bool) -> Match:
        pattern.count += 1
        self._patterns.move_to_end(pattern.id)
        return Match(pattern.id, pattern.template, created)
