"""How the web app and the scheduler start the pipeline: never failing a request, one nightly deployment."""

from __future__ import annotations

import logging
import threading

import prefect.deployments
import pytest

from diagnostics.settings import settings
from flows import serve, trigger


def test_without_a_server_a_request_only_logs(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    monkeypatch.setattr(settings, "prefect_api_url", None)
    started = []
    monkeypatch.setattr(trigger, "_create_run", lambda reason: started.append(reason))
    with caplog.at_level(logging.INFO, logger="shuzhen.flows.trigger"):
        trigger.request_pipeline_run("submission 7")  # returns at once, raising nothing
    assert started == []
    assert "no PREFECT_API_URL" in caplog.text


def test_with_a_server_the_run_is_requested_in_the_background(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(settings, "prefect_api_url", "http://127.0.0.1:9/api")
    done = threading.Event()
    seen = []

    def fake(reason: str) -> None:
        seen.append((reason, threading.current_thread().name))
        done.set()

    monkeypatch.setattr(trigger, "_create_run", fake)
    trigger.request_pipeline_run("submission 8")
    assert done.wait(5)
    assert seen == [("submission 8", "shuzhen-pipeline-request")]  # not on the request's own thread


def test_a_failing_server_never_reaches_the_web_request(monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture):
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("connection refused")

    monkeypatch.setattr(prefect.deployments, "run_deployment", refuse)
    with caplog.at_level(logging.WARNING, logger="shuzhen.flows.trigger"):
        trigger._create_run("submission 9")  # what the background thread runs
    assert "could not request a pipeline run (submission 9): ConnectionError" in caplog.text


def test_served_deployment_runs_nightly_one_at_a_time(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(settings, "pipeline_cron", "30 1 * * *")
    [deployment] = serve.deployments()
    assert f"{deployment.flow_name}/{deployment.name}" == trigger.DEPLOYMENT
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == ("30 1 * * *", settings.pipeline_timezone)
    assert deployment.concurrency_limit == 1
