"""The outlier model as scikit-learn's IsolationForest."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from src.domain.ports.outlier_model import OutlierModel


class SklearnIsolationForest(OutlierModel):
    """IsolationForest's anomaly score s = 2^(-E[h]/c(n)) is ≈ 0.5 or less for ordinary points and
    tends to 1 for isolated ones; (s - 0.5) / 0.5, clipped, puts it in [0, 1]. A fixed random
    state makes a re-run over the same windows give the same scores (idempotent runs)."""

    def __init__(self, *, trees: int = 100, max_samples: int = 256, seed: int = 0) -> None:
        self._trees = trees
        self._max_samples = max_samples
        self._seed = seed

    def score(self, *, train: Sequence[Sequence[float]], test: Sequence[Sequence[float]]) -> list[float]:
        if not test:
            return []
        # Imported here: scikit-learn takes a second to load, which processes that never score skip.
        from sklearn.ensemble import IsolationForest

        x_train = np.asarray(train, dtype=float)
        forest = IsolationForest(
            n_estimators=self._trees,
            max_samples=min(self._max_samples, len(x_train)),
            random_state=self._seed,
        ).fit(x_train)
        s = -forest.score_samples(np.asarray(test, dtype=float))
        return [float(v) for v in np.clip((s - 0.5) / 0.5, 0.0, 1.0)]
