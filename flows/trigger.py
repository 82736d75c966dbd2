"""The two ways the rest of Shuzhen starts the pipeline: now, in-process (CLI), or by request (web app).

``run_pipeline`` runs ``pipeline_flow`` in this process through Prefect: in embedded mode (Prefect
starts a temporary local server for the run) unless ``PREFECT_API_URL`` points at a server, in which
case the run is recorded there. The CLI ``shuzhen pipeline run [--cluster CODE]`` calls it.

``request_pipeline_run`` is what the web app calls after a submission. With a Prefect server it
creates a flow run of the served deployment (``flows/serve.py``) and returns at once; the served
process picks it up. Requests in the same ten minutes share one idempotency key, so a burst of
submissions makes one run, not a hundred. Without a server it only logs: the nightly run (or the CLI)
will score the submission. It never raises and never blocks the request: the call to the server runs
in a background thread.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from diagnostics.settings import settings
from diagnostics.store import console
from diagnostics.store.db import get_engine, session_scope

log = logging.getLogger("shuzhen.flows.trigger")
DEPLOYMENT = "pipeline/shuzhen-pipeline"
COALESCE_SECONDS = 600


def run_pipeline(cluster: str | None = None) -> dict[str, Any]:
    """Run the whole pipeline now, in this process, through Prefect; returns its summary."""
    # late: the web app imports this module, and Prefect (which flows.pipeline imports) takes seconds to load
    from flows import embedded_server  # noqa: PLC0415
    from flows.pipeline import pipeline_flow  # noqa: PLC0415

    if not settings.prefect_api_url:
        embedded_server.install()  # the temporary server must not outlive this process (SIGKILL included)
    return pipeline_flow(cluster=cluster)


@contextmanager
def on_server() -> Iterator[None]:
    """Prefect's client pointed at the server Shuzhen's settings name (``PREFECT_API_URL``).

    The calls below run in threads of their own, and a new thread sees Prefect's settings as they were
    when Prefect was first imported, not as the caller's context has them: say which server explicitly.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415  (late, as above)

    with temporary_settings(updates={PREFECT_API_URL: settings.prefect_api_url}):
        yield


def _create_run(reason: str) -> None:
    try:
        from prefect.deployments import run_deployment  # noqa: PLC0415  (late, as above: only on a request)

        window = int(time.time() // COALESCE_SECONDS)
        with on_server():
            run = run_deployment(DEPLOYMENT, parameters={}, timeout=0, as_subflow=False, tags=["on-submit"],
                                 idempotency_key=f"on-submit-{window}", flow_run_name=f"on-submit-{window}")
        log.info("pipeline run %s requested (%s)", getattr(run, "id", "?"), reason)
    except Exception as exc:  # the web app must never fail because the pipeline could not be queued
        log.warning("could not request a pipeline run (%s): %s: %s", reason, type(exc).__name__, exc)


def request_pipeline_run(reason: str) -> None:
    """Ask the served deployment for a run soon; without a Prefect server, log and do nothing."""
    try:
        if not settings.prefect_api_url:
            log.info("pipeline run not requested (%s): no PREFECT_API_URL; the nightly run or "
                     "`shuzhen pipeline run` will pick it up", reason)
            return
        threading.Thread(target=_create_run, args=(reason,), name="shuzhen-pipeline-request", daemon=True).start()
    except Exception as exc:  # pragma: no cover - defensive: never raise into a web request
        log.warning("could not request a pipeline run (%s): %s", reason, exc)


def run_now(request_id: int, cluster: str | None = None) -> threading.Thread:
    """The dashboard's "run now": run the pipeline for request ``request_id`` in a background thread and
    keep its state (queued -> running -> done | failed) in ``run_requests`` for the page to poll.

    With ``PREFECT_API_URL`` the served deployment runs it (``flows/serve.py``) and the thread follows the
    flow run's state through Prefect's API; otherwise the embedded runner runs it in this thread (the
    web process), as ``shuzhen pipeline run`` would. Errors end as "failed" with their message.
    """
    def state(value: str, **values: Any) -> None:
        with session_scope(get_engine()) as s:
            console.set_state(s, request_id, value, **values)

    def follow_server() -> None:
        # late: Prefect is imported only when a server runs it (the web app must start without it)
        from prefect.client.orchestration import get_client  # noqa: PLC0415
        from prefect.deployments import run_deployment  # noqa: PLC0415

        with on_server():
            flow_run: Any = run_deployment(DEPLOYMENT, parameters={"cluster": cluster}, timeout=0, as_subflow=False,
                                           tags=["run-now"], flow_run_name=f"run-now-{request_id}")
            state("queued", flow_run_id=str(flow_run.id))
            with get_client(sync_client=True) as client:
                while True:
                    current = client.read_flow_run(flow_run.id).state
                    kind = current.type.value if current else "PENDING"
                    if kind == "RUNNING":
                        state("running", flow_run_id=str(flow_run.id))
                    elif kind == "COMPLETED":
                        return state("done")
                    elif kind in ("FAILED", "CRASHED", "CANCELLED", "CANCELLING"):
                        return state("failed", message=f"{kind}: {current.message if current else ''}"[:500])
                    time.sleep(2)

    def body() -> None:
        try:
            if settings.prefect_api_url:
                follow_server()
                return
            state("running", pid=os.getpid())
            summary = run_pipeline(cluster)
            state("done", stats={"timings": summary.get("timings", {}),
                                 "clusters": {k: v.get("run_id") for k, v in summary.get("clusters", {}).items()}})
        except Exception as exc:  # the state is the report: the page shows the message
            log.warning("run-now %s failed: %s: %s", request_id, type(exc).__name__, exc)
            state("failed", message=f"{type(exc).__name__}: {exc}"[:500])

    thread = threading.Thread(target=body, name=f"shuzhen-run-now-{request_id}", daemon=True)
    thread.start()
    return thread
