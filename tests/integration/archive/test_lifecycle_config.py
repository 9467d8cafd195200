"""The operators' bucket lifecycle in infra/ is valid S3 configuration."""

from __future__ import annotations

from pathlib import Path

import aioboto3
import orjson

from tests.integration.conftest import Stack


async def test_infra_lifecycle_applies_to_the_archive_bucket(stack: Stack) -> None:
    config = orjson.loads((Path(__file__).parents[3] / "infra" / "s3-lifecycle.json").read_bytes())
    s = stack.settings
    async with aioboto3.Session().client("s3", endpoint_url=s.aws.endpoint_url) as s3:
        await s3.put_bucket_lifecycle_configuration(Bucket=s.aws.bucket, LifecycleConfiguration=config)
        stored = await s3.get_bucket_lifecycle_configuration(Bucket=s.aws.bucket)
    (rule,) = stored["Rules"]
    assert rule["ID"] == "logplane-archive-tiering" and rule["Expiration"]["Days"] == 2555
