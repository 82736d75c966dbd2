"""Score flow: every submitted or verified submission not yet scored under the current scorer.

The work is ``diagnostics.store.assessing.score_submissions``; this flow only finds what is pending
and hands it over in batches (``settings.score_batch_size`` per task, a progress line per batch).
Running it again with nothing new finds nothing and writes nothing: an assessment is unique per
(submission, revision, scorer version).

A changed questionnaire file does not silently rescore old submissions: they stay scored against the
version they were answered on. ``rescore="<questionnaire code>"`` is the explicit switch: it moves that
code's submissions onto the current version (answers kept, revision bumped, audited) and scores them.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from diagnostics.settings import settings
from diagnostics.store import cluster_data
from diagnostics.store.assessing import chunks, pending_submission_ids
from diagnostics.store.batches import score_batch
from diagnostics.store.db import checkpoint, get_engine, session_scope
from diagnostics.store.repo import current_version
from flows import tune_gc
from flows.context import DIRECT, PREFECT, Runner


def find_pending(cluster: str | None, rescore: str | None) -> list[int]:
    """Ids to score (after moving ``rescore``'s submissions to its current version, when asked)."""
    with session_scope(get_engine()) as s:
        cluster_id = cluster_data.cluster_by_code(s, cluster).id if cluster else None
        if rescore:
            version = current_version(s, rescore)
            cluster_data.rebind_to_version(s, rescore, version.id, cluster_id=cluster_id)
        return pending_submission_ids(s, cluster_id=cluster_id)


def run_score(cluster: str | None = None, *, rescore: str | None = None, batch_size: int | None = None,
              runner: Runner = DIRECT) -> dict[str, Any]:
    tune_gc()
    ids = runner.task(find_pending, cluster, rescore)
    size = batch_size or settings.score_batch_size
    batches = list(chunks(ids, size))
    flow_run_id = runner.flow_run_id()
    done = [0, 0]  # submissions, assessments written

    def progress(k: int, n: int) -> None:
        done[0] += len(batches[k - 1])
        done[1] += n
        runner.log(f"score: batch {k}/{len(batches)} done, {done[0]}/{len(ids)} submissions, "
                   f"{done[1]} assessments written")

    # independent batches: side by side (process pool or Dask) when there is enough to score
    written = sum(runner.map(score_batch, [(b, flow_run_id) for b in batches], rows=len(ids), each=progress))
    if not batches:
        runner.log("score: nothing pending")
    elif written:
        checkpoint()  # the stages after read what this one wrote: not through a 1 GB write-ahead log
    return {"pending": len(ids), "assessments_written": written, "batches": len(batches)}


@flow(name="score", persist_result=False)
def score_flow(cluster: str | None = None, rescore: str | None = None, batch_size: int | None = None) -> dict[str, Any]:
    """Score pending submissions (of one cluster, or all) in batches."""
    return run_score(cluster, rescore=rescore, batch_size=batch_size, runner=PREFECT)
