#!/usr/bin/env bash
# The real syslog senders the tests drive (tests/integration/syslog): rsyslog, syslog-ng and
# util-linux's `logger`, from Debian's packages, installed only when missing.
#
# rsyslog and syslog-ng-core cannot both be installed with apt-get: each Provides and Conflicts
# with `system-log-daemon`. So rsyslog is installed as a package, and syslog-ng-core's .deb is
# fetched with `apt-get download` and unpacked into .venv/opt/syslog-ng (its libraries installed
# as packages); the tests run that binary with LD_LIBRARY_PATH and --module-path. A system-wide
# syslog-ng (when it is the installed daemon) is used instead if present.
#
# Needs root or password-less sudo to install; without either it says what is missing and stops
# quietly (the tests then skip with that reason, or fail under CI=1).
set -euo pipefail
cd "$(dirname "$0")/.."

SNG_DIR=.venv/opt/syslog-ng
SNG_LIBS="libivykis0 libnet1 libwrap0 libpcre3 libcap2 libjson-c5 libglib2.0-0 libssl3 libsystemd0"

if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  SUDO="none"
fi

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
missing_packages() { for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done; }
updated=""
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ "$SUDO" = "none" ]; then
    echo "syslog-senders: missing $*; run as root (or with sudo) to install them" >&2
    return 1
  fi
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; then
    [ -n "$updated" ] && return 1
    updated=1
    $SUDO apt-get update -q
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  fi
}

if ! command -v apt-get >/dev/null 2>&1; then
  echo "syslog-senders: no apt-get here; install rsyslog, syslog-ng and util-linux's logger yourself" >&2
  exit 0
fi
have logger || apt_install bsdutils || exit 0
have rsyslogd || apt_install rsyslog || exit 0
if ! have syslog-ng && [ ! -x "$SNG_DIR/usr/sbin/syslog-ng" ]; then
  # shellcheck disable=SC2086
  apt_install $(missing_packages $SNG_LIBS) || exit 0
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -q syslog-ng-core 2>/dev/null || { $SUDO apt-get update -q && apt-get download -q syslog-ng-core; })
  mkdir -p "$SNG_DIR"
  dpkg-deb -x "$tmp"/syslog-ng-core_*.deb "$SNG_DIR"
  echo "syslog-senders: syslog-ng-core unpacked into $SNG_DIR"
fi
