"""Creates the archive bucket (idempotent)."""

from __future__ import annotations

import aioboto3
from botocore.exceptions import ClientError


async def ensure_bucket(session: aioboto3.Session, *, endpoint_url: str | None, bucket: str, region: str) -> None:
    async with session.client("s3", endpoint_url=endpoint_url) as s3:
        try:
            await s3.head_bucket(Bucket=bucket)
            return
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
        kwargs: dict[str, object] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        await s3.create_bucket(**kwargs)
