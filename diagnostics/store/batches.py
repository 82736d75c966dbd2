"""The batch steps that run side by side in worker processes: scoring and enterprise workbooks.

They live here, not in ``flows``, so that a worker needs no Prefect: the local process pool
(``flows.parallel``) pickles the function by its module, and a spawned worker imports that module
first. ``flows.score`` takes 3.7 s of CPU to import (Prefect and its settings), this module 1.2 s;
each of the pool's processes paid it at the start of every pipeline run, beside the work. The flows
call these same functions (one Prefect task per batch), and so do Dask workers.
"""

from __future__ import annotations

from diagnostics.pilot import targets_for_cluster
from diagnostics.settings import settings
from diagnostics.store import cluster_data, report_data
from diagnostics.store.assessing import score_submissions
from diagnostics.store.db import get_engine, retry_busy, session_scope
from diagnostics.taxonomy import load_taxonomy


def score_batch(submission_ids: list[int], flow_run_id: str | None) -> int:
    """Score one batch of submissions; the number of assessments written."""
    return retry_busy(_score_batch, submission_ids, flow_run_id)  # batches side by side share one SQLite file


def _score_batch(submission_ids: list[int], flow_run_id: str | None) -> int:
    with session_scope(get_engine()) as s:
        return score_submissions(s, submission_ids, flow_run_id=flow_run_id)


def write_enterprise_batch(cluster_code: str, portraits_snapshot: int, enterprise_ids: list[int]
                           ) -> tuple[dict[str, str], int]:
    """One batch of enterprise workbooks: (paths by enterprise id, files written). Plain arguments only:
    the batch may run in another process or on a Dask worker, which looks the cluster up itself
    (taxonomies and targets are cached per process)."""
    with session_scope(get_engine()) as s:
        cluster = cluster_data.cluster_by_code(s, cluster_code)
        taxonomy = load_taxonomy(cluster.industry)
        targets = targets_for_cluster(cluster.pilot_code)
        portraits = cluster_data.portrait_set(s, portraits_snapshot)
        feeds = cluster_data.portrait_feeds(s, portraits_snapshot)
        inputs = report_data.enterprise_inputs(s, cluster, portraits, enterprise_ids, taxonomy,
                                               [targets.questionnaire, *targets.modules], feeds)
    return report_data.write_enterprise_files(settings.report_dir, cluster.code, inputs)

