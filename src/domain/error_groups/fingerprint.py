"""Error fingerprints: which stored events are "the same error", whatever their ids, times and lines.

An event is an error when its severity is ERROR or worse, or when its message holds a stack trace
(multi-line traces are joined at ingest). A trace fingerprints as the exception type plus the top
application frames (module/class and function, innermost first), normalised: line numbers,
addresses, offsets and generated ids are dropped, so a redeploy that moves code by a few lines
keeps the group. Frames of the runtime and of third-party libraries (`site-packages`,
`node_modules`, `java.`, `runtime.` …) are skipped while application frames exist. An error
without a trace fingerprints as its mined pattern.

Python (`Traceback (most recent call last):`), Java/Kotlin/Scala (`\\tat pkg.Class.method(File.java:12)`,
`Caused by:`), Go (`panic:` + `goroutine N [running]:`) and JavaScript/Node (`    at fn (file.js:1:2)`)
traces are recognised.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from src.domain.patterns.masking import mask

TOP_FRAMES = 3

_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line \d+, in (?P<func>\S+)')
_PY_EXC = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Fault|[A-Z]\w*))(?::\s?(?P<msg>.*))?$"
)
_JAVA_FRAME = re.compile(r"^\s*at (?P<frame>[\w$.<>/]+)\((?P<where>[^)]*)\)\s*$")
_JAVA_EXC = re.compile(
    r'^(?:Exception in thread "[^"]*" |Caused by: )?(?P<type>(?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*)(?::\s?(?P<msg>.*))?$'
)
_JS_FRAME = re.compile(r"^\s*at (?:(?:async )?(?P<func>[^\s(]+) )?\(?(?P<file>[^()\s]+?):\d+(?::\d+)?\)?\s*$")
_JS_EXC = re.compile(r"^(?:Uncaught )?(?P<type>[A-Z][\w$]*(?:Error|Exception)|Error)(?::\s?(?P<msg>.*))?$")
_GO_PANIC = re.compile(r"^panic: (?P<msg>.*)$")
_GO_FRAME = re.compile(r"^(?P<func>[\w./\-*()]+\.[\w.*()\-]+)\(.*\)$")

_PY_LIBRARY = ("site-packages", "dist-packages", "/lib/python", "<frozen", "/usr/lib/")
_JVM_LIBRARY = ("java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "kotlinx.", "scala.", "org.junit.")
_JS_LIBRARY = ("node_modules", "node:", "internal/", "<anonymous>")
# Digits (line numbers, lambda and proxy counters), hex addresses and Go offsets carry no meaning.
_NOISE = re.compile(r"0x[0-9a-fA-F]+|\+0x[0-9a-fA-F]+|\d+")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    kind: str  # "exception" or "pattern"
    key: str  # what the group is: type + frames, or the pattern id
    exception_type: str | None
    frames: tuple[str, ...]
    title: str


@dataclass(frozen=True, slots=True)
class _Trace:
    exception_type: str
    message: str
    frames: list[tuple[str, bool]]  # (normalised frame, is application code)


def _norm(frame: str) -> str:
    return _NOISE.sub("", frame).replace("$$", "$").strip()


def _python(lines: list[str]) -> _Trace | None:
    if not any(line.startswith("Traceback (most recent call last)") for line in lines):
        return None
    frames: list[tuple[str, bool]] = []
    exc: re.Match[str] | None = None
    for line in lines:
        frame = _PY_FRAME.match(line)
        if frame:
            path = frame["file"].replace("\\", "/")
            module = path.rsplit("/", 1)[-1].removesuffix(".py")
            frames.append((_norm(f"{module}.{frame['func']}"), not any(lib in path for lib in _PY_LIBRARY)))
        elif line and not line[0].isspace():
            found = _PY_EXC.match(line.strip())
            if found:
                exc = found  # the last one: the exception that ended the chain
    if exc is None:
        return None
    frames.reverse()  # Python prints the innermost frame last
    return _Trace(exc["type"], exc["msg"] or "", frames)


def _java(lines: list[str]) -> _Trace | None:
    frames: list[tuple[str, bool]] = []
    exc: re.Match[str] | None = None
    for line in lines:
        frame = _JAVA_FRAME.match(line)
        if frame:
            if ":" in frame["where"] and ".java" not in frame["where"] and ".kt" not in frame["where"]:
                return None  # `at fn (file.js:1:2)`: JavaScript, not the JVM
            name = frame["frame"]
            if exc is not None and len(frames) < 50:
                frames.append((_norm(name), not name.startswith(_JVM_LIBRARY)))
        elif exc is None:
            exc = _JAVA_EXC.match(line.strip())
    if exc is None or not frames:
        return None
    return _Trace(exc["type"], exc["msg"] or "", frames)


def _javascript(lines: list[str]) -> _Trace | None:
    frames: list[tuple[str, bool]] = []
    exc: re.Match[str] | None = None
    for line in lines:
        frame = _JS_FRAME.match(line)
        if frame and line[:1].isspace():
            path = frame["file"]
            module = path.rsplit("/", 1)[-1]
            name = f"{module}:{frame['func'] or '<anonymous>'}"
            frames.append((_norm(name), not any(lib in path for lib in _JS_LIBRARY)))
        elif exc is None and not frames:
            exc = _JS_EXC.match(line.strip())
    if exc is None or not frames:
        return None
    return _Trace(exc["type"], exc["msg"] or "", frames)


def _go(lines: list[str]) -> _Trace | None:
    panic = next((m for m in (_GO_PANIC.match(line) for line in lines) if m), None)
    if panic is None or not any(line.startswith("goroutine ") for line in lines):
        return None
    frames: list[tuple[str, bool]] = []
    for line in lines:
        frame = _GO_FRAME.match(line)
        if frame and not line[:1].isspace():
            func = frame["func"]
            # The standard library's import paths have no dot in their first element (`net/http`,
            # `fmt`); a module's do (`github.com/…`), and `main` is the program itself.
            library = "." not in func.split("/", 1)[0] if "/" in func else func.split(".", 1)[0] != "main"
            frames.append((_norm(func.rsplit("/", 1)[-1]), not library))
    # The panic value is the "type": masked, so `index out of range [5]` groups with `[7]`.
    kind = mask(panic["msg"])
    return _Trace(f"panic: {kind}", panic["msg"], frames)


def parse_trace(message: str) -> _Trace | None:
    if "\n" not in message:
        return None
    lines = message.splitlines()[:400]
    for parse in (_python, _go, _java, _javascript):
        trace = parse(lines)
        if trace is not None:
            return trace
    return None


def fingerprint(message: str, *, is_error: bool, pattern_id: str | None, template: str | None) -> Fingerprint | None:
    """The group an event belongs to, or None when it is no error (no trace, severity below ERROR)."""
    trace = parse_trace(message)
    if trace is not None:
        app = [f for f, is_app in trace.frames if is_app] or [f for f, _ in trace.frames]
        top = tuple(app[:TOP_FRAMES])
        key = trace.exception_type + "\n" + "\n".join(top)
        first = mask(trace.message.strip())[:200]
        title = f"{trace.exception_type}: {first}" if first else trace.exception_type
        return Fingerprint("exception", key, trace.exception_type, top, title)
    if not is_error or pattern_id is None:
        return None
    return Fingerprint("pattern", f"pattern:{pattern_id}", None, (), template or message.split("\n", 1)[0][:200])


def group_id(tenant: str, service: str, key: str) -> str:
    """Stable across processes, like pattern ids: a digest of where the error was seen and what it is."""
    digest = hashlib.blake2b(f"{tenant}\x00{service}\x00{key}".encode(), digest_size=8)
    return digest.hexdigest()
