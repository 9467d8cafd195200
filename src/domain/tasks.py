"""The async_task outbox: every background job is a row with a life cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class TaskType(StrEnum):
    REINDEX = "reindex"
    ARCHIVE = "archive"
    LOG_CLEANUP = "log_cleanup"
    EXPORT = "export"
    RESTORE = "restore"
    INGEST_FILE = "ingest_file"
    # Runs in the scheduler itself (no queue): recorded for its duration and counts.
    ANOMALY_DETECTION = "anomaly_detection"


class TaskStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class AsyncTask:
    task_id: UUID
    tenant_id: UUID
    task_type: TaskType
    status: TaskStatus = TaskStatus.PENDING
    user_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    error_msg: str | None = None
    attempts: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None


# What a task says while its message could not be queued yet (cleared when it is).
WAITING_FOR_QUEUE = "waiting for the task queue: the task is saved and will be queued when it is back"

# Which queue carries which kind of task; the message body is `task_message(task)`.
QUEUE_FOR: dict[TaskType, str] = {
    TaskType.REINDEX: "index",
    TaskType.ARCHIVE: "archive",
    TaskType.LOG_CLEANUP: "cleanup",
    TaskType.EXPORT: "export",
    TaskType.RESTORE: "archive",
    TaskType.INGEST_FILE: "ingest",
}

# Every queue, each with its dead-letter queue `<name>-dlq`: provisioning and redrive use this.
QUEUES: tuple[str, ...] = tuple(sorted(set(QUEUE_FOR.values())))


def task_message(task: AsyncTask) -> dict[str, Any]:
    return {"task_id": str(task.task_id), "task_type": task.task_type.value, "tenant_id": str(task.tenant_id)}
