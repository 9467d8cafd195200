#!/usr/bin/env bash
# Build local stand-ins for the public images docker-compose.yml pulls, for a Docker engine that
# cannot reach a registry (our build machines: Debian's mirror, PyPI and Maven Central only).
# Each image is made from Debian packages or from what logplane's embedded stack already uses;
# README.md says where each differs from the image it stands in for. Then:
#   docker compose -f infra/docker-compose.yml -f infra/standins/compose.yml up --build -d
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT

# Debian root file systems made by debootstrap, imported as base images (nothing to pull).
for suite in bookworm sid; do
    if ! docker image inspect "logplane-standin/debian:$suite" >/dev/null 2>&1; then
        command -v debootstrap >/dev/null || { echo "needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }
        debootstrap --variant=minbase "$suite" "$ctx/rootfs-$suite" http://deb.debian.org/debian >/dev/null
        rm -rf "$ctx/rootfs-$suite"/var/cache/apt/archives/*.deb
        tar -C "$ctx/rootfs-$suite" -c . | docker import - "logplane-standin/debian:$suite" >/dev/null
        rm -rf "$ctx/rootfs-$suite"
    fi
done

cp "$here"/*.Dockerfile "$here"/*-entrypoint.sh "$ctx/"
mkdir -p "$ctx/ca"
cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true

build() {  # name tag dockerfile [docker build options…]
    local name=$1 tag=$2 file=$3
    shift 3
    echo "building logplane-standin/$name:$tag"
    docker build -q -f "$ctx/$file" -t "logplane-standin/$name:$tag" "$@" "$ctx" >/dev/null
}

build python 3.11-slim python.Dockerfile
build postgres 15 postgres.Dockerfile
build redis 7 redis.Dockerfile
build nginx sid nginx.Dockerfile

# OpenSearch: the distribution and JDK logplane's embedded engine uses (fetched with Maven if needed).
read -r os_home jdk_home < <(cd "$repo" && "$python" -c \
    'from src.adapters.embedded.opensearch_dist import ensure_distribution as e; d = e(); print(d.home, d.jdk.home)')
# -L: a JDK links files to /etc/java-* or the host's certificate store, absent from the image.
cp -aL "$os_home" "$ctx/opensearch"
cp -aL "$jdk_home" "$ctx/jdk"
build opensearch 3 opensearch.Dockerfile
rm -rf "$ctx/opensearch" "$ctx/jdk"

# LocalStack: localstack-core with the embedded adapter's pins, on this machine's Python >= 3.13.
read -r py_prefix packages < <(cd "$repo" && "$python" -c '
import subprocess
from src.adapters.embedded.localstack import PACKAGES, find_python
python = find_python()
assert python, "no Python >= 3.13 here: LocalStack cannot be built"
prefix = subprocess.run([python, "-c", "import sys; print(sys.base_prefix)"], capture_output=True, text=True, check=True)
print(prefix.stdout.strip(), " ".join(PACKAGES))')
# Only a self-contained interpreter tree (pyenv, python-build-standalone) can be copied in: a
# distribution's Python lives in /usr beside everything else.
case "$py_prefix" in
    /usr | /usr/local)
        echo "the Python >= 3.13 found lives in $py_prefix; point LOGPLANE_LOCALSTACK_PYTHON at a" \
             "self-contained one (e.g. pyenv install 3.13)" >&2
        exit 1 ;;
esac
cp -a "$py_prefix" "$ctx/python"
build localstack core localstack.Dockerfile --build-arg "PYTHON_PREFIX=$py_prefix" --build-arg "PACKAGES=$packages"
