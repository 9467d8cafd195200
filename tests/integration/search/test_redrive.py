"""Issue 10, finding 2: dead letters of unfinished tasks go back to their queue (automatically when a
dependency returns, and with `logplane tasks redrive`); those of finished tasks are dropped."""

from __future__ import annotations

from uuid import UUID, uuid4

from src.domain.tasks import AsyncTask, TaskStatus, TaskType, task_message
from src.usecases.redrive_dead_letters import RedriveDeadLetters, dead_letter_queue
from tests.conftest import create_tenant
from tests.integration.conftest import Stack


async def test_redrive_returns_unfinished_tasks_and_drops_finished_ones(stack: Stack) -> None:
    container = stack.app.state.container
    tenant = await create_tenant(stack.client)
    tenant_id = UUID(tenant.id)
    waiting = AsyncTask(task_id=uuid4(), tenant_id=tenant_id, task_type=TaskType.REINDEX, payload={"log_ids": []})
    done = AsyncTask(task_id=uuid4(), tenant_id=tenant_id, task_type=TaskType.REINDEX, payload={"log_ids": []})
    async with container.uow() as uow:
        await uow.act_as_tenant(tenant_id)
        await uow.tasks.add_many(tasks=[waiting, done])
        await uow.tasks.finish(tenant_id=tenant_id, task_id=done.task_id, status=TaskStatus.SUCCEEDED)
        await uow.commit()
    queue = container.queue
    await queue.publish(queue=dead_letter_queue("index"), bodies=[task_message(waiting), task_message(done)])
    report = await RedriveDeadLetters(container.uow, queue).execute("index")
    assert report.redriven >= 1 and report.dropped >= 1  # other tests' dead letters may be there too
    # Other tests' index messages may share the queue: look for ours among what comes back.
    seen: dict[str, str] = {}
    for _ in range(20):
        for message in await queue.receive(queue="index", wait_seconds=1):
            seen[message.body["task_id"]] = message.receipt
        if str(waiting.task_id) in seen:
            break
    assert str(waiting.task_id) in seen and str(done.task_id) not in seen
    await queue.ack(queue="index", receipts=[seen[str(waiting.task_id)]])
    left = await queue.receive(queue=dead_letter_queue("index"), wait_seconds=0)
    assert not {m.body.get("task_id") for m in left} & {str(waiting.task_id), str(done.task_id)}
