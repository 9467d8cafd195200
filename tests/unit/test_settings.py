"""Settings: production rules unless LOGPLANE_ENV=dev; sample secrets refused; the metrics token."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from src.entrypoints.settings import AuthSettings, MetricsSettings

INFRA_ENV = Path(__file__).parents[2] / "infra" / "logplane.env"
REAL = "r3al-" + "k" * 40


def _infra_values() -> dict[str, str]:
    lines = [line for line in INFRA_ENV.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_without_logplane_env_placeholder_secrets_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOGPLANE_ENV", raising=False)
    monkeypatch.setenv("LOGPLANE_ADMIN_TOKEN", "changeme")
    monkeypatch.setenv("LOGPLANE_JWT_SECRET", REAL)
    with pytest.raises(ValidationError, match="LOGPLANE_ADMIN_TOKEN"):
        AuthSettings()


def test_the_container_env_file_is_production_and_its_samples_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    values = _infra_values()
    assert values["LOGPLANE_ENV"] != "dev"
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match="sample value"):
        AuthSettings()
    monkeypatch.setenv("LOGPLANE_ADMIN_TOKEN", REAL)
    monkeypatch.setenv("LOGPLANE_JWT_SECRET", REAL)
    assert AuthSettings().env == "production"


def test_dev_accepts_placeholders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGPLANE_ENV", "dev")
    monkeypatch.setenv("LOGPLANE_ADMIN_TOKEN", "")
    monkeypatch.setenv("LOGPLANE_JWT_SECRET", "")
    assert AuthSettings().env == "dev"


def test_metrics_defaults_keep_tenants_out_and_need_a_real_token(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = MetricsSettings()
    assert settings.tenant_labels is False and settings.port is None
    monkeypatch.setenv("LOGPLANE_METRICS_TOKEN", "short")
    with pytest.raises(ValidationError):
        MetricsSettings()
