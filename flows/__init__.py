"""Prefect flows: thin orchestration of the cluster pipeline (score, portraits, needs, map, shortlist, reports).

Environment defaults for Prefect are set HERE, before Prefect is imported, because Prefect reads its
settings at import time (and the temporary server it starts in embedded mode is a child process that
inherits this environment). This is the one place outside ``diagnostics.settings`` that touches
``os.environ``, and it only *defaults* values (an operator's own setting always wins):

- ``PREFECT_SERVER_ANALYTICS_ENABLED=false`` and ``DO_NOT_TRACK=1``: no telemetry from server or client
  (the machines this runs on often have no outbound internet, and failed telemetry calls are log noise);
- ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=90``: Prefect's embedded temporary server takes
  4-10 s to start on a 2-core machine, more under load; the default timeout is too tight;
- embedded mode only (no ``PREFECT_API_URL``): ``PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED=false``
  and ``PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED=false``. The temporary server and its database
  are thrown away when the process ends, so writing every task-run event into it serves nobody; worse,
  these two services keep the server's SQLite and a CPU core busy while the pipeline computes (the next
  flow run's API calls wait for them; on 2 cores it cost ~1 s of a 25 s run), and when the server is
  stopped mid-flush the recorder logs a ``CancelledError`` traceback per pending batch. Flow runs, their
  states and logs are still recorded, and a real server (``PREFECT_API_URL``) is untouched.
"""

from __future__ import annotations

import ctypes
import gc
import os
from collections.abc import Callable
from typing import cast

from diagnostics.settings import settings

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
if not settings.prefect_api_url:
    os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED", "false")


def tune_gc() -> None:
    """Let the cycle collector's young generation grow to ``SHUZHEN_GC_YOUNG`` objects in a process that
    runs pipeline stages (the pipeline, a stage run on its own, a pool worker): see the setting for the
    measurement. Process-wide and idempotent: a web process that runs the pipeline itself (the dashboard's
    "run now" in embedded mode) keeps the setting afterwards, which costs it nothing measurable."""
    if settings.gc_young > 0:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(settings.gc_young, middle, old)


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS). Looked up among the
    symbols the process already has (``dlopen(NULL)``): ``ctypes.util.find_library`` would run a
    subprocess in every process that imports ``flows``, the web app's included."""
    try:
        return cast(Callable[[int], int], ctypes.CDLL(None).malloc_trim)
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back_memory() -> bool:
    """Hand the pages the C allocator holds free back to the system, after a cluster's stage.

    What a stage frees (the read frames, the serialised rows) goes back to glibc's heap, and glibc
    returns little of it by itself: a worker lane stayed at 995 MB after a 60 000-firm portraits stage
    whose results hold ~365 MB; ``malloc_trim(0)`` brought it to 520 MB (``bench/stage_memory.py``).
    Between clusters and stages that is memory the other lane and the database can use. True when the
    call was made (glibc)."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


def drop_documents() -> None:
    """Free the Word documents a step just built, then give their memory back.

    python-docx's objects point back at their parents (a document at its part, the part at its
    package...), so a built document does not go when its builder returns: it is cyclic garbage, left
    for a full collection that ``tune_gc``'s larger young generation makes rare. The 60 000-firm demo
    cluster's survey report (15 011 firms in its overview table) left ~90 MB resident that way, and the
    research report's leftovers were still held while the survey report was built: the stage ended at
    622 MB, 465 MB with this, and its peak went from 645 to 630 MB (``bench/stage_memory.py``). A full
    collection, 0.3-0.5 s with that cluster's frame cached: the younger generations alone found both
    documents there, but a bigger document can outlive enough young collections to reach the oldest
    generation while it is built."""
    gc.collect()
    give_back_memory()
