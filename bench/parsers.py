#!/usr/bin/env python
"""Parser benchmark: lines per second on one core, per format, through auto-detect and directly.

    python bench/parsers.py [--lines N] [--repeat R] [--markdown PATH]

For each format, N realistic generated lines (seeded, so every run sees the same text) are parsed
in this one process, R times; the best run counts. Time is the process's CPU time
(`time.process_time`), not wall time: on a shared machine a run waiting for a core would otherwise
count the wait as parsing. The wall-clock rate of the same best run is printed alongside. Two
figures per format:

- `detect()`: `ParserRegistry().detect(line)` — the ingest path with auto-detection, so it includes
  the pre-checks of every parser tried before the one that matches;
- `parse()`: the format's own parser called directly (what `parse_with(name, …)` costs, minus the
  registry's text clean-up).

Extra rows: a mixed stream (all formats interleaved), a tenant with one custom RE2 parser in front
of the built-ins, and `join_multiline` over a stream with Java and Python stack traces.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from src.domain.parsing.access_log import AccessLogParser
from src.domain.parsing.json_lines import JsonLinesParser
from src.domain.parsing.logfmt import LogfmtParser
from src.domain.parsing.multiline import join_multiline
from src.domain.parsing.raw import raw_draft
from src.domain.parsing.regex_parser import compile_custom
from src.domain.parsing.registry import ParserRegistry
from src.domain.parsing.syslog import SyslogParser

START = datetime(2025, 11, 25, 8, 0, tzinfo=UTC)
SERVICES = ["api", "billing", "auth", "search", "worker"]
LEVELS = ["debug", "info", "info", "info", "info", "warn", "error"]
PATHS = ["/api/v1/logs", "/api/v1/logs/bulk", "/healthz", "/static/app.3f9a.js", "/login?next=%2Fdash", "/favicon.ico"]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "curl/8.5.0",
    "Go-http-client/1.1",
]
WORDS = ("request", "served", "user", "logged", "in", "cache", "miss", "retry", "upstream", "timeout", "reset", "queue")


def _ts(rng: random.Random, i: int) -> datetime:
    return START + timedelta(milliseconds=i * 37 + rng.randrange(30))


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def json_line(rng: random.Random, i: int) -> str:
    record = {
        "time": _ts(rng, i).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": rng.choice(LEVELS),
        "msg": _words(rng, 6),
        "service": rng.choice(SERVICES),
        "host": f"ip-10-0-{rng.randrange(255)}-{rng.randrange(255)}",
        "trace_id": f"{rng.getrandbits(128):032x}",
        "span_id": f"{rng.getrandbits(64):016x}",
        "http": {"method": "GET", "path": rng.choice(PATHS), "status": rng.choice([200, 200, 201, 404, 500])},
        "duration_ms": round(rng.random() * 250, 3),
    }
    return orjson.dumps(record).decode()


def access_line(rng: random.Random, i: int) -> str:
    client = (
        f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
        if rng.random() < 0.2
        else f"{rng.randrange(1, 255)}.{rng.randrange(255)}.{rng.randrange(255)}.{rng.randrange(255)}"
    )
    when = _ts(rng, i).strftime("%d/%b/%Y:%H:%M:%S +0000")
    status = rng.choice([200, 200, 200, 304, 404, 500])
    referer = rng.choice(["-", "https://example.com/dash"])
    return (
        f'{client} - - [{when}] "{rng.choice(["GET", "GET", "POST"])} {rng.choice(PATHS)} HTTP/1.1" '
        f'{status} {rng.randrange(100, 90000)} "{referer}" "{rng.choice(AGENTS)}"'
    )


def syslog5424_line(rng: random.Random, i: int) -> str:
    when = _ts(rng, i).isoformat(timespec="microseconds").replace("+00:00", "Z")
    return (
        f"<{rng.choice([134, 131, 132, 165])}>1 {when} web-{rng.randrange(9)}.example.com {rng.choice(SERVICES)} "
        f'{rng.randrange(1, 65535)} ID{rng.randrange(99)} [exampleSDID@32473 iut="3" eventSource="Application" '
        f'eventID="{rng.randrange(9999)}"][origin ip="10.0.0.{rng.randrange(255)}"] {_words(rng, 8)}'
    )


def syslog3164_line(rng: random.Random, i: int) -> str:
    when = _ts(rng, i).strftime("%b %e %H:%M:%S")
    pri = f"<{rng.choice([13, 30, 38, 86])}>" if i % 2 else ""
    tag = rng.choice(["sshd", "CRON", "systemd", "kernel", "postfix/smtpd"])
    return f"{pri}{when} host-{rng.randrange(20)} {tag}[{rng.randrange(1, 40000)}]: {_words(rng, 8)}"


def logfmt_line(rng: random.Random, i: int) -> str:
    when = _ts(rng, i).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return (
        f'ts={when} level={rng.choice(LEVELS)} msg="{_words(rng, 5)}" service={rng.choice(SERVICES)} '
        f"method=GET path={rng.choice(PATHS)} status={rng.choice([200, 404, 500])} duration={rng.random():.4f}s"
    )


def raw_line(rng: random.Random, i: int) -> str:
    when = _ts(rng, i).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    return rng.choice(
        [
            f"{when} {rng.choice(['INFO', 'WARNING', 'ERROR'])} [{rng.choice(SERVICES)}] {_words(rng, 8)}",
            f"E1125 08:00:{i % 60:02d}.123456 {rng.randrange(9999)} server.go:{rng.randrange(500)}] {_words(rng, 6)}",
            f"[{rng.choice(['error', 'notice', 'warn'])}] {_words(rng, 9)}",
        ]
    )


CUSTOM_PATTERN = r"^(?P<timestamp>\S+ \S+) (?P<severity>[A-Z]+) \[(?P<service>[^\]]+)\] (?P<message>.*)$"

FORMATS: dict[str, tuple[Callable[[random.Random, int], str], Callable[[str], object] | None]] = {
    "json": (json_line, JsonLinesParser().parse),
    "access_log": (access_line, AccessLogParser().parse),
    "syslog (RFC 5424)": (syslog5424_line, SyslogParser().parse),
    "syslog (RFC 3164)": (syslog3164_line, SyslogParser().parse),
    "logfmt": (logfmt_line, LogfmtParser().parse),
    "raw (fallback)": (raw_line, raw_draft),
}


Rate = tuple[float, float]  # lines per CPU second, lines per wall second


def _timed(work: Callable[[], object], n: int, repeat: int) -> Rate:
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        work()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return n / best_cpu, n / best_wall


def _rate(lines: list[str], call: Callable[[str], object], repeat: int) -> Rate:
    def work() -> None:
        for line in lines:
            call(line)

    return _timed(work, len(lines), repeat)


def _rate_join(lines: list[str], repeat: int) -> Rate:
    def work() -> None:
        for _event in join_multiline(lines):
            pass

    return _timed(work, len(lines), repeat)


def trace_stream(rng: random.Random, n: int) -> list[str]:
    lines: list[str] = []
    while len(lines) < n:
        lines.append(raw_line(rng, len(lines)))
        if rng.random() < 0.1:
            lines += [
                "java.lang.IllegalStateException: boom",
                *[f"\tat com.example.C{k}.run(C.java:{k})" for k in range(20)],
            ]
            lines += ["Caused by: java.io.IOException: reset", "\tat sun.nio.Net.read(Net.java:1)", "\t... 20 more"]
        elif rng.random() < 0.05:
            lines += ["Traceback (most recent call last):", '  File "app.py", line 3, in <module>', "    main()"]
            lines += ["ValueError: bad input"]
    return lines[:n]


def _fmt(rate: Rate) -> str:
    return f"{rate[0]:,.0f} ({rate[1]:,.0f})"


def run(n: int, repeat: int) -> list[tuple[str, str, str]]:
    rng = random.Random(20251125)
    registry = ParserRegistry()
    tenant = ParserRegistry([compile_custom("app", CUSTOM_PATTERN)])
    rows: list[tuple[str, str, str]] = []
    samples: dict[str, list[str]] = {}
    for name, (make, parse) in FORMATS.items():
        lines = samples[name] = [make(rng, i) for i in range(n)]
        assert all(registry.detect(line).attributes["parser"] == _expected(name) for line in lines[:2000]), name
        direct = _fmt(_rate(lines, parse, repeat)) if parse else "-"
        rows.append((name, _fmt(_rate(lines, registry.detect, repeat)), direct))
    mixed = [line for group in zip(*samples.values(), strict=True) for line in group][:n]
    rows.append(("mixed (all of the above interleaved)", _fmt(_rate(mixed, registry.detect, repeat)), "-"))
    custom_lines = [line for line in samples["raw (fallback)"] if line[:1].isdigit()]
    custom = compile_custom("app", CUSTOM_PATTERN)
    rows.append(
        (
            "custom RE2 parser (matching lines)",
            _fmt(_rate(custom_lines, tenant.detect, repeat)),
            _fmt(_rate(custom_lines, custom.parse, repeat)),
        )
    )
    rows.append(
        ("json, tenant with 1 custom parser in front", _fmt(_rate(samples["json"], tenant.detect, repeat)), "-")
    )
    rows.append(("join_multiline (lines/s, 10% Java traces)", "-", _fmt(_rate_join(trace_stream(rng, n), repeat))))
    return rows


def _expected(name: str) -> str:
    return {"syslog (RFC 5424)": "syslog", "syslog (RFC 3164)": "syslog", "raw (fallback)": "raw"}.get(name, name)


def markdown(rows: Iterable[tuple[str, str, str]], n: int, repeat: int) -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "unknown CPU")
    out = [
        f"Python {platform.python_version()}, {cpu}, one process, {n:,} lines per format, best of {repeat}, "
        f"GC on; load average at the end {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs).",
        "",
        "| format | detect() lines/s (wall) | parse() lines/s (wall) |",
        "|---|---:|---:|",
    ]
    out += [f"| {name} | {detect} | {direct} |" for name, detect, direct in rows]
    return "\n".join(out) + "\n"


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    gc.collect()
    table = markdown(run(args.lines, args.repeat), args.lines, args.repeat)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)


if __name__ == "__main__":
    main()
