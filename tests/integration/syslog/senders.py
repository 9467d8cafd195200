"""The real syslog senders, each run by a test as an instance of its own: its own config file, pid
file and work directory in tmp, unprivileged ports only.

A sender that is not installed fails the test under CI (CI set) and skips it elsewhere, naming
the fix (`make syslog-senders`, which installs Debian's packages: .ci/syslog-senders.sh).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
UNPACKED_SYSLOG_NG = ROOT / ".venv" / "opt" / "syslog-ng"


def _missing(what: str) -> None:
    reason = f"{what} is not installed: run `make syslog-senders` as root (it installs Debian's packages)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _find(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None
    )


def logger_binary() -> str:
    found = _find("logger")
    if found is None:
        _missing("util-linux's logger")
    assert found is not None
    return found


def logger(port: int, message: str, *options: str) -> None:
    """`logger -n 127.0.0.1 -P port <options> message`: util-linux's logger, sending once."""
    subprocess.run([logger_binary(), "-n", "127.0.0.1", "-P", str(port), *options, message], check=True, timeout=30)


@dataclass
class Daemon:
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _start(argv: list[str], work: Path, env: dict[str, str] | None = None) -> Daemon:
    log = work / "daemon.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    return Daemon(process, log)


def start_rsyslog(work: Path, config: str) -> Daemon:
    """rsyslogd in the foreground with `config` (no system defaults: no imuxsock, no /dev/log)."""
    binary = _find("rsyslogd")
    if binary is None:
        _missing("rsyslog (rsyslogd)")
    assert binary is not None
    (work / "spool").mkdir(exist_ok=True)
    conf = work / "rsyslog.conf"
    conf.write_text(f'global(workDirectory="{work / "spool"}")\n' + config)
    check = subprocess.run([binary, "-N1", "-f", str(conf)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    return _start([binary, "-n", "-f", str(conf), "-i", str(work / "rsyslogd.pid")], work)


def _syslog_ng() -> tuple[str, list[str], dict[str, str]]:
    system = _find("syslog-ng")
    if system is not None:
        return system, [], {}
    unpacked = UNPACKED_SYSLOG_NG / "usr" / "sbin" / "syslog-ng"
    if not unpacked.exists():
        _missing("syslog-ng (syslog-ng-core)")
    lib = UNPACKED_SYSLOG_NG / "usr" / "lib" / "syslog-ng"
    modules = next(p for p in lib.iterdir() if p.is_dir() and re.fullmatch(r"\d+\.\d+", p.name))
    return str(unpacked), [f"--module-path={modules}"], {"LD_LIBRARY_PATH": str(lib)}


def start_syslog_ng(work: Path, config: str) -> Daemon:
    """syslog-ng in the foreground with `config`, its persist file, pid file and control socket in `work`."""
    binary, extra, env = _syslog_ng()
    version = subprocess.run([binary, *extra, "--version"], capture_output=True, text=True, env={**os.environ, **env})
    found = re.search(r"Installer-Version: (\d+\.\d+)", version.stdout)
    assert found, version.stdout + version.stderr
    conf = work / "syslog-ng.conf"
    conf.write_text(f"@version: {found.group(1)}\n" + config)
    common = [
        *extra,
        f"--cfgfile={conf}",
        f"--persist-file={work / 'syslog-ng.persist'}",
        f"--pidfile={work / 'syslog-ng.pid'}",
        f"--control={work / 'syslog-ng.ctl'}",
        "--no-caps",
    ]
    check = subprocess.run(
        [binary, *common, "--syntax-only"], capture_output=True, text=True, env={**os.environ, **env}
    )
    assert check.returncode == 0, check.stdout + check.stderr
    return _start([binary, *common, "--foreground", "--stderr"], work, env)
