"""Port: an unsupervised outlier model over feature vectors (IsolationForest, LOF …)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Protocol


class OutlierModel(Protocol):
    @abstractmethod
    def score(self, *, train: Sequence[Sequence[float]], test: Sequence[Sequence[float]]) -> list[float]:
        """Fit on `train` (which may include `test`) and return, for each `test` vector, how much of
        an outlier it is in [0, 1]: 0 = typical, 1 = as isolated as it gets. Deterministic for the
        same input. CPU-bound: callers run it off the event loop."""
