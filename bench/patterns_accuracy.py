"""Grouping and parsing accuracy of a template miner's output (Zhu et al., ICSE-SEIP 2019)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

_SPACES = re.compile(r"\s+")
# Runs of wildcards joined by spaces or punctuation: `<*>:<*>` (address and port) is one value.
_WILDCARDS = re.compile(r"<\*>(?:[\s,;:/@#_.\-+]*<\*>)+")


def grouping_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of lines whose predicted group holds exactly the lines of their true group."""
    truth_sizes = Counter(truth)
    members: dict[str, list[str]] = defaultdict(list)
    for true_label, label in zip(truth, predicted, strict=True):
        members[label].append(true_label)
    correct = 0
    for labels in members.values():
        first = labels[0]
        if all(label == first for label in labels) and truth_sizes[first] == len(labels):
            correct += len(labels)
    return correct / len(truth)


def normalise_template(template: str) -> str:
    """Whitespace and runs of joined `<*>` do not count: `a <*>:<*> b` equals `a <*> b`."""
    return _WILDCARDS.sub("<*>", _SPACES.sub(" ", template.strip()))


def parsing_accuracy(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of lines whose predicted template string equals the true template (normalised)."""
    same = sum(
        normalise_template(true) == normalise_template(mined) for true, mined in zip(truth, predicted, strict=True)
    )
    return same / len(truth)
