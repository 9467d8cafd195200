"""`logplane provision`: everything the platform needs to exist before it serves, created idempotently.

One mechanism for every deployment: `logplane dev` runs it at start and whenever an embedded service
came back empty, `docker compose` runs it as a one-shot service before the API and workers start,
and Kubernetes as a Job. Each step is safe to repeat (CreateQueue/PUT template/head-then-create
bucket/alembic's version table), so a rerun after a partial failure finishes the job.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from src.entrypoints.settings import Settings


@dataclass(slots=True)
class ProvisionReport:
    """What each step did, in order; printed by the command (`--json` for machines)."""

    steps: list[dict[str, object]] = field(default_factory=list)

    def add(self, step: str, started: float, **details: object) -> None:
        self.steps.append({"step": step, "seconds": round(time.monotonic() - started, 3), **details})


def apply_migrations(settings: Settings, report: ProvisionReport) -> None:
    from src.adapters.postgres.migrate import upgrade

    started = time.monotonic()
    upgrade(settings.database.database_url, timescaledb=settings.database.timescaledb)
    report.add("migrations", started, status="at head")


async def ensure_resources(settings: Settings, report: ProvisionReport | None = None) -> ProvisionReport:
    """Queues with their dead-letter queues, the archive bucket and the search index template."""
    import aioboto3

    from src.adapters.opensearch.provision import ensure_index_template
    from src.adapters.s3.provision import ensure_bucket
    from src.adapters.sqs.provision import ensure_queues

    report = report if report is not None else ProvisionReport()
    session = aioboto3.Session()
    aws = settings.aws
    if aws.queues_enabled:
        started = time.monotonic()
        urls = await ensure_queues(
            session,
            endpoint_url=aws.endpoint_url,
            prefix=aws.queue_prefix,
            visibility_timeout=aws.visibility_timeout,
            max_receive_count=aws.max_receive_count,
        )
        report.add("queues", started, queues=sorted(urls))
    else:
        report.add("queues", time.monotonic(), status="skipped: no AWS_ENDPOINT_URL and LOGPLANE_SQS_ENABLED unset")
    started = time.monotonic()
    await ensure_bucket(session, endpoint_url=aws.s3_endpoint, bucket=aws.bucket, region=aws.region)
    report.add("bucket", started, bucket=aws.bucket)
    if settings.opensearch.url:
        started = time.monotonic()
        await ensure_index_template(settings.opensearch.url)
        report.add("index_template", started, url=settings.opensearch.url)
    else:
        # Without a search engine the API searches PostgreSQL: there is no template to apply.
        report.add("index_template", time.monotonic(), status="skipped: no OPENSEARCH_URL")
    return report


def provision(settings: Settings, *, migrate: bool = True) -> ProvisionReport:
    report = ProvisionReport()
    if migrate:
        apply_migrations(settings, report)
    asyncio.run(ensure_resources(settings, report))
    return report
