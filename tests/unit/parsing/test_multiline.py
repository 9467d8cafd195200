from __future__ import annotations

from src.domain.parsing.multiline import join_multiline

JAVA = """\
2025-11-25 10:00:00,123 ERROR [main] c.e.OrderService - order failed
java.lang.IllegalStateException: order 42 is closed
\tat com.example.OrderService.ship(OrderService.java:87)
\tat com.example.Api.handle(Api.java:12)
Caused by: java.sql.SQLException: connection reset
\tat org.postgresql.core.v3.QueryExecutorImpl.execute(QueryExecutorImpl.java:356)
\t... 2 more
\tSuppressed: java.io.IOException: close failed
\t\tat com.example.Pool.close(Pool.java:5)
2025-11-25 10:00:01,000 INFO [main] c.e.OrderService - next""".splitlines()

PYTHON = """\
2025-11-25 10:00:00,123 ERROR app: request failed
Traceback (most recent call last):
  File "/srv/app/handlers.py", line 42, in handle
    result = charge(order)
             ^^^^^^^^^^^^^
  File "/srv/app/billing.py", line 7, in charge
    raise KeyError(order.id)
KeyError: 'o-42'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/handlers.py", line 44, in handle
    raise RuntimeError("charge failed") from None
RuntimeError: charge failed
2025-11-25 10:00:02,000 INFO app: next request""".splitlines()


def test_java_stack_trace_with_cause_and_suppressed_is_one_event():
    events = list(join_multiline(JAVA))
    assert len(events) == 2
    assert events[0] == "\n".join(JAVA[:-1])
    assert events[1] == JAVA[-1]


def test_python_chained_traceback_is_one_event():
    events = list(join_multiline(PYTHON))
    assert events == ["\n".join(PYTHON[:-1]), PYTHON[-1]]


def test_traceback_header_joins_a_single_line_event_only():
    # logger.exception(): the message line, then the traceback, unindented
    lines = ["INFO a", "  continued", "ERROR b", "Traceback (most recent call last):", '  File "x.py"', "ValueError: x"]
    assert list(join_multiline(lines)) == ["INFO a\n  continued", "\n".join(lines[2:])]
    # after a multi-line event or a blank line, a traceback is an event of its own
    lines = ["INFO a", "  continued", "Traceback (most recent call last):", '  File "x.py"', "ValueError: x"]
    assert list(join_multiline(lines)) == ["INFO a\n  continued", "\n".join(lines[2:])]
    lines = ["", "Traceback (most recent call last):", '  File "x.py"', "ValueError: x"]
    assert list(join_multiline(lines)) == ["", "\n".join(lines[1:])]


def test_indented_continuations_and_blank_lines_keep_line_counts():
    lines = ["first", "  more of first", "", "second", "\tdetail", "", "", "third"]
    events = list(join_multiline(lines))
    assert events == ["first\n  more of first", "", "second\n\tdetail", "", "", "third"]
    assert sum(e.count("\n") + 1 for e in events) == len(lines)


def test_traceback_followed_by_blank_then_ordinary_line():
    lines = ["Traceback (most recent call last):", "  File 'x'", "ValueError: x", "", "next"]
    assert list(join_multiline(lines)) == ["Traceback (most recent call last):\n  File 'x'\nValueError: x", "", "next"]


def test_truncated_traceback_does_not_swallow_a_log_line():
    lines = ["Traceback (most recent call last):", "  File 'x'", "2025-11-25 10:00:00 INFO next"]
    assert list(join_multiline(lines)) == ["Traceback (most recent call last):\n  File 'x'", lines[2]]


def test_a_second_java_exception_is_a_new_event():
    lines = [
        "java.lang.RuntimeException: a",
        "\tat A.a(A.java:1)",
        "java.lang.RuntimeException: b",
        "\tat B.b(B.java:1)",
    ]
    assert list(join_multiline(lines)) == ["\n".join(lines[:2]), "\n".join(lines[2:])]


def test_events_are_capped():
    lines = ["start"] + ["  x"] * 10
    events = list(join_multiline(lines, max_lines=4))
    assert [e.count("\n") + 1 for e in events] == [4, 4, 3]
    big = ["start"] + ["  " + "y" * 100] * 10
    assert all(len(e) <= 400 for e in join_multiline(big, max_bytes=400))


def test_line_terminators_are_stripped_and_empty_input_is_fine():
    assert list(join_multiline(["a\r\n", "  b\n"])) == ["a\n  b"]
    assert list(join_multiline([])) == []
