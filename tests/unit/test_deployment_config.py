"""The container deployment agrees with the code (CI has no Docker engine to run it).

Reads infra/docker-compose.yml, infra/logplane.env, infra/nginx.conf, infra/Dockerfile and the
Kubernetes manifests under infra/k8s/, and checks them against what the application reads: every
variable set is one the settings know (a typo would be silently ignored), every setting without a
default is set, the settings validate under production rules once the samples are replaced, every
`logplane …` command parses, every worker has its service and Deployment, and ports agree.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from src.domain.tasks import QUEUES
from src.entrypoints import settings as settings_module
from src.entrypoints.cli.main import WORKER_NAMES, _parser
from src.entrypoints.settings import Settings

INFRA = Path(__file__).resolve().parents[2] / "infra"
# Read by libraries, not by logplane's settings, yet legitimately set by a deployment.
LIBRARY_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def _settings_models() -> Iterator[type[BaseSettings]]:
    for value in vars(settings_module).values():
        if isinstance(value, type) and issubclass(value, BaseSettings) and value is not BaseSettings:
            yield value


def _variables(model: type[BaseSettings]) -> Iterator[tuple[str, list[str], bool]]:
    """(field, the environment names that set it, whether it is required)."""
    prefix = str(model.model_config.get("env_prefix", ""))
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names = [str(choice) for choice in alias.choices]
        elif isinstance(alias, str):
            names = [alias]
        else:
            names = [f"{prefix}{name}".upper()]
        yield name, names, field.is_required()


@pytest.fixture(scope="module")
def known_variables() -> dict[str, bool]:
    known: dict[str, bool] = {}
    for model in _settings_models():
        for _, names, required in _variables(model):
            for n in names:
                known[n] = required
    assert "DATABASE_URL" in known and "LOGPLANE_ADMIN_TOKEN" in known, "the settings are where this test looks"
    return known


def _env_file(path: Path) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((INFRA / "docker-compose.yml").read_text()))


def _k8s() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((INFRA / "k8s").glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _logplane_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: s
        for name, s in compose["services"].items()
        if isinstance(s.get("command"), list) and s["command"][0] == "logplane"
    }


def _k8s_env(docs: list[dict[str, Any]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for d in docs:
        if d["kind"] == "ConfigMap":
            env.update(d["data"])
    secret = yaml.safe_load((INFRA / "k8s" / "secret.example.yaml").read_text())
    env.update(secret["stringData"])
    return env


def test_every_variable_the_deployments_set_is_one_logplane_reads(known_variables: dict[str, bool]) -> None:
    compose = _compose()
    sets: dict[str, set[str]] = {"infra/logplane.env": set(_env_file(INFRA / "logplane.env"))}
    for name, service in _logplane_services(compose).items():
        sets[f"compose service {name}"] = set(service.get("environment", {}))
    sets["infra/k8s ConfigMap + Secret"] = set(_k8s_env(_k8s()))
    for where, names in sets.items():
        unknown = {n for n in names if n not in known_variables and n not in LIBRARY_VARIABLES}
        assert not unknown, f"{where} sets variables logplane does not read: {sorted(unknown)}"


def test_required_settings_are_set_and_production_rules_pass_once_samples_are_replaced(
    known_variables: dict[str, bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    required = {n for n, r in known_variables.items() if r}
    for where, env in (("compose", _env_file(INFRA / "logplane.env")), ("k8s", _k8s_env(_k8s()))):
        assert required <= set(env), f"{where} leaves required settings unset: {sorted(required - set(env))}"
        for variable in ("LOGPLANE_ADMIN_TOKEN", "LOGPLANE_JWT_SECRET", "DATABASE_URL"):
            assert variable in env, f"{where} must set {variable} for production"
        for key in list(known_variables) + sorted(LIBRARY_VARIABLES):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert env.get("LOGPLANE_ENV", "production") == "production"
        # As shipped, the samples are refused: nobody runs production on a published secret.
        with pytest.raises(ValueError, match="real secret"):
            Settings()
        for variable in ("LOGPLANE_ADMIN_TOKEN", "LOGPLANE_JWT_SECRET"):
            monkeypatch.setenv(variable, secrets.token_urlsafe(48))
        if "LOGPLANE_METRICS_TOKEN" in env:
            monkeypatch.setenv("LOGPLANE_METRICS_TOKEN", secrets.token_urlsafe(24))
        if "LOGPLANE_ALERTS_SECRET_KEY" in env:
            monkeypatch.setenv("LOGPLANE_ALERTS_SECRET_KEY", Fernet.generate_key().decode())
        Settings()


def test_every_command_parses_and_every_worker_runs_somewhere() -> None:
    compose = _compose()
    services = _logplane_services(compose)
    docs = _k8s()
    commands = [s["command"] for s in services.values()]
    for d in docs:
        spec = d.get("spec", {})
        template = spec.get("template", {}).get("spec", {})
        for container in template.get("containers", []):
            commands.append(container["command"])
            probe = container.get("livenessProbe", {}).get("exec")
            if probe:
                commands.append(probe["command"])
    for s in services.values():
        test = s.get("healthcheck", {}).get("test")
        if test and test[0] == "CMD" and test[1] == "logplane":
            commands.append(test[1:])
    for command in commands:
        assert command[0] == "logplane", command
        _parser().parse_args(command[1:])  # SystemExit (a failure) on an unknown command or option

    compose_workers = {s["command"][2] for s in services.values() if s["command"][1] == "worker"}
    assert compose_workers == set(WORKER_NAMES)
    k8s_workers = {
        c["command"][2]
        for d in docs
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
        if c["command"][1] == "worker"
    }
    assert k8s_workers == set(WORKER_NAMES)
    assert ["logplane", "provision"] in commands


def test_compose_start_order_images_and_proxy() -> None:
    compose = _compose()
    services = compose["services"]
    provision = services["provision"]
    assert provision["restart"] == "no"
    backing = {"postgres", "opensearch", "redis", "localstack"}
    assert {k for k, v in provision["depends_on"].items() if v["condition"] == "service_healthy"} == backing
    for name in backing:
        assert "healthcheck" in services[name], f"{name} has no health check to wait on"
    for name, service in _logplane_services(compose).items():
        assert service["image"] == "logplane:local"
        assert service["build"]["dockerfile"] == "infra/Dockerfile"
        if name != "provision":
            assert service["depends_on"]["provision"]["condition"] == "service_completed_successfully", name
        if service["command"][1] == "worker":
            assert service["healthcheck"]["test"][1:] == ["logplane", "worker", "status"]
    api = services["api"]
    assert api["deploy"]["replicas"] >= 2
    api_port = api["environment"]["LOGPLANE_API_PORT"]
    nginx = (INFRA / "nginx.conf").read_text()
    assert re.search(rf"server api:{api_port}\b", nginx), "the proxy must send to the API's port"
    assert "proxy_set_header Upgrade" in nginx, "WebSocket streams need the upgrade headers"
    assert services["proxy"]["depends_on"]["api"]["condition"] == "service_healthy"
    env = _env_file(INFRA / "logplane.env")
    for variable, service in (
        ("DATABASE_URL", "postgres"),
        ("REDIS_URL", "redis"),
        ("OPENSEARCH_URL", "opensearch"),
        ("AWS_ENDPOINT_URL", "localstack"),
    ):
        assert f"@{service}:" in env[variable] or f"//{service}:" in env[variable], variable
        assert service in services


def test_dockerfile_is_multi_stage_non_root_with_healthcheck_and_no_dev_extras() -> None:
    dockerfile = (INFRA / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.MULTILINE)) >= 2
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user and not user[-1].startswith(("root", "0")), user
    assert re.search(r"^HEALTHCHECK .*\n?.*health/live", dockerfile, re.MULTILINE)
    installs = re.findall(r"pip install [^\n]*", dockerfile)
    assert any(re.search(r"install --no-cache-dir \.(\s|$)", line) for line in installs)
    assert not any("[dev]" in line or "[bench]" in line for line in installs)
    exposed = re.findall(r"^EXPOSE (\d+)", dockerfile, re.MULTILINE)
    assert exposed == [re.search(r"LOGPLANE_API_PORT=(\d+)", dockerfile).group(1)]  # type: ignore[union-attr]


def test_standins_cover_every_pulled_image_and_every_logplane_build() -> None:
    """infra/standins/compose.yml (an engine without registry access) stays in step with the compose
    file: a stand-in for every image pulled, the Python stand-in for every service that builds ours;
    and the build context holds what the Dockerfile copies."""
    compose = _compose()
    override = yaml.safe_load((INFRA / "standins" / "compose.yml").read_text())["services"]
    pulled = {
        name for name, s in compose["services"].items() if "build" not in s and s.get("image") != "logplane:local"
    }
    built = {name for name, s in compose["services"].items() if "build" in s}
    assert pulled == {name for name, s in override.items() if "image" in s}
    assert built == {name for name, s in override.items() if "build" in s}
    for name in built:
        assert override[name]["build"]["args"]["PYTHON_IMAGE"].startswith("logplane-standin/python:")
        for key in ("context", "dockerfile"):
            assert override[name]["build"][key] == compose["services"][name]["build"][key]
    dockerfile = (INFRA / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert bases and set(bases) == {"${PYTHON_IMAGE}"}, bases  # every stage: one pulled image, overridable
    copies = re.findall(r"^COPY (?!--from)(?:--\S+ )*(.+) \S+$", dockerfile, re.MULTILINE)
    assert copies and not any(line.startswith("[") for line in copies)  # the exec form would escape this check
    copied = {path for line in copies for path in line.split()}
    allowed = {line[1:] for line in (INFRA.parent / ".dockerignore").read_text().splitlines() if line.startswith("!")}
    assert copied <= allowed, copied - allowed


def test_kubernetes_probes_ports_resources_and_queue_scaling() -> None:
    docs = _k8s()
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    api = deployments["logplane-api"]["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert str(ports["http"]) == config["LOGPLANE_API_PORT"]
    assert api["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    assert api["livenessProbe"]["httpGet"]["path"] == "/health/live"
    service = next(d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "logplane-api")
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    for name, d in deployments.items():
        pod = d["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for c in pod["containers"]:
            assert c["resources"]["requests"]["cpu"] and c["resources"]["requests"]["memory"], name
            assert {"configMapRef": {"name": "logplane"}} in c["envFrom"], name
            assert {"secretRef": {"name": "logplane"}} in c["envFrom"], name
    scaled = [d for d in docs if d["kind"] == "ScaledObject"]
    assert scaled, "queue-fed workers scale on SQS depth (KEDA)"
    prefix = config["LOGPLANE_SQS_QUEUE_PREFIX"]
    for s in scaled:
        target = s["spec"]["scaleTargetRef"]["name"]
        assert target in deployments
        trigger = s["spec"]["triggers"][0]
        assert trigger["type"] == "aws-sqs-queue"
        queue = trigger["metadata"]["queueURL"].rsplit("/", 1)[1]
        assert queue.removeprefix(prefix) in QUEUES, queue
        worker = deployments[target]["spec"]["template"]["spec"]["containers"][0]["command"][2]
        assert queue == f"{prefix}{worker}", "a worker scales on its own queue"
    assert any(
        d["kind"] == "Job" and d["spec"]["template"]["spec"]["containers"][0]["command"] == ["logplane", "provision"]
        for d in docs
    )
