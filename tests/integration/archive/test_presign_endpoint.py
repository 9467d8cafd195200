"""Presigned download URLs name the address users reach S3 at (LOGPLANE_S3_PUBLIC_ENDPOINT_URL),
not the one logplane itself uses: in the compose deployment those are `localstack:4566` (inside the
network) and `localhost:4566` (the published port). Here both name the same emulator, under the
loopback's two names."""

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aioboto3
import httpx

from src.adapters.s3.archive_store import S3ArchiveStore
from src.adapters.s3.provision import ensure_bucket


async def _one_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _other_name(url: str) -> str:
    """The same server under the loopback's other name (`AWS_ENDPOINT_URL` may use either)."""
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost") and parts.port, f"needs a local emulator: {url}"
    other = "localhost" if parts.hostname == "127.0.0.1" else "127.0.0.1"
    return parts._replace(netloc=f"{other}:{parts.port}").geturl()


async def test_presigned_urls_are_signed_for_the_public_endpoint(aws_url: str) -> None:
    bucket = f"presign-{uuid.uuid4().hex[:8]}"
    session = aioboto3.Session()
    await ensure_bucket(session, endpoint_url=aws_url, bucket=bucket, region="us-east-1")
    public = _other_name(aws_url)
    assert public != aws_url
    store = S3ArchiveStore(session, endpoint_url=aws_url, bucket=bucket, public_endpoint_url=public)
    plain = S3ArchiveStore(session, endpoint_url=aws_url, bucket=bucket)
    try:
        await store.put(key="a/b.ndjson", chunks=_one_chunk(b'{"m":1}\n'), content_type="application/x-ndjson")

        url = await store.presign(key="a/b.ndjson", expires_seconds=60)
        assert urlsplit(url).netloc == urlsplit(public).netloc
        async with httpx.AsyncClient() as client:
            got = await client.get(url)
        assert got.status_code == 200, got.text
        assert got.content == b'{"m":1}\n'

        # Unset, the URL names the endpoint logplane uses, as before.
        assert urlsplit(await plain.presign(key="a/b.ndjson", expires_seconds=60)).netloc == urlsplit(aws_url).netloc
    finally:
        await store.close()
        await plain.close()
