"""SQS as the task queue (aioboto3). Queue names are logical (`index`, `archive` …) and mapped to URLs."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import aioboto3
import orjson
from botocore.exceptions import BotoCoreError, ClientError

from src.domain.errors import DependencyUnavailable
from src.domain.ports.task_queue import QueueMessage, TaskQueue


def _unavailable(e: Exception) -> DependencyUnavailable:
    return DependencyUnavailable(
        "the task queue (SQS) is unavailable",
        code="queue_unavailable",
        details={"dependency": "sqs", "reason": str(e)[:200]},
    )


class SqsTaskQueue(TaskQueue):
    """One long-lived client, opened on first use; `close()` (or `async with`) releases it."""

    def __init__(self, session: aioboto3.Session, *, endpoint_url: str | None, prefix: str) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self._prefix = prefix
        self._urls: dict[str, str] = {}
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _open(self) -> Any:
        if self._client is None:
            self._client = await self._stack.enter_async_context(
                self._session.client("sqs", endpoint_url=self._endpoint_url)
            )
        return self._client

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None
        self._stack = contextlib.AsyncExitStack()

    async def _url(self, queue: str) -> str:
        await self._open()
        url = self._urls.get(queue)
        if url is None:
            try:
                url = (await self._client.get_queue_url(QueueName=self._prefix + queue))["QueueUrl"]
            except (BotoCoreError, ClientError) as e:
                raise _unavailable(e) from e
            self._urls[queue] = url
        return url

    async def publish(self, *, queue: str, bodies: Sequence[dict[str, Any]]) -> None:
        url = await self._url(queue)
        for start in range(0, len(bodies), 10):  # SendMessageBatch takes ten at most
            entries = [
                {"Id": str(i), "MessageBody": orjson.dumps(body).decode()}
                for i, body in enumerate(bodies[start : start + 10])
            ]
            try:
                result = await self._client.send_message_batch(QueueUrl=url, Entries=entries)
            except (BotoCoreError, ClientError) as e:
                raise _unavailable(e) from e
            if result.get("Failed"):
                raise _unavailable(RuntimeError(f"{len(result['Failed'])} messages were not sent"))

    async def receive(self, *, queue: str, max_messages: int = 10, wait_seconds: int = 20) -> list[QueueMessage]:
        url = await self._url(queue)
        try:
            result = await self._client.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=max_messages,
                WaitTimeSeconds=wait_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        except (BotoCoreError, ClientError) as e:
            raise _unavailable(e) from e
        messages = []
        for raw in result.get("Messages", []):
            try:
                body = orjson.loads(raw["Body"])
            except orjson.JSONDecodeError:
                body = {"unreadable": raw["Body"][:200]}
            messages.append(
                QueueMessage(
                    body=body if isinstance(body, dict) else {"unreadable": str(body)[:200]},
                    receipt=raw["ReceiptHandle"],
                    receive_count=int(raw.get("Attributes", {}).get("ApproximateReceiveCount", "1")),
                )
            )
        return messages

    async def ack(self, *, queue: str, receipts: Sequence[str]) -> None:
        url = await self._url(queue)
        for start in range(0, len(receipts), 10):
            entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts[start : start + 10])]
            try:
                await self._client.delete_message_batch(QueueUrl=url, Entries=entries)
            except (BotoCoreError, ClientError) as e:
                raise _unavailable(e) from e

    async def extend(self, *, queue: str, receipt: str, seconds: int) -> None:
        url = await self._url(queue)
        try:
            await self._client.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=seconds)
        except (BotoCoreError, ClientError) as e:
            raise _unavailable(e) from e

    async def ping(self) -> None:
        self._urls.pop("index", None)
        await self._url("index")
