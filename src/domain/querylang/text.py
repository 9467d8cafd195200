"""How the message is cut into words: lower-cased runs of letters, digits and `_`, where a single
`.` or `'` between two of them does not cut (`foo.bar`, `3.14`, `don't` are one word each).

That is what OpenSearch's standard analyzer (Unicode word boundaries) does for ordinary text, and
what the PostgreSQL and in-process translators reproduce, so a word query means the same everywhere.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+(?:[.']\w+)*")


def tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))
