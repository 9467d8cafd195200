"""Found by the fault suite (issue 10): when Redis went away between a request's rate-limit check
and its answer, slowapi's header injection fell back to memory and then re-raised anyway, so a
committed bulk answered 500 and the shipper retried it (duplicates for shippers without event ids)."""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from starlette.responses import Response

from src.adapters.embedded.service import free_port
from src.entrypoints.http.rate_limit import make_limiter


def test_headers_of_a_committed_answer_survive_the_rate_limit_store_going_away() -> None:
    limiter = make_limiter(redis_url=f"redis://127.0.0.1:{free_port()}/0", enabled=True)
    answer = Response(status_code=201)
    out = limiter._inject_headers(answer, (RateLimitItemPerMinute(100), ["tenant"]))
    assert out.status_code == 201
