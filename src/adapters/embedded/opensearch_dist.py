"""The real OpenSearch engine as a local install: a JDK to run it and the distribution from Maven Central.

The distribution is `org.opensearch.distribution.integ-test-zip:opensearch:<version>:zip`: the engine
with its bundled modules (HTTP transport, painless, reindex/delete-by-query, analysis-common) and no
plugins, so no security plugin either. Maven fetches it by name, once, into the user cache
(`~/.cache/logplane/opensearch/<version>`, or `$XDG_CACHE_HOME`); later starts reuse the unpacked tree.

OpenSearch 3.x needs Java 21 or newer; 2.x runs on Java 11/17. We pick the newest release whose Java
floor a JDK on this machine meets.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from src.adapters.embedded.service import LaunchError

# Newest first: (minimum Java feature release, OpenSearch version).
RELEASES: tuple[tuple[int, str], ...] = (
    (21, "3.6.0"),
    (11, "2.19.6"),
)
_ARTIFACT = "org.opensearch.distribution.integ-test-zip:opensearch:{version}:zip"
# Pinned: the dependency plugin Maven 3.8 defaults to (2.8) is a decade old.
_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
_JVM_ROOTS = (Path("/usr/lib/jvm"), Path("/usr/java"), Path("/opt/java"))


@dataclass(frozen=True, slots=True)
class Jdk:
    home: Path
    feature: int  # 17, 21, 25 …


@dataclass(frozen=True, slots=True)
class Distribution:
    home: Path  # the unpacked opensearch-<version> directory
    version: str
    jdk: Jdk


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "logplane" / "opensearch"


def _feature(home: Path) -> int | None:
    """The Java feature release from a JDK's `release` file (`JAVA_VERSION="17.0.15"` → 17)."""
    try:
        text = (home / "release").read_text()
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(?:1\.)?(\d+)', text, re.MULTILINE)
    return int(match.group(1)) if match and (home / "bin" / "java").exists() else None


def find_jdks() -> list[Jdk]:
    """JDKs named by the environment or installed in the usual places, newest first."""
    candidates = [Path(p) for p in (os.environ.get("OPENSEARCH_JAVA_HOME"), os.environ.get("JAVA_HOME")) if p]
    for root in _JVM_ROOTS:
        if root.is_dir():
            candidates += sorted(root.iterdir())
    if java := shutil.which("java"):
        candidates.append(Path(java).resolve().parent.parent)
    seen: dict[Path, Jdk] = {}
    for home in candidates:
        resolved = home.resolve()
        if resolved not in seen and (feature := _feature(resolved)) is not None:
            seen[resolved] = Jdk(resolved, feature)
    return sorted(seen.values(), key=lambda j: j.feature, reverse=True)


def choose(jdks: list[Jdk]) -> tuple[str, Jdk]:
    """The newest OpenSearch release some JDK can run, and the newest such JDK."""
    for floor, version in RELEASES:
        for jdk in jdks:
            if jdk.feature >= floor:
                return version, jdk
    found = ", ".join(f"Java {j.feature} at {j.home}" for j in jdks) or "no JDK"
    raise LaunchError(f"opensearch: needs Java {RELEASES[-1][0]}+ (found {found}); install a JDK")


def ensure_distribution(version: str | None = None) -> Distribution:
    """A runnable OpenSearch: fetched with Maven on first use, unpacked once into the user cache."""
    jdks = find_jdks()
    chosen, jdk = choose(jdks)
    if version is not None:
        floor = dict((v, f) for f, v in RELEASES).get(version, RELEASES[0][0])
        jdk = next((j for j in jdks if j.feature >= floor), jdk)
    version = version or chosen
    target = cache_root() / version
    home = target / f"opensearch-{version}"
    if (home / "bin" / "opensearch").exists():
        return Distribution(home, version, jdk)
    target.mkdir(parents=True, exist_ok=True)
    # Two test sessions may start at once: one fetches, the other waits and then reuses.
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "bin" / "opensearch").exists():
            _fetch_and_unpack(version, target, jdk)
    return Distribution(home, version, jdk)


def _fetch_and_unpack(version: str, target: Path, jdk: Jdk) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise LaunchError("opensearch: Maven (`mvn`) is not installed; it fetches the engine from Maven Central")
    with tempfile.TemporaryDirectory(dir=target) as tmp:
        args = [
            mvn,
            "-B",
            "-q",
            f"{_DEPENDENCY_PLUGIN}:copy",
            f"-Dartifact={_ARTIFACT.format(version=version)}",
            f"-DoutputDirectory={tmp}",
        ]
        env = {**os.environ, "JAVA_HOME": os.environ.get("JAVA_HOME") or str(jdk.home)}
        done = subprocess.run(args, cwd=tmp, env=env, capture_output=True, text=True, timeout=1800, check=False)
        archive = Path(tmp) / f"opensearch-{version}.zip"
        if done.returncode != 0 or not archive.exists():
            raise LaunchError(f"opensearch: `mvn dependency:copy` of {version} failed:\n{done.stdout[-3000:]}")
        unpacked = Path(tmp) / "unpacked"
        _unzip(archive, unpacked)
        # Renamed into place last, so a half-unpacked tree is never taken for a finished one.
        (unpacked / f"opensearch-{version}").rename(target / f"opensearch-{version}")


def _unzip(archive: Path, into: Path) -> None:
    """Unpack keeping the Unix modes zipfile drops (bin/opensearch must stay executable)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = Path(zf.extract(info, into))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                path.chmod(mode)
