"""The credential a syslog sender may put in RFC 5424 STRUCTURED-DATA.

    <14>1 2026-01-01T00:00:00Z host app - - [logplane@32473 token="lp_…"] message

The SD-ID is ours (`logplane` at the example private enterprise number of RFC 5424); the token is
an API key or JWT, checked like a Bearer credential. It is taken out of the event before it is
stored: a credential must never land in a tenant's searchable attributes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from src.domain.logs import LogDraft

TOKEN_SD_ID = "logplane@32473"
TOKEN_PARAM = "token"


def take_token(draft: LogDraft) -> tuple[LogDraft, str | None]:
    """The draft without our token element's `token`, and the token (None when there is none).

    A token given twice in the element is no token: None, and both are removed all the same.
    """
    elements = draft.attributes.get("structured_data")
    if not isinstance(elements, dict):
        return draft, None
    ours = elements.get(TOKEN_SD_ID)
    if not isinstance(ours, dict) or TOKEN_PARAM not in ours:
        return draft, None
    value = ours[TOKEN_PARAM]
    rest = {k: v for k, v in ours.items() if k != TOKEN_PARAM}
    others: dict[str, Any] = {k: v for k, v in elements.items() if k != TOKEN_SD_ID}
    if rest:
        others[TOKEN_SD_ID] = rest
    attributes = {k: v for k, v in draft.attributes.items() if k != "structured_data"}
    if others:
        attributes["structured_data"] = others
    return replace(draft, attributes=attributes), value if isinstance(value, str) else None
