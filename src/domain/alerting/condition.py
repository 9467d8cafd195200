"""An alert rule's condition, written as people say it: `count > 100 in 5m`, `error_ratio > 5% in 10m`,
`new_pattern in 15m`, `new_error_group in 1h`, `anomaly_score >= 0.8 in 10m`.

Every kind yields one number per evaluation (events counted, a ratio, how many new patterns or
error groups appeared, the highest anomaly score), which the comparator holds against the threshold.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from src.domain.errors import InvalidInput


class RuleKind(StrEnum):
    COUNT = "count"
    ERROR_RATIO = "error_ratio"
    NEW_PATTERN = "new_pattern"
    NEW_ERROR_GROUP = "new_error_group"
    ANOMALY_SCORE = "anomaly_score"

    @property
    def reads_events(self) -> bool:
        """Count and ratio are computed from the stored events; the others from analytics signals."""
        return self in (RuleKind.COUNT, RuleKind.ERROR_RATIO)


COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_WINDOW_SECONDS = 60
MAX_WINDOW_SECONDS = 7 * 86400
_SHAPE = re.compile(
    r"^\s*(?P<kind>[a-z_ ]+?)\s*(?:(?P<op>>=|<=|>|<)\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<pct>%)?)?"
    r"\s+in\s+(?P<win>\d{1,6})(?P<unit>[smhd])\s*$"
)
_KIND_SPELLINGS = {"error ratio": "error_ratio", "new pattern": "new_pattern", "new error group": "new_error_group"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    kind: RuleKind
    comparator: str
    threshold: float
    window_seconds: int

    def breached(self, value: float) -> bool:
        return COMPARATORS[self.comparator](value, self.threshold)

    def describe(self) -> str:
        """The canonical spelling (ratios as percentages), what the API shows back."""
        window = _window_text(self.window_seconds)
        if self.kind is RuleKind.ERROR_RATIO:
            return f"error_ratio {self.comparator} {_number(self.threshold * 100)}% in {window}"
        return f"{self.kind.value} {self.comparator} {_number(self.threshold)} in {window}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _window_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_condition", details={"field": "condition"})


def parse_condition(text: str) -> Condition:
    """`<kind> [<op> <number>[%]] in <window>`; new_pattern/new_error_group default to `> 0`."""
    match = _SHAPE.match(text.lower()) if len(text) <= 200 else None
    if match is None:
        raise _invalid(
            "write the condition as '<kind> <op> <number> in <window>', e.g. 'count > 100 in 5m', "
            "'error_ratio > 5% in 10m', 'new_pattern in 15m', 'anomaly_score >= 0.8 in 10m'"
        )
    spelled = " ".join(match["kind"].split())
    try:
        kind = RuleKind(_KIND_SPELLINGS.get(spelled, spelled))
    except ValueError:
        raise _invalid(
            f"unknown condition kind {spelled!r}; kinds are {', '.join(k.value for k in RuleKind)}"
        ) from None
    window = int(match["win"]) * _UNITS[match["unit"]]
    if not MIN_WINDOW_SECONDS <= window <= MAX_WINDOW_SECONDS:
        raise _invalid("the window is between 1m and 7d")
    if match["op"] is None:
        if kind not in (RuleKind.NEW_PATTERN, RuleKind.NEW_ERROR_GROUP):
            raise _invalid(f"{kind.value} needs a comparison, e.g. '{kind.value} > 10 in 5m'")
        return Condition(kind=kind, comparator=">", threshold=0.0, window_seconds=window)
    threshold = float(match["num"])
    if kind is RuleKind.ERROR_RATIO:
        # `5%` and `0.05` say the same; a bare number above 1 can only be meant as a percentage.
        if match["pct"] or threshold > 1:
            threshold /= 100
        if threshold > 1:
            raise _invalid("an error ratio is at most 100%")
    elif match["pct"]:
        raise _invalid(f"'%' only applies to error_ratio, not {kind.value}")
    return Condition(kind=kind, comparator=match["op"], threshold=threshold, window_seconds=window)
