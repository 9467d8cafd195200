"""The miner's few knobs. Defaults are general: nothing here is set per system or per tenant."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class MinerConfig:
    # Tree depth as in Drain: token count, then the first `depth - 2` words, then a leaf. Routing by
    # one word only keeps a variable second word (`User alice …`) from splitting a template.
    depth: int = 3
    # A line joins the most similar pattern in its leaf if at least this share of the positions
    # that are not values on both sides hold the same word.
    similarity: float = 0.6
    # A pattern that has matched this many lines without its words changing is settled: a line
    # with another word in one of those positions starts a new pattern instead of generalising it.
    settle_after: int = 10
    max_children: int = 64
    # Bounded memory: live patterns per (tenant, service); the least recently matched go first.
    max_patterns: int = 2_000
    # Only the head of a line is mined: the cost of a line is bounded whatever its length, and
    # what tells one template from another is nearly always in its first words.
    max_chars: int = 2_048
    max_tokens: int = 64
    # Exact-match memo of masked lines (per miner), cleared when full.
    cache_size: int = 5_000
