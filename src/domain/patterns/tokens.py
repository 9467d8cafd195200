"""From a masked line to the token list the miner compares: split, fold repeats, cap the length."""

from __future__ import annotations

from src.domain.patterns.masking import WILDCARD

_MAX_UNIT = 3


def tokenize(masked: str, *, max_tokens: int) -> list[str]:
    tokens = masked.split()
    if masked.count(WILDCARD) >= 2:
        tokens = fold_repeats(tokens)
    if len(tokens) > max_tokens:
        # Words past the limit are one variable tail: a huge line costs no more than a long one.
        tokens = [*tokens[: max_tokens - 1], WILDCARD]
    return tokens or [""]


def fold_repeats(tokens: list[str]) -> list[str]:
    """Keep one copy of a repeated run of up to three tokens that holds a value.

    Variable-length lists (`node-<*> <ok> node-<*> <ok> …`, `<*> and <*> and <*>`) are one
    parameter of variable length: folded, every length of the list lands on the same template.
    """
    out: list[str] = []
    for token in tokens:
        out.append(token)
        for unit in range(1, _MAX_UNIT + 1):
            repeated = len(out) >= 2 * unit and out[-unit:] == out[-2 * unit : -unit]
            if repeated and any(WILDCARD in t for t in out[-unit:]):
                del out[-unit:]
                break
    return out
