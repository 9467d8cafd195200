"""A mined pattern: a template of tokens, where `<*>` stands for a variable part."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from src.domain.patterns.masking import WILDCARD


def pattern_id(tenant: str, service: str, template: str) -> str:
    """The id a pattern is born with: a digest of where it was mined and its first template.

    Derived, not drawn: two workers (or one after a restart) that mine the same line for the same
    tenant and service name the new pattern alike without talking to each other. The id never
    changes afterwards, even when the template generalises or other patterns merge into it.
    """
    digest = hashlib.blake2b(f"{tenant}\x00{service}\x00{template}".encode(), digest_size=8)
    return digest.hexdigest()


@dataclass(slots=True)
class Pattern:
    id: str
    tokens: list[str]
    count: int = 0
    # Ids of the patterns merged into this one: events stored under them belong here now.
    aliases: list[str] = field(default_factory=list)

    @property
    def template(self) -> str:
        return " ".join(self.tokens)

    def similarity(self, tokens: list[str]) -> float:
        """Share of positions where the line repeats the template's constant word.

        Wildcards count for nothing, so a template that is mostly `<*>` cannot swallow every line
        of its length: a line joins on the strength of the words both share. A word that holds a
        wildcard (`blk_<*>`, `/<*>`) is mostly value, so it is no evidence either.
        """
        same = 0
        blank = 0
        for mine, theirs in zip(self.tokens, tokens, strict=True):
            if mine == theirs:
                if WILDCARD in mine:
                    blank += 1
                else:
                    same += 1
        return same / (len(tokens) - blank) if blank < len(tokens) else 1.0

    def covers(self, tokens: list[str]) -> bool:
        """Whether every word of `tokens` is this template's word or falls under one of its `<*>`."""
        return all(mine in (theirs, WILDCARD) for mine, theirs in zip(self.tokens, tokens, strict=True))

    def keeps_words(self, tokens: list[str]) -> bool:
        """Whether `tokens` repeats every plain word of the template (values may differ)."""
        return all(WILDCARD in mine or mine == theirs for mine, theirs in zip(self.tokens, tokens, strict=True))

    def absorb(self, tokens: list[str]) -> bool:
        """Generalise the template to cover `tokens`; return whether it changed."""
        changed = False
        for i, (mine, theirs) in enumerate(zip(self.tokens, tokens, strict=True)):
            if mine != theirs and mine != WILDCARD:
                self.tokens[i] = WILDCARD
                changed = True
        return changed
