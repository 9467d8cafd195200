"""Fingerprints: the same error groups together across line numbers, addresses and ids; another does not."""

from __future__ import annotations

from src.domain.error_groups.fingerprint import fingerprint, group_id
from tests.unit.error_groups.traces import go_trace, java_trace, js_trace, python_trace


def _fp(message: str, *, is_error: bool = True, pattern_id: str | None = "p1"):  # type: ignore[no-untyped-def]
    found = fingerprint(message, is_error=is_error, pattern_id=pattern_id, template="tpl")
    assert found is not None
    return found


def test_python_type_and_application_frames_innermost_first() -> None:
    found = _fp(python_trace())
    assert found.kind == "exception" and found.exception_type == "KeyError"
    assert found.frames == ("pricing.price_of", "views.checkout")  # flask's frame is a library's
    assert found.title == "KeyError: <*>"
    assert _fp(python_trace(line=50, order="77aa")).key == found.key
    assert _fp(python_trace(exc="ValueError")).key != found.key


def test_java_outermost_exception_and_frames_without_lines_or_lambda_numbers() -> None:
    found = _fp(java_trace())
    assert found.exception_type == "java.lang.IllegalStateException"
    assert found.frames[0] == "com.acme.billing.InvoiceService.pay"
    assert all(not f.startswith("java") for f in found.frames)
    assert _fp(java_trace(line=120, lambda_no=7)).key == found.key


def test_go_panic_value_masked_and_main_frames() -> None:
    found = _fp(go_trace())
    assert found.exception_type is not None and found.exception_type.startswith("panic: runtime error")
    assert found.frames == ("main.lookup", "main.handler")
    assert _fp(go_trace(index=9, offset="0x2f")).key == found.key


def test_javascript_type_and_frames_outside_node_modules() -> None:
    found = _fp(js_trace())
    assert found.exception_type == "TypeError"
    assert found.frames == ("users.js:getUser", "router.js:Router.handle")
    assert _fp(js_trace(line=30)).key == found.key


def test_errors_without_trace_group_by_pattern_and_info_lines_are_no_errors() -> None:
    found = _fp("connection to db-1 refused", pattern_id="abc")
    assert found.kind == "pattern" and found.key == "pattern:abc" and found.title == "tpl"
    assert fingerprint("all good", is_error=False, pattern_id="abc", template=None) is None
    # A trace is an error whatever severity it was logged at.
    assert _fp(python_trace(), is_error=False).kind == "exception"


def test_group_ids_are_per_tenant_and_service() -> None:
    key = _fp(python_trace()).key
    assert group_id("t1", "svc", key) == group_id("t1", "svc", key)
    assert len({group_id("t1", "svc", key), group_id("t2", "svc", key), group_id("t1", "other", key)}) == 3
