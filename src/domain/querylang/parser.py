"""The filter grammar, parsed by hand in one pass (so errors can name the column):

filter  := or
or      := and ("OR" and)*
and     := unary (["AND"] unary)*
unary   := ("NOT" | "-") unary | primary
primary := "(" or ")" | field ":" value | "phrase" | word | word* | *
"""

from __future__ import annotations

from datetime import datetime

import re2

from src.domain.querylang.ast import (
    And,
    Compare,
    CompareOp,
    Equals,
    Exists,
    Expr,
    MatchAll,
    Not,
    Or,
    Range,
    Regex,
    Text,
    Wildcard,
)
from src.domain.querylang.fields import Kind, kind_of, known_fields_hint, typed_value
from src.domain.querylang.scanner import DELIMITERS, Scanner
from src.domain.querylang.text import tokens

MAX_DEPTH = 32
MAX_REGEX_LENGTH = 256
_RANGE_STOP = frozenset(" \t\r\n]}")
_FIELD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.max_mem = 1 << 20  # a pattern that needs more than 1 MiB of automaton is refused
_RE2_OPTIONS.log_errors = False


class FilterParser:
    def __init__(self, scanner: Scanner, *, now: datetime) -> None:
        self.s = scanner
        self.now = now
        self.depth = 0

    def parse(self) -> Expr:
        self.s.skip_space()
        if self.s.at_end() or self.s.peek() == "|":
            return MatchAll()
        return self._or()

    def _or(self) -> Expr:
        items = [self._and()]
        while True:
            self.s.skip_space()
            if not self.s.keyword("OR"):
                break
            items.append(self._and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def _and(self) -> Expr:
        items = [self._unary()]
        while True:
            self.s.skip_space()
            if self.s.at_end() or self.s.peek() in ")|":
                break
            start = self.s.pos
            if self.s.keyword("OR"):
                self.s.pos = start
                break
            self.s.keyword("AND")
            items.append(self._unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def _unary(self) -> Expr:
        negations = 0
        while True:  # a loop, not recursion: "NOT NOT NOT …" costs no stack
            self.s.skip_space()
            if self.s.keyword("NOT"):
                negations += 1
            elif self.s.peek() == "-" and self.s.text[self.s.pos + 1 : self.s.pos + 2] not in (
                "",
                " ",
                "\t",
                "\n",
                "\r",
            ):
                self.s.pos += 1
                negations += 1
            else:
                break
        expr = self._primary()
        for _ in range(negations):
            expr = Not(expr)
        return expr

    def _primary(self) -> Expr:
        s = self.s
        s.skip_space()
        char = s.peek()
        if not char:
            raise s.error('expected a term (a word, a "phrase" or field:value) but the query ended')
        if char == "(":
            return self._group()
        if char == ")":
            raise s.error("unexpected ')': it closes no '('")
        if char == "|":
            raise s.error("expected a term before '|'")
        if char == '"':
            start = s.pos
            return self._text(s.phrase(), start, prefix=False)
        if s.keyword("AND") or s.keyword("OR"):
            raise s.error("expected a term before this operator", at=s.pos - 2)
        start = s.pos
        name_end = start
        while name_end < len(s.text) and s.text[name_end] in _FIELD_CHARS:
            name_end += 1
        first = s.text[start]
        if name_end > start and s.text[name_end : name_end + 1] == ":" and (first.isalpha() or first == "_"):
            s.pos = name_end + 1
            return self._field(s.text[start:name_end], start)
        word = s.bare()
        if word == "*":
            return MatchAll()
        if "*" in word[:-1]:
            raise s.error(
                "a wildcard in free text goes at the end of a word (pay*); for a field write host:web-*", at=start
            )
        return self._text(word.removesuffix("*"), start, prefix=word.endswith("*"))

    def _group(self) -> Expr:
        s = self.s
        opened = s.pos
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise s.error(f"parentheses nest deeper than {MAX_DEPTH}")
        s.pos += 1
        s.skip_space()
        if s.peek() == ")":
            raise s.error("empty parentheses: put a term inside")
        expr = self._or()
        s.skip_space()
        if s.peek() != ")":
            raise s.error(f"expected ')' to close the '(' opened at column {opened + 1}")
        s.pos += 1
        self.depth -= 1
        return expr

    def _text(self, text: str, start: int, *, prefix: bool) -> Text:
        words = tokens(text)
        if not words:
            raise self.s.error(f"nothing to search for in {text!r}: words need letters or digits", at=start)
        return Text(words, prefix=prefix)

    def _field(self, name: str, start: int) -> Expr:
        s = self.s
        kind = kind_of(name)
        if kind is None:
            raise s.error(f"unknown field {name!r}; use {known_fields_hint()}", at=start)
        at = s.pos
        char = s.peek()
        if not char or char in " \t\r\n)|":
            raise s.error(f'expected a value after "{name}:"')
        if char == "(":
            raise s.error(f"a list of values is written ({name}:a OR {name}:b)")
        if char == "*" and s.text[at + 1 : at + 2] in ("", *DELIMITERS):
            s.pos += 1
            return MatchAll() if kind in (Kind.TEXT, Kind.TIME, Kind.SEVERITY) or name == "id" else Exists(name)
        if char == "~":
            return self._regex(name, kind)
        if char in "<>":
            return self._compare(name, kind)
        if char in "[{":
            return self._range(name, kind)
        value, quoted = s.value()
        if kind is Kind.TEXT:
            if not quoted and "*" in value[:-1]:
                raise s.error(
                    "a wildcard in message goes at the end of a word (message:pay*); or use message:~regex", at=at
                )
            prefix = not quoted and value.endswith("*")
            return self._text(value.removesuffix("*") if prefix else value, at, prefix=prefix)
        if not quoted and ("*" in value or "?" in value):
            if kind in (Kind.SEVERITY, Kind.TIME):
                raise s.error(f"{name} takes no wildcards; use a comparison ({name}:>=…)", at=at)
            return Wildcard(name, value)
        return Equals(name, self._typed(name, kind, value, at, ordered=False))

    def _typed(self, name: str, kind: Kind, text: str, at: int, *, ordered: bool) -> str | float | int | datetime:
        try:
            return typed_value(name, kind, text, now=self.now, ordered=ordered)
        except ValueError as e:
            hint = "a time like now-1h, 2024-05-01T12:00:00Z or epoch seconds" if kind is Kind.TIME else str(e)
            raise self.s.error(f"{text!r} is not a valid {name} value ({hint})", at=at) from e

    def _regex(self, name: str, kind: Kind) -> Expr:
        s = self.s
        s.pos += 1
        at = s.pos
        if kind in (Kind.SEVERITY, Kind.TIME):
            raise s.error(f"{name} cannot be matched by a regular expression", at=at - 1)
        pattern, _ = s.value()
        if not pattern:
            raise s.error(f'expected a regular expression after "{name}:~"')
        if len(pattern) > MAX_REGEX_LENGTH:
            raise s.error(f"regular expressions are limited to {MAX_REGEX_LENGTH} characters", at=at)
        try:
            re2.compile(pattern, options=_RE2_OPTIONS)
        except re2.error as e:
            reason = e.args[0].decode(errors="replace") if e.args and isinstance(e.args[0], bytes) else str(e)
            raise s.error(f"not a valid RE2 regular expression ({reason})", at=at) from e
        return Regex(name, pattern)

    def _compare(self, name: str, kind: Kind) -> Expr:
        s = self.s
        op_start = s.pos
        op = s.text[s.pos]
        s.pos += 1
        if s.peek() == "=":
            op += "="
            s.pos += 1
        if kind is Kind.TEXT:
            raise s.error("message cannot be compared; search words or use message:~regex", at=op_start)
        at = s.pos
        value, _ = s.value()
        if not value:
            raise s.error(f'expected a value after "{name}:{op}"')
        assert op in (">", ">=", "<", "<=")
        compare_op: CompareOp = op  # type: ignore[assignment]
        return Compare(name, compare_op, self._typed(name, kind, value, at, ordered=True))

    def _range(self, name: str, kind: Kind) -> Expr:
        s = self.s
        opened = s.pos
        low_inclusive = s.text[s.pos] == "["
        if kind is Kind.TEXT:
            raise s.error("message takes no ranges; search words or use message:~regex", at=opened)
        s.pos += 1
        low = self._bound(name, kind)
        s.skip_space()
        if not s.keyword("TO"):
            raise s.error(f"expected TO in the range {name}:[low TO high]")
        high = self._bound(name, kind)
        s.skip_space()
        close = s.peek()
        if close not in ("]", "}") or not close:
            raise s.error(f"expected ']' or '}}' to close the range opened at column {opened + 1}")
        s.pos += 1
        return Range(name, low, high, low_inclusive=low_inclusive, high_inclusive=close == "]")

    def _bound(self, name: str, kind: Kind) -> str | float | int | datetime | None:
        s = self.s
        s.skip_space()
        at = s.pos
        value, quoted = s.value(_RANGE_STOP)
        if not value and not quoted:
            raise s.error(f"expected a value or * in the range of {name}")
        if value == "*" and not quoted:
            return None
        return self._typed(name, kind, value, at, ordered=True)
