"""docker-compose.yml is documentation a machine can check: Docker is not available here, so this test
reads the file and holds its services and environment against ``diagnostics.settings``."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from diagnostics.settings import ROOT, Settings
from flows import parallel

COMPOSE = ROOT / "docker-compose.yml"
OURS = ("migrate", "worker", "web", "dask-scheduler", "dask-worker")  # services running the Shuzhen image
SECRETS = {"POSTGRES_PASSWORD": "pw-from-env", "SECRET_KEY": "key-from-env"}


def settings_names() -> set[str]:
    """Every environment variable ``diagnostics/settings.py`` reads."""
    source = (ROOT / "diagnostics" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'(?:_env|os\.environ\.get)\(\s*"([A-Z0-9_]+)"', source))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` (required) against ``env``."""
    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if name in env:
            return env[name]
        if op == ":?":
            raise KeyError(f"{name} is required: {arg}")
        return arg if op == ":-" else ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:[-?])([^}]*))?\}", one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def env_of(compose: dict[str, Any], service: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    raw = compose["services"][service].get("environment") or {}
    return {k: interpolate(str(v), {**SECRETS, **(extra or {})}) for k, v in raw.items()}


def test_the_four_roles_are_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"db", "prefect-server", "worker", "web"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert "prefect server start" in services["prefect-server"]["command"]
    assert "prefect worker start" in services["worker"]["command"] and "--type process" in services["worker"]["command"]
    assert services["web"]["command"].split()[:3] == ["gunicorn", "-c", "gunicorn.conf.py"]
    assert (ROOT / "gunicorn.conf.py").exists()
    for name in OURS:
        assert services[name].get("build") == ".", name


def test_every_variable_is_a_setting_and_secrets_come_from_the_environment(compose: dict[str, Any]) -> None:
    known = settings_names()
    for name in OURS:
        for key in compose["services"][name].get("environment") or {}:
            assert key in known or key.startswith("PREFECT_") or key == "DO_NOT_TRACK", (name, key)
    raw_web = compose["services"]["web"]["environment"]
    assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]+\}", raw_web["SECRET_KEY"])  # required, never a literal
    with pytest.raises(KeyError, match="SECRET_KEY"):
        interpolate(raw_web["SECRET_KEY"], {})
    assert "POSTGRES_PASSWORD:?" in compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"]


def test_the_settings_the_services_get_point_at_each_other(compose: dict[str, Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose["services"]
    db_env = env_of(compose, "db")
    envs = {name: env_of(compose, name) for name in OURS}
    for name, env in envs.items():
        for key in list(os.environ):
            if key in settings_names():
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        s = Settings()  # what the service's process will see
        url = urlsplit(s.database_url)
        assert url.scheme == "postgresql+psycopg" and url.hostname == "db", name
        assert url.path.lstrip("/") == db_env["POSTGRES_DB"] and url.username == db_env["POSTGRES_USER"], name
        assert url.password == SECRETS["POSTGRES_PASSWORD"], name
        assert s.prefect_api_url == f"http://prefect-server:{4200}/api", name
        assert s.task_runner == "dask" and s.dask_address == "tcp://dask-scheduler:8786", name
        assert s.report_dir == Path("/data/reports") and s.work_pool == "shuzhen", name
        if name == "web":
            assert s.secret_key == SECRETS["SECRET_KEY"] and s.trigger_pipeline_on_submit
            port = s.web_bind.rsplit(":", 1)[1]
            assert f"{port}:{port}" in services["web"]["ports"] and s.web_workers >= 1 and s.web_threads >= 1
    # one database and one report folder for everything that writes them
    for name in ("worker", "web", "dask-worker"):
        assert envs[name]["DATABASE_URL"] == envs["worker"]["DATABASE_URL"]
        assert any(v.split(":")[1] == "/data/reports" for v in services[name]["volumes"]), name
    assert "--pool shuzhen" in services["worker"]["command"]
    assert "8786" in services["dask-scheduler"]["command"]
    assert "tcp://dask-scheduler:8786" in services["dask-worker"]["command"]
    assert f"--preload {parallel.PRELOAD}" in services["dask-worker"]["command"]  # the collector setting

    prefect_db = urlsplit(env_of(compose, "prefect-server")["PREFECT_API_DATABASE_CONNECTION_URL"])
    assert prefect_db.scheme == "postgresql+asyncpg" and prefect_db.hostname == "db"
    created = compose["configs"]["create-prefect-database"]["content"]
    assert f"CREATE DATABASE {prefect_db.path.lstrip('/')}" in created
    assert "4200" in services["prefect-server"]["command"]


def test_the_image_serves_gunicorn() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "gunicorn -c gunicorn.conf.py" in dockerfile
    assert "COPY pyproject.toml README.md alembic.ini gunicorn.conf.py" in dockerfile
    assert "flask run" not in dockerfile
