"""The alerting adapters that need no server: the cipher, the key checks in settings, the private
target guard, and the message shapes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from src.adapters.crypto.fernet_cipher import FernetSecretCipher, new_key
from src.adapters.notify.http_sender import HttpNotificationSender, sign
from src.domain.alerting.messages import Notification, slack_payload, webhook_body
from src.domain.alerting.model import AlertChannel, ChannelType
from src.domain.errors import InvalidInput
from src.domain.ports.notification_sender import DeliveryFailed
from src.entrypoints.settings import AlertSettings

NOTE = Notification(
    tenant_id=uuid4(),
    alert_id=uuid4(),
    rule_id=uuid4(),
    rule_name="checkout errors",
    status="firing",
    condition="error_ratio > 5% in 10m",
    query="service:checkout",
    value=0.125,
    at=datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
)


def test_the_cipher_round_trips_rotates_and_refuses_other_keys() -> None:
    old, new = new_key(), new_key()
    stored = FernetSecretCipher([old]).encrypt("hunter2-hunter2")
    assert b"hunter2" not in stored
    assert FernetSecretCipher([new, old]).decrypt(stored) == "hunter2-hunter2"  # rotation: old still opens
    with pytest.raises(InvalidInput) as caught:
        FernetSecretCipher([new]).decrypt(stored)
    assert caught.value.code == "secret_undecryptable"


@pytest.mark.parametrize(
    "value",
    [
        "changeme",
        "not-base64!",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # 32 zero bytes: a sample, not a key
        "c2hvcnQ=",  # too short
    ],
)
def test_settings_refuse_sample_and_malformed_keys(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LOGPLANE_ALERTS_SECRET_KEY", value)
    monkeypatch.setenv("LOGPLANE_ENV", "production")
    with pytest.raises(ValueError, match="LOGPLANE_ALERTS_SECRET_KEY"):
        AlertSettings()


def test_the_container_env_file_sample_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.unit.test_settings import _infra_values

    values = _infra_values()
    monkeypatch.setenv("LOGPLANE_ENV", values["LOGPLANE_ENV"])
    monkeypatch.setenv("LOGPLANE_ALERTS_SECRET_KEY", values["LOGPLANE_ALERTS_SECRET_KEY"])
    with pytest.raises(ValueError, match="sample value"):
        AlertSettings()


def test_settings_take_one_or_more_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = new_key(), new_key()
    monkeypatch.setenv("LOGPLANE_ALERTS_SECRET_KEY", f"{first}, {second}")
    assert AlertSettings().secret_keys == [first, second]
    monkeypatch.setenv("LOGPLANE_ALERTS_SECRET_KEY", "")
    assert AlertSettings().secret_keys == []  # unset: the feature's secrets are off, nothing refuses to start


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]:9/x"]
)
async def test_private_targets_are_refused_unless_allowed(url: str) -> None:
    sender = HttpNotificationSender(timeout=2, allow_private_targets=False)
    channel = AlertChannel(tenant_id=uuid4(), id=uuid4(), name="h", type=ChannelType.WEBHOOK, config={"url": url})
    try:
        with pytest.raises(DeliveryFailed, match="non-public"):
            await sender.send(channel=channel, secret="s" * 20, notification=NOTE)
    finally:
        await sender.close()


def test_signature_is_hmac_sha256_of_the_body() -> None:
    body = b'{"status":"firing"}'
    assert sign(body, "k") == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()


def test_message_shapes() -> None:
    body = webhook_body(NOTE)
    assert (body["status"], body["value"], body["rule"]["name"]) == ("firing", 0.125, "checkout errors")
    assert body["summary"] == "[logplane] FIRING: checkout errors (error_ratio > 5% in 10m; value 12.50%)"
    slack = slack_payload(NOTE)
    assert slack["text"] == body["summary"] and slack["blocks"][0]["type"] == "section"
