"""Which OpenSearch release runs on the JDKs found, and the cache that holds it."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.adapters.embedded.opensearch_dist import Jdk, cache_root, choose
from src.adapters.embedded.service import LaunchError


def test_the_newest_release_a_jdk_can_run_is_chosen_with_the_newest_such_jdk() -> None:
    j17, j21, j25 = Jdk(Path("/j17"), 17), Jdk(Path("/j21"), 21), Jdk(Path("/j25"), 25)
    assert choose([j25, j17]) == ("3.6.0", j25)  # 3.x needs Java 21+
    assert choose([j21, j17]) == ("3.6.0", j21)
    assert choose([j17]) == ("2.19.6", j17)


def test_without_a_usable_jdk_the_error_says_what_was_found() -> None:
    with pytest.raises(LaunchError, match="needs Java 11"):
        choose([Jdk(Path("/j8"), 8)])
    with pytest.raises(LaunchError, match="no JDK"):
        choose([])


def test_the_engine_is_cached_per_user_and_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_root() == tmp_path / "logplane" / "opensearch"
