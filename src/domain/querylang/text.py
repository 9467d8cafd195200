"""How the message is cut into words: lower-cased runs of letters, digits and `_`.

This is what the OpenSearch standard analyzer does for ordinary text, and what the PostgreSQL and
in-process translators reproduce with word boundaries, so a word query means the same everywhere.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")


def tokens(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))
