"""SQL for tests that read the outbox: a group commit's reindex task names its commit by the lowest
and highest id of its events, and the commit order's entry holds the ids themselves."""

# Every reindex task that names a commit, with that commit's ids as text (in commit order); add a
# WHERE on `t.` or `c.` columns. Read as the owner (the tests' `db`), across tenants.
ANNOUNCED = """
    SELECT t.task_id, t.task_type, t.status, t.payload, t.tenant_id, c.log_ids::text[] AS log_ids
    FROM async_task t
    JOIN log_commits c ON c.tenant_id = t.tenant_id
        AND c.min_id = CAST(t.payload->'commit'->>'lowest' AS uuid)
        AND c.max_id = CAST(t.payload->'commit'->>'highest' AS uuid)
    WHERE t.task_type = 'reindex'
"""
