"""Time-ordered ids (UUIDv7): sortable by creation, so they double as a stable search cursor."""

from __future__ import annotations

from uuid import UUID

from uuid_utils.compat import uuid7


def new_id() -> UUID:
    return uuid7()
