"""Serve the pipeline as a Prefect deployment: nightly on a cron schedule, and on request.

Schedules need a running Prefect server (embedded mode has no scheduler). To run it:

    prefect server start                                   # terminal 1 (PostgreSQL: set
                                                           #   PREFECT_API_DATABASE_CONNECTION_URL)
    export PREFECT_API_URL=http://127.0.0.1:4200/api       # terminal 2, and in the web app's env
    python -m flows.serve

The process registers the deployment ``pipeline/shuzhen-pipeline`` (cron ``settings.pipeline_cron``,
default 02:00 every night, timezone ``settings.pipeline_timezone``) and executes its runs: the nightly
one and those the web app requests after submissions (``flows.trigger.request_pipeline_run``). One run
at a time (``concurrency_limit=1``): a request during a running pipeline waits for it instead of
competing for the database.
"""

from __future__ import annotations

from typing import Any

from prefect import serve
from prefect.schedules import Cron

from diagnostics.settings import settings
from flows.pipeline import pipeline_flow
from flows.trigger import DEPLOYMENT


def deployments() -> list[Any]:
    return [pipeline_flow.to_deployment(
        name=DEPLOYMENT.split("/", 1)[1],
        schedules=[Cron(settings.pipeline_cron, timezone=settings.pipeline_timezone)],
        concurrency_limit=1, tags=["shuzhen"], parameters={},
        description="Score new submissions and rebuild portraits, needs, map, shortlist and reports.",
    )]


def main() -> None:
    serve(*deployments())


if __name__ == "__main__":
    main()
