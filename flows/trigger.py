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
import threading
import time
from typing import Any

from diagnostics.settings import settings

log = logging.getLogger("shuzhen.flows.trigger")
DEPLOYMENT = "pipeline/shuzhen-pipeline"
COALESCE_SECONDS = 600


def run_pipeline(cluster: str | None = None) -> dict[str, Any]:
    """Run the whole pipeline now, in this process, through Prefect; returns its summary."""
    # late: the web app imports this module, and Prefect (which flows.pipeline imports) takes seconds to load
    from flows.pipeline import pipeline_flow  # noqa: PLC0415

    return pipeline_flow(cluster=cluster)


def _create_run(reason: str) -> None:
    try:
        from prefect.deployments import run_deployment  # noqa: PLC0415  (late, as above: only on a request)

        window = int(time.time() // COALESCE_SECONDS)
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
