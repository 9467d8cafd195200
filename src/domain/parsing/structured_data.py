"""RFC 5424 STRUCTURED-DATA: `[exampleSDID@32473 iut="3" eventSource="App"][origin ip="10.0.0.1"]`."""

from __future__ import annotations

import re
from typing import Any

# SD-NAME is printable ASCII except '=', ' ', ']' and '"'. PARAM-VALUE escapes '"', '\' and ']' with a
# backslash; written as an unrolled loop so the match is linear.
_NAME = r"[!#-<>-\\^-~]{1,32}"
_VALUE = r'[^"\\]*(?:\\.[^"\\]*)*'
_ELEMENT = re.compile(rf'\[({_NAME})((?: {_NAME}="{_VALUE}")*)\]', re.S)
_PARAM = re.compile(rf' ({_NAME})="({_VALUE})"', re.S)
# RFC 5424 §6.3.3: only these three are escapes; a backslash before anything else is kept as is.
_ESCAPE = re.compile(r'\\(["\\\]])')


def parse_structured_data(text: str) -> tuple[dict[str, Any] | None, str] | None:
    """Split `text` (what follows MSGID) into the SD elements and the rest, or None when malformed.

    The NILVALUE `-` gives no elements. A parameter named twice in one element (allowed by the RFC)
    keeps all its values, as a list.
    """
    if text[:1] == "-":
        return None, text[1:]
    if text[:1] != "[":
        return None
    elements: dict[str, Any] = {}
    position = 0
    while text[position : position + 1] == "[":
        match = _ELEMENT.match(text, position)
        if match is None:
            return None
        params: dict[str, Any] = {}
        for name, raw in _PARAM.findall(match.group(2)):
            value = _ESCAPE.sub(r"\1", raw) if "\\" in raw else raw
            previous = params.get(name)
            if previous is None:
                params[name] = value
            elif isinstance(previous, list):
                previous.append(value)
            else:
                params[name] = [previous, value]
        elements[match.group(1)] = params
        position = match.end()
    return elements, text[position:]
