"""Register the pipeline on a Prefect server for process workers: a work pool and a deployment.

    PREFECT_API_URL=http://prefect:4200/api python -m flows.deploy    # once per release
    prefect worker start --pool shuzhen --type process                 # on each machine that runs flows

``flows.serve`` runs the deployment inside one long-lived process; this is the other way, past one
machine: the server holds the schedule (``settings.pipeline_cron``) and the queue, and any number of
workers on the ``settings.work_pool`` process pool pick runs up and execute each in a fresh process,
from the code at ``settings.flow_source`` (default: this checkout; in the image, ``/app``). Runs get the
worker's environment, so ``DATABASE_URL``, ``SHUZHEN_REPORTS``, ``SHUZHEN_TASK_RUNNER`` and
``SHUZHEN_DASK_ADDRESS`` are set on the worker. The deployment's name is the one ``flows.trigger``
requests runs of, so the web app's "refresh after submit" reaches it either way. Idempotent: running it
again updates the deployment and leaves the pool alone.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import Flow, get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectAlreadyExists
from prefect.schedules import Cron

from diagnostics.settings import settings
from flows.pipeline import pipeline_flow
from flows.trigger import DEPLOYMENT


async def ensure_work_pool(name: str) -> None:
    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            pass


def deploy() -> Any:
    """Create the pool if needed and (re)register the deployment; returns the deployment id."""
    asyncio.run(ensure_work_pool(settings.work_pool))
    # a module path, not "flows/pipeline.py:...": loaded from a file the module would be "pipeline", which
    # Dask cannot import when it unpickles the batches' context on its scheduler and workers
    source = pipeline_flow.from_source(source=str(settings.flow_source), entrypoint="flows.pipeline.pipeline_flow")
    assert isinstance(source, Flow)  # from a synchronous caller Prefect returns the flow itself, not a coroutine
    return source.deploy(
        name=DEPLOYMENT.split("/", 1)[1], work_pool_name=settings.work_pool, build=False, push=False,
        schedules=[Cron(settings.pipeline_cron, timezone=settings.pipeline_timezone)], concurrency_limit=1,
        tags=["shuzhen"], parameters={}, print_next_steps=False,
        description="Score new submissions and rebuild portraits, needs, map, shortlist and reports.",
    )


if __name__ == "__main__":
    print(f"deployment {DEPLOYMENT} on work pool '{settings.work_pool}': {deploy()}")
