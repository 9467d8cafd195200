"""`id_strings` writes ids exactly as `str` does (the reindex payload's ids are read with `UUID(...)`)."""

from __future__ import annotations

import uuid

from src.domain.ids import id_strings, new_ids


def test_id_strings_are_the_canonical_text_of_each_id() -> None:
    ids = [*new_ids(500), *(uuid.uuid4() for _ in range(500)), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)]
    assert id_strings(ids) == [str(i) for i in ids]
    assert id_strings([]) == []
