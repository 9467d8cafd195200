"""LogQL, the part Grafana sends: stream selectors, line filters, `| json`/`| logfmt` (fields are
already structured: passed through), `| drop`, label filters, and the metric queries of the log
volume (`sum by (level) (count_over_time({…}[1m]))`, `rate`, `bytes_over_time`, `bytes_rate`).
Anything else is refused naming the construct."""

from __future__ import annotations

import re
from dataclasses import dataclass

import re2

from src.domain.logql.errors import LogQLError, unsupported
from src.domain.logql.labels import field_of
from src.domain.querylang.ast import And, Compare, CompareOp, Equals, Exists, Expr, MatchAll, Not, Or, Regex
from src.domain.querylang.fields import as_number
from src.domain.severity import Severity
from src.domain.text import require_storable

MAX_REGEX = 1024
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
RANGE_FUNCTIONS = ("count_over_time", "rate", "bytes_over_time", "bytes_rate")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DURATION = re.compile(r"(?:\d+(?:ms|s|m|h|d|w|y))+")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_LEVEL_SPELLINGS = {s.name.lower(): s for s in Severity} | {
    "warning": Severity.WARN, "err": Severity.ERROR, "critical": Severity.FATAL, "crit": Severity.FATAL,
    "dbg": Severity.DEBUG, "information": Severity.INFO,
}  # fmt: skip
NOTHING: Expr = Not(MatchAll())


def duration_seconds(text: str) -> float:
    return sum(int(n) * _UNITS[u] for n, u in _PART.findall(text))


@dataclass(frozen=True, slots=True)
class LogQuery:
    filter: Expr


@dataclass(frozen=True, slots=True)
class MetricQuery:
    filter: Expr
    function: str  # one of RANGE_FUNCTIONS
    range_seconds: float
    by: tuple[str, ...] | None  # labels of `sum by (…)`; None: one series per stream


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> LogQLError:
        return LogQLError(message, column=self.pos + 1)

    def space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def take(self, token: str) -> bool:
        self.space()
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str, what: str) -> None:
        if not self.take(token):
            raise self.error(f"syntax error: unexpected {self.peek_word()!r}, expecting {what}")

    def peek_word(self) -> str:
        self.space()
        match = re.compile(r"\S{1,20}").match(self.text, self.pos)
        return match.group() if match else "end of input"

    def ident(self) -> str:
        self.space()
        match = _IDENT.match(self.text, self.pos)
        if not match:
            raise self.error(f"syntax error: unexpected {self.peek_word()!r}, expecting an identifier")
        self.pos = match.end()
        return match.group()

    def peek_ident(self) -> str | None:
        self.space()
        match = _IDENT.match(self.text, self.pos)
        return match.group() if match else None

    def string(self) -> str:
        self.space()
        quote = self.text[self.pos : self.pos + 1]
        if quote == "`":
            end = self.text.find("`", self.pos + 1)
            if end < 0:
                raise self.error("syntax error: unterminated raw string")
            value = self.text[self.pos + 1 : end]
            self.pos = end + 1
            return value
        if quote != '"':
            raise self.error(f"syntax error: unexpected {self.peek_word()!r}, expecting a string")
        out: list[str] = []
        i = self.pos + 1
        escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
        while i < len(self.text):
            char = self.text[i]
            if char == "\\" and i + 1 < len(self.text):
                nxt = self.text[i + 1]
                out.append(escapes.get(nxt, "\\" + nxt))
                i += 2
                continue
            if char == '"':
                self.pos = i + 1
                return "".join(out)
            out.append(char)
            i += 1
        raise self.error("syntax error: unterminated string")


def _regex(pattern: str, scanner: _Scanner) -> str:
    if len(pattern) > MAX_REGEX:
        raise scanner.error(f"regular expression longer than {MAX_REGEX} characters")
    try:
        re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as e:
        raise scanner.error(f"invalid regular expression {pattern!r}") from e
    return pattern


def _severities(pattern: str) -> Expr:
    compiled = re2.compile(f"^(?:{pattern})$")
    found = sorted({int(s) for spelling, s in _LEVEL_SPELLINGS.items() if compiled.search(spelling)})
    return Or(tuple(Equals("severity", n) for n in found)) if found else NOTHING


def _matcher(label: str, op: str, value: str, scanner: _Scanner) -> Expr:
    field = field_of(label)
    if op in ("=~", "!~"):
        pattern = _regex(value, scanner)
        positive = _severities(pattern) if field == "severity" else Regex(field, f"^(?:{pattern})$")
    elif value == "":
        positive = Not(Exists(field))  # label="" matches streams without the label
    elif field == "severity":
        level = _LEVEL_SPELLINGS.get(value.lower())
        positive = Equals("severity", int(level)) if level else NOTHING
    else:
        positive = Equals(field, value)
    return Not(positive) if op in ("!=", "!~") else positive


def _comparison(scanner: _Scanner) -> str:
    scanner.space()
    for op in ("==", "=~", "!~", "!=", ">=", "<=", "=", ">", "<"):
        if scanner.text.startswith(op, scanner.pos):
            scanner.pos += len(op)
            return op
    raise scanner.error(f"syntax error: unexpected {scanner.peek_word()!r}, expecting a comparison")


class LogQLParser:
    def __init__(self, text: str) -> None:
        self.s = _Scanner(text)

    def parse(self) -> LogQuery | MetricQuery:
        s = self.s
        s.space()
        result: LogQuery | MetricQuery
        result = LogQuery(self._log()) if s.text.startswith("{", s.pos) else self._metric()
        s.space()
        if s.pos < len(s.text):
            raise s.error(f"syntax error: unexpected {s.peek_word()!r}")
        return result

    def _metric(self) -> MetricQuery:
        s = self.s
        start = s.pos
        name = s.ident()
        if name == "sum":
            by = self._grouping()
            s.expect("(", "(")
            inner = self._metric()
            s.expect(")", ")")
            if by is None:
                by = self._grouping()
            if inner.by is not None:
                raise unsupported("nested aggregations", start + 1)
            return MetricQuery(inner.filter, inner.function, inner.range_seconds, by or ())
        if name not in RANGE_FUNCTIONS:
            raise unsupported(f"function {name!r}", start + 1)
        s.expect("(", "(")
        flt = self._log()
        s.expect("[", "a range like [5m]")
        s.space()
        match = _DURATION.match(s.text, s.pos)
        if not match or duration_seconds(match.group()) <= 0:
            raise s.error("syntax error: expecting a duration like 5m")
        s.pos = match.end()
        s.expect("]", "]")
        s.expect(")", ")")
        return MetricQuery(flt, name, duration_seconds(match.group()), None)

    def _grouping(self) -> tuple[str, ...] | None:
        s = self.s
        word = s.peek_ident()
        if word == "without":
            raise unsupported("without", s.pos + 1)
        if word != "by":
            return None
        s.ident()
        s.expect("(", "(")
        labels: list[str] = []
        if not s.take(")"):
            labels.append(s.ident())
            while s.take(","):
                labels.append(s.ident())
            s.expect(")", ")")
        return tuple(labels)

    def _log(self) -> Expr:
        s = self.s
        s.expect("{", "{")
        parts: list[Expr] = []
        selective = False  # Loki wants one matcher that an absent label cannot satisfy
        if not s.take("}"):
            while True:
                label = s.ident()
                op = _comparison(s)
                if op not in ("=", "!=", "=~", "!~"):
                    raise s.error(f"syntax error: unexpected {op!r} in a stream selector")
                value = s.string()
                parts.append(_matcher(label, op, value, s))
                matches_empty = re2.search(f"^(?:{value})$", "") is not None if "~" in op else value == ""
                selective |= (op in ("=", "=~") and not matches_empty) or (op == "!~" and matches_empty)
                if s.take("}"):
                    break
                s.expect(",", "',' or '}'")
        if not selective:
            raise LogQLError(
                "queries require at least one regexp or equality matcher that does not have an "
                'empty-compatible value. For instance, app=~".*" does not meet this requirement, '
                'but app=~".+" will'
            )
        parts += self._stages()
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _stages(self) -> list[Expr]:
        s = self.s
        out: list[Expr] = []
        while True:
            s.space()
            at = s.pos
            for op in ("|=", "!=", "|~", "!~"):
                if s.text.startswith(op, s.pos):
                    s.pos += 2
                    value = s.string()
                    if s.peek_ident() == "or":
                        raise unsupported("'or' in a line filter", s.pos + 1)
                    pattern = _regex(value, s) if op[1] == "~" else re2.escape(value)
                    if value == "" and op == "|=":
                        break
                    line = Regex("message", pattern)
                    out.append(Not(line) if op[0] == "!" else line)
                    break
            else:
                if not s.text.startswith("|", s.pos):
                    return out
                s.pos += 1
                name = s.peek_ident()
                if name in ("json", "logfmt"):
                    s.ident()
                    s.space()
                    if s.pos < len(s.text) and s.text[s.pos] not in "|)[":
                        raise unsupported(f"{name} with parameters", s.pos + 1)
                elif name == "drop":
                    s.ident()
                    s.ident()
                    while s.take(","):
                        s.ident()
                elif name in (
                    "line_format",
                    "label_format",
                    "unwrap",
                    "pattern",
                    "regexp",
                    "unpack",
                    "decolorize",
                    "keep",
                ):
                    raise unsupported(name, at + 1)
                elif name is None:
                    raise s.error(f"syntax error: unexpected {s.peek_word()!r} after '|'")
                else:
                    out.append(self._label_filter())
            if s.pos == at:
                return out

    def _label_filter(self) -> Expr:
        s = self.s
        expr = self._one_label_filter()
        while True:
            word = s.peek_ident()
            if word == "and" or s.text[s.pos : s.pos + 1] == ",":
                if word == "and":
                    s.ident()
                else:
                    s.pos += 1
                expr = And((expr, self._one_label_filter()))
            elif word == "or":
                s.ident()
                expr = Or((expr, self._one_label_filter()))
            else:
                return expr

    def _one_label_filter(self) -> Expr:
        s = self.s
        label = s.ident()
        op = _comparison(s)
        s.space()
        if s.text[s.pos : s.pos + 1] in ('"', "`"):
            value = s.string()
            if op in (">", ">=", "<", "<="):
                raise unsupported("comparing a label with a string", s.pos)
            return _matcher(label, "=" if op == "==" else op, value, s)
        match = _NUMBER.match(s.text, s.pos)
        if not match:
            raise s.error(f"syntax error: unexpected {s.peek_word()!r}, expecting a string or a number")
        as_duration = _DURATION.match(s.text, s.pos)
        if as_duration and as_duration.end() > match.end():
            raise unsupported("duration and bytes label filters", s.pos + 1)
        s.pos = match.end()
        number = as_number(match.group())
        assert number is not None
        field = field_of(label)
        equal = And((Compare(field, ">=", number), Compare(field, "<=", number)))
        if op in ("=", "=="):
            return equal
        if op == "!=":
            return Not(equal)
        if op in ("=~", "!~"):
            raise s.error("syntax error: a regular expression needs a string")
        compare_op: CompareOp = op  # type: ignore[assignment]
        return Compare(field, compare_op, number)


def parse_logql(text: str) -> LogQuery | MetricQuery:
    if len(text) > 8000:
        raise LogQLError("query too long (at most 8,000 characters)")
    require_storable(text, field="query")  # values are bound into SQL
    return LogQLParser(text).parse()
