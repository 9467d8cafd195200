"""The platform for the alerting tests: the app with an SMTP CA and private targets allowed, the
receivers, and the alerts worker's use cases driven directly with a clock (a deterministic trigger)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from src.adapters.disabled import UnconfiguredSearchIndex
from src.adapters.postgres.leader_lock import PostgresLeaderLock
from src.entrypoints.bootstrap import (
    build_alert_evaluation,
    make_alert_signals,
    make_notification_sender,
    make_secret_cipher,
)
from src.usecases.deliver_notifications import DeliverNotifications
from src.usecases.evaluate_alerts import EvaluateAlerts
from tests.conftest import TenantHandle, create_tenant, make_settings
from tests.integration.alerts.receivers import SmtpReceiver, WebhookReceiver, self_signed_certificate

SMTP_USER = "alerts@example.org"
SMTP_PASSWORD = "smtp-password-" + "p" * 12
TEST_LOCK_KEY = 0x6C70_7465  # not the worker's: no worker runs here, and none must be blocked


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture(scope="session")
def smtp(certificate: tuple[Path, Path]) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(certificate[0], certificate[1], SMTP_USER, SMTP_PASSWORD).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(scope="session")
async def alert_client(
    postgres_url: str, redis_url: str, certificate: tuple[Path, Path]
) -> AsyncIterator[httpx.AsyncClient]:
    from src.entrypoints.http.app import make_app

    settings = make_settings(
        postgres_url,
        redis_url,
        alerts__smtp_ca_file=str(certificate[0]),
        alerts__allow_private_targets=True,
        alerts__retry_backoff_seconds=5.0,
        alerts__max_attempts=4,
    )
    app = make_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://logplane.test") as client:
            client.app = app  # type: ignore[attr-defined]
            client.settings = settings  # type: ignore[attr-defined]
            yield client


class Alerting:
    """The alerts worker's use cases over the app's database, at `now` (moved by the test)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._container = client.app.state.container  # type: ignore[attr-defined]
        self._settings = client.settings  # type: ignore[attr-defined]
        self.now = datetime.now(UTC)
        self._lock: PostgresLeaderLock | None = None
        self._sender: Any = None
        self.evaluate: EvaluateAlerts
        self.deliver: DeliverNotifications

    async def start(self) -> Alerting:
        """New instances, as a restarted worker builds them; the old lock goes as a dead process's would."""
        await self.stop()
        self._lock = PostgresLeaderLock(self._container.owner_engine, key=TEST_LOCK_KEY)
        self._sender = make_notification_sender(self._settings)
        self.evaluate, self.deliver = build_alert_evaluation(
            self._settings,
            self._container.uow,
            UnconfiguredSearchIndex(),
            self._lock,
            cipher=make_secret_cipher(self._settings),
            sender=self._sender,
            signals=make_alert_signals(self._container.app_engine),
            clock=lambda: self.now,
        )
        return self

    async def stop(self) -> None:
        if self._lock is not None:
            await self._lock.release()
        if self._sender is not None:
            await self._sender.close()

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
async def alerting(alert_client: httpx.AsyncClient) -> AsyncIterator[Alerting]:
    runner = await Alerting(alert_client).start()
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def tenant(alert_client: httpx.AsyncClient) -> TenantHandle:
    return await create_tenant(alert_client)


@pytest.fixture
async def other_tenant(alert_client: httpx.AsyncClient) -> TenantHandle:
    return await create_tenant(alert_client)
