"""S3 as the archive store (aioboto3): multipart uploads for large objects, presigned downloads."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aioboto3
from botocore.exceptions import BotoCoreError, ClientError

from src.domain.errors import DependencyUnavailable, NotFound
from src.domain.ports.archive_store import ArchiveStore, StoredObject

# S3's minimum part size (except the last part).
PART_BYTES = 8 * 1024 * 1024


def _unavailable(e: Exception) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"the archive store (S3) failed: {str(e)[:300]}", code="archive_unavailable", details={"dependency": "s3"}
    )


class S3ArchiveStore(ArchiveStore):
    def __init__(
        self,
        session: aioboto3.Session,
        *,
        endpoint_url: str | None,
        bucket: str,
        public_endpoint_url: str | None = None,
    ) -> None:
        self._session = session
        self._endpoint_url = endpoint_url
        self._public_endpoint_url = public_endpoint_url
        self._bucket = bucket
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None
        self._presigner: Any = None

    async def _s3(self) -> Any:
        if self._client is None:
            self._client = await self._stack.enter_async_context(
                self._session.client("s3", endpoint_url=self._endpoint_url)
            )
        return self._client

    async def _signer(self) -> Any:
        """The client presigned URLs come from. A URL for another address than ours (see
        `AwsSettings.s3_public_endpoint_url`) needs a client of its own: a SigV4 signature covers the
        host, so the address cannot be swapped in afterwards. Signing is local; that client never
        opens a connection."""
        if not self._public_endpoint_url or self._public_endpoint_url == self._endpoint_url:
            return await self._s3()
        if self._presigner is None:
            self._presigner = await self._stack.enter_async_context(
                self._session.client("s3", endpoint_url=self._public_endpoint_url)
            )
        return self._presigner

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None
        self._presigner = None
        self._stack = contextlib.AsyncExitStack()

    async def put(self, *, key: str, chunks: AsyncIterator[bytes], content_type: str) -> int:
        s3 = await self._s3()
        buffer = bytearray()
        total = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            async for chunk in chunks:
                buffer += chunk
                total += len(chunk)
                if len(buffer) >= PART_BYTES:
                    if upload_id is None:
                        created = await s3.create_multipart_upload(
                            Bucket=self._bucket, Key=key, ContentType=content_type
                        )
                        upload_id = created["UploadId"]
                    number = len(parts) + 1
                    done = await s3.upload_part(
                        Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
                    )
                    parts.append({"PartNumber": number, "ETag": done["ETag"]})
                    buffer.clear()
            if upload_id is None:
                await s3.put_object(Bucket=self._bucket, Key=key, Body=bytes(buffer), ContentType=content_type)
                return total
            if buffer:
                number = len(parts) + 1
                done = await s3.upload_part(
                    Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=bytes(buffer)
                )
                parts.append({"PartNumber": number, "ETag": done["ETag"]})
            await s3.complete_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            return total
        except (BotoCoreError, ClientError) as e:
            if upload_id is not None:
                with contextlib.suppress(BotoCoreError, ClientError):
                    await s3.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
            raise _unavailable(e) from e

    async def get(self, *, key: str) -> bytes | None:
        s3 = await self._s3()
        try:
            response = await s3.get_object(Bucket=self._bucket, Key=key)
            async with response["Body"] as body:
                data: bytes = await body.read()
            return data
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise _unavailable(e) from e
        except BotoCoreError as e:
            raise _unavailable(e) from e

    async def read_chunks(self, *, key: str, chunk_bytes: int = 1024 * 1024) -> AsyncIterator[bytes]:
        s3 = await self._s3()
        try:
            response = await s3.get_object(Bucket=self._bucket, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(f"no object {key}") from e
            raise _unavailable(e) from e
        body = response["Body"]
        try:
            async for chunk in body.iter_chunks(chunk_bytes):
                yield chunk
        finally:
            body.close()

    async def head(self, *, key: str) -> StoredObject | None:
        s3 = await self._s3()
        try:
            response = await s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise _unavailable(e) from e
        except BotoCoreError as e:
            raise _unavailable(e) from e
        return StoredObject(key=key, size=int(response["ContentLength"]))

    async def list(self, *, prefix: str) -> list[StoredObject]:
        s3 = await self._s3()
        found: list[StoredObject] = []
        try:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                found += [StoredObject(key=o["Key"], size=int(o["Size"])) for o in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as e:
            raise _unavailable(e) from e
        return found

    async def presign(self, *, key: str, expires_seconds: int) -> str:
        s3 = await self._signer()
        url: str = await s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key}, ExpiresIn=expires_seconds
        )
        return url

    async def ping(self) -> None:
        s3 = await self._s3()
        try:
            await s3.head_bucket(Bucket=self._bucket)
        except (BotoCoreError, ClientError) as e:
            raise _unavailable(e) from e
