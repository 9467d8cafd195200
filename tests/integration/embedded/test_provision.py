"""`logplane provision` against the embedded services (moto, the session's search engine, PostgreSQL):
what docker compose's one-shot service and the Kubernetes Job run. Twice, as a rerun must be safe."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import aioboto3
import httpx
import orjson

from src.adapters.opensearch.provision import TEMPLATE_NAME
from src.domain.tasks import QUEUES
from tests.integration.search_engine import SearchNode


def _provision(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli.main", "provision", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


async def test_provision_creates_queues_bucket_template_and_is_idempotent(
    postgres_url: str, aws_url: str, search_node: SearchNode
) -> None:
    prefix = f"prov-{uuid.uuid4().hex[:8]}-"
    bucket = f"prov-{uuid.uuid4().hex[:8]}"
    env = {
        "LOGPLANE_ENV": "dev",
        "LOGPLANE_DATABASE_URL": postgres_url,
        "AWS_ENDPOINT_URL": aws_url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "LOGPLANE_SQS_QUEUE_PREFIX": prefix,
        "LOGPLANE_S3_BUCKET": bucket,
        "LOGPLANE_SQS_MAX_RECEIVE_COUNT": "7",
        "OPENSEARCH_URL": search_node.url,
    }
    async with httpx.AsyncClient(base_url=search_node.url) as search:
        await search.delete(f"/_index_template/{TEMPLATE_NAME}")
        assert (await search.get(f"/_index_template/{TEMPLATE_NAME}")).status_code == 404

    first = _provision(env, "--json")
    assert first.returncode == 0, first.stderr
    steps = [s["step"] for s in orjson.loads(first.stdout)["steps"]]
    assert steps == ["migrations", "queues", "bucket", "index_template"]
    second = _provision(env)  # human output, and nothing to create this time
    assert second.returncode == 0, second.stderr
    assert "queues" in second.stdout and "index_template" in second.stdout

    session = aioboto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1")
    async with session.client("sqs", endpoint_url=aws_url) as sqs:
        listed = (await sqs.list_queues(QueueNamePrefix=prefix)).get("QueueUrls", [])
        names = sorted(url.rsplit("/", 1)[1] for url in listed)
        assert names == sorted([f"{prefix}{q}" for q in QUEUES] + [f"{prefix}{q}-dlq" for q in QUEUES])
        url = (await sqs.get_queue_url(QueueName=f"{prefix}index"))["QueueUrl"]
        attributes = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]))["Attributes"]
        policy = orjson.loads(attributes["RedrivePolicy"])
        assert policy["deadLetterTargetArn"].endswith(f"{prefix}index-dlq")
        assert int(policy["maxReceiveCount"]) == 7
    async with session.client("s3", endpoint_url=aws_url) as s3:
        await s3.head_bucket(Bucket=bucket)
    async with httpx.AsyncClient(base_url=search_node.url) as search:
        assert (await search.get(f"/_index_template/{TEMPLATE_NAME}")).status_code == 200


def test_provision_names_the_service_it_could_not_reach(postgres_url: str) -> None:
    unreachable = _provision(
        {
            "LOGPLANE_ENV": "dev",
            "LOGPLANE_DATABASE_URL": postgres_url,
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # discard port: connection refused
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_MAX_ATTEMPTS": "1",
        },
        "--skip-migrations",
    )
    assert unreachable.returncode == 1
    assert "provisioning failed" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr
