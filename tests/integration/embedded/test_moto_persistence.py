"""Issue 10, finding 5: the dev S3 keeps its buckets and objects across restarts (moto's recorder)."""

from __future__ import annotations

from pathlib import Path

import boto3

from src.adapters.embedded.moto import start_moto


def _s3(url: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        "s3", endpoint_url=url, aws_access_key_id="dev", aws_secret_access_key="dev", region_name="us-east-1"
    )


def test_objects_survive_a_restart_of_a_recording_moto(tmp_path: Path) -> None:
    recording = tmp_path / "s3-recording.jsonl"
    first = start_moto(record_to=recording)
    try:
        s3 = _s3(first.url)
        s3.create_bucket(Bucket="archive")
        s3.put_object(Bucket="archive", Key="t/2026/manifest.json", Body=b'{"rows": 3}')
        s3.put_object(Bucket="archive", Key="t/2026/gone.json", Body=b"x")
        s3.delete_object(Bucket="archive", Key="t/2026/gone.json")
    finally:
        first.stop()
    second = start_moto(record_to=recording)
    try:
        s3 = _s3(second.url)
        body = s3.get_object(Bucket="archive", Key="t/2026/manifest.json")["Body"].read()
        assert body == b'{"rows": 3}'
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="archive").get("Contents", [])]
        assert keys == ["t/2026/manifest.json"]
    finally:
        second.stop()
