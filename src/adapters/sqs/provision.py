"""Creates logplane's SQS queues, each with a dead-letter queue and a redrive policy (idempotent)."""

from __future__ import annotations

import aioboto3
import orjson

from src.domain.tasks import QUEUES as QUEUE_NAMES

MAX_RECEIVE_COUNT = 5


async def ensure_queues(
    session: aioboto3.Session,
    *,
    endpoint_url: str | None,
    prefix: str,
    visibility_timeout: int = 60,
    max_receive_count: int = MAX_RECEIVE_COUNT,
) -> dict[str, str]:
    """Return {name: queue_url}. CreateQueue with identical attributes is a no-op, so reruns are safe."""
    urls: dict[str, str] = {}
    async with session.client("sqs", endpoint_url=endpoint_url) as sqs:
        for name in QUEUE_NAMES:
            dlq_url = (await sqs.create_queue(QueueName=f"{prefix}{name}-dlq"))["QueueUrl"]
            dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"]))["Attributes"][
                "QueueArn"
            ]
            url = (await sqs.create_queue(QueueName=f"{prefix}{name}"))["QueueUrl"]
            # Set attributes separately: CreateQueue refuses differing attributes on an existing queue.
            await sqs.set_queue_attributes(
                QueueUrl=url,
                Attributes={
                    "VisibilityTimeout": str(visibility_timeout),
                    "RedrivePolicy": orjson.dumps(
                        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
                    ).decode(),
                },
            )
            urls[name] = url
            urls[f"{name}-dlq"] = dlq_url
    return urls
