"""Bulk reads and writes for the cluster views: frames in, snapshots and portrait rows out.

The flows never touch rows one by one. Reads stream in chunks (``yield_per``) and come back as
DataFrames whose columns ``diagnostics.portraits`` documents; writes are ``insert`` executemany calls.

Snapshots are content-addressed: ``save_snapshot`` hashes the canonical payload and, when the same
cluster already has a snapshot of that kind with that hash, returns the existing row instead of writing
a duplicate. The pipeline run that asked for it is linked through ``PipelineRun.stats["snapshots"]``,
so history shows every run (its flow-run id and time) and which snapshot each run saw, while the
payloads stay free of run ids and timestamps. The *latest* view of a kind is the one the most recent
finished run saw, not the newest row: data that changes and then changes back must show the older
(re-used) snapshot again.
"""

from __future__ import annotations

import typing
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Table, Text, bindparam, case, cast, func, insert, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from diagnostics import processes
from diagnostics.canonical import digest, jsonable
from diagnostics.portraits import (
    ASSESSMENT_COLUMNS,
    ENTERPRISE_COLUMNS,
    HEAVY,
    LIGHT_COLUMNS,
    PORTRAIT_COLUMNS,
    REPEATED,
    ROW_COLUMNS,
    HeavyStore,
    PortraitRecords,
    PortraitSet,
    from_records,
    item_sharer,
    shared_codes,
    to_records,
    value_sharer,
)
from diagnostics.questionnaire import Questionnaire
from diagnostics.scoring import SCORER_VERSION
from diagnostics.settings import settings
from diagnostics.spool import FrameSpool
from diagnostics.store import bulk
from diagnostics.store.models import (
    Assessment,
    Cluster,
    Enterprise,
    PipelineRun,
    Portrait,
    QuestionnaireVersion,
    Snapshot,
    Submission,
    utcnow,
)
from diagnostics.store.repo import audit, definition_of

Progress = Callable[[str], None]
DEFAULT_CHUNK = 5000
# the enterprise columns a portrait carries on that take a few values across a cluster (``portraits.REPEATED``)
SHARED_ENTERPRISE_COLUMNS = [c for c in ENTERPRISE_COLUMNS if c in REPEATED]


def _noop(_msg: str) -> None:
    return None


def cluster_by_code(session: Session, code: str) -> Cluster:
    cluster = session.scalar(select(Cluster).where(Cluster.code == code))
    if cluster is None:
        known = ", ".join(session.scalars(select(Cluster.code).order_by(Cluster.code))) or "none"
        raise LookupError(f"no cluster '{code}' (known: {known}) / 没有此产业集群")
    return cluster


def cluster_codes(session: Session) -> list[str]:
    return list(session.scalars(select(Cluster.code).order_by(Cluster.code)))


def enterprise_count(session: Session, codes: Sequence[str]) -> int:
    """How many enterprises these clusters hold (what decides whether they are worth a process each)."""
    return int(session.scalar(select(func.count(Enterprise.id)).join(Cluster, Enterprise.cluster_id == Cluster.id)
                              .where(Cluster.code.in_(list(codes)))) or 0)


def _read_chunked(session: Session, stmt: Any, columns: Sequence[str], label: str,
                  progress: Progress, json: Sequence[str] = ()) -> pd.DataFrame:
    """Run a ``yield_per`` query chunk by chunk into one DataFrame, with a progress line per chunk;
    the ``json`` columns arrive as text (``bulk.json_text``) and are decoded here (decoding 100 000
    assessments' three score dicts with the column type's stdlib parser was most of a cold read)."""
    parts: list[pd.DataFrame] = []
    rows = 0
    decode = [list(columns).index(c) for c in json]
    for i, part in enumerate(session.execute(stmt).partitions(), start=1):
        values = [list(r) for r in part]
        for row in values:
            for k in decode:
                row[k] = bulk.loads(row[k])
        parts.append(pd.DataFrame(values, columns=list(columns)))
        rows += len(parts[-1])
        progress(f"read {label}: chunk {i}, {rows} rows")
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(columns))


IdRange = tuple[int, int]  # (first, last) enterprise id, both included


def enterprise_id_ranges(session: Session, cluster_id: int, firms: int) -> list[IdRange]:
    """The cluster's enterprise ids in runs of ``firms`` firms, in id order: what a stage reads a part of
    the cluster at a time by (``enterprise_frame`` and ``assessment_frame``'s ``ids``)."""
    ids = session.scalars(select(Enterprise.id).where(Enterprise.cluster_id == cluster_id)
                          .order_by(Enterprise.id)).all()
    step = max(int(firms), 1)
    return [(ids[i], ids[min(i + step, len(ids)) - 1]) for i in range(0, len(ids), step)]


def enterprise_frame(session: Session, cluster_id: int, *, chunk_size: int = DEFAULT_CHUNK,
                     progress: Progress = _noop, ids: IdRange | None = None) -> pd.DataFrame:
    """Every enterprise of the cluster (``ids``: those in that id range), columns
    ``portraits.ENTERPRISE_COLUMNS``, by id."""
    E = Enterprise
    stmt = (select(E.id, E.uscc, E.name, E.industry_code, E.region, E.size_class, bulk.json_text(E.chain_links),
                   bulk.json_text(E.tags), E.group_name, E.pilot_willing)
            .where(E.cluster_id == cluster_id, *_in_range(E.id, ids)).order_by(E.id)
            .execution_options(yield_per=chunk_size))
    df = _read_chunked(session, stmt, ENTERPRISE_COLUMNS, "enterprises", progress, json=("chain_links", "tags"))
    if df.empty:
        return df
    df["chain_links"] = df["chain_links"].map(lambda v: sorted(v or []))
    df["tags"] = df["tags"].map(lambda v: sorted(v or []))
    df["pilot_willing"] = df["pilot_willing"].fillna(False).astype(bool)
    df["group_name"] = df["group_name"].astype(object).where(df["group_name"].notna(), None)
    for c in SHARED_ENTERPRISE_COLUMNS:  # read row by row, each row has its own copy of the same few codes
        df[c] = shared_codes(df[c])
    return df


def _in_range(column: Any, ids: IdRange | None) -> list[Any]:
    return [] if ids is None else [column.between(ids[0], ids[1])]


def assessment_frame(session: Session, cluster_id: int, codes: Sequence[str], *, chunk_size: int = DEFAULT_CHUNK,
                     progress: Progress = _noop, ids: IdRange | None = None) -> pd.DataFrame:
    """The assessment that speaks for each (enterprise, questionnaire code) of the cluster (``ids``: of
    the enterprises in that id range).

    Order of preference (one SQL window, no per-enterprise queries): current scorer version first, then
    verified on site (``trusted``) over self-assessed, then the newest. Columns
    ``portraits.ASSESSMENT_COLUMNS``; the long explanation trail is not read here.
    """
    A, QV = Assessment, QuestionnaireVersion
    rank = func.row_number().over(
        partition_by=(A.enterprise_id, QV.code),
        order_by=(case((A.scorer_version == SCORER_VERSION, 0), else_=1), A.trusted.desc(), A.created_at.desc(),
                  A.id.desc()))
    inner = (select(A.id.label("assessment_id"), A.enterprise_id, QV.code.label("questionnaire_code"),
                    A.questionnaire_version_id, A.trusted, A.total, A.level, A.band_level,
                    bulk.json_text(A.dimension_scores), bulk.json_text(A.indicator_scores),
                    bulk.json_text(A.scenario_levels),
                    rank.label("rn"))
             .join(QV, QV.id == A.questionnaire_version_id).join(Enterprise, Enterprise.id == A.enterprise_id)
             .where(Enterprise.cluster_id == cluster_id, QV.code.in_(list(codes)), *_in_range(A.enterprise_id, ids))
             .subquery())
    stmt = (select(*[inner.c[c] for c in ASSESSMENT_COLUMNS]).where(inner.c.rn == 1)
            .order_by(inner.c.enterprise_id, inner.c.questionnaire_code).execution_options(yield_per=chunk_size))
    df = _read_chunked(session, stmt, ASSESSMENT_COLUMNS, "assessments", progress,
                       json=("dimension_scores", "indicator_scores", "scenario_levels"))
    if df.empty:
        return df
    df["trusted"] = df["trusted"].astype(bool)
    return df


def definitions(session: Session, version_ids: Iterable[int]) -> dict[int, Questionnaire]:
    """The exact definitions the given questionnaire versions hold."""
    ids = sorted({int(v) for v in version_ids})
    if not ids:
        return {}
    return {v.id: definition_of(v) for v in session.scalars(select(QuestionnaireVersion).where(
        QuestionnaireVersion.id.in_(ids)))}


def explanations(session: Session, assessment_ids: Sequence[int], *, chunk_size: int = 1000) -> dict[int, Any]:
    """Explanation trails of the given assessments (only for the reports that print them)."""
    out: dict[int, Any] = {}
    ids = sorted({int(i) for i in assessment_ids})
    for start in range(0, len(ids), chunk_size):
        part = ids[start:start + chunk_size]
        out.update(session.execute(select(Assessment.id, Assessment.explanation).where(Assessment.id.in_(part))).all())
    return out


# ---------------------------------------------------------------------------------------------- runs


def start_run(session: Session, cluster_id: int | None, flow_run_id: str | None, flow: str = "pipeline") -> int:
    """A new "running" run, recording the process that runs it (``abandon_dead_runs`` reads it)."""
    run = PipelineRun(cluster_id=cluster_id, flow_run_id=flow_run_id, status="running", started_at=utcnow(),
                      stats={"flow": flow, "snapshots": {}, "process": processes.identity()})
    session.add(run)
    session.flush()
    return run.id


def update_run(session: Session, run_id: int, *, status: str | None = None, **stats: Any) -> None:
    """Merge ``stats`` into the run's stats (snapshots merge by kind); finishing sets ``finished_at``."""
    run = session.get(PipelineRun, run_id)
    if run is None:
        return
    merged = dict(run.stats or {})
    for key, value in stats.items():
        if key == "snapshots":
            merged["snapshots"] = {**merged.get("snapshots", {}), **value}
        else:
            merged[key] = jsonable(value)
    run.stats = merged
    if status:
        run.status = status
        if status != "running":
            run.finished_at = utcnow()


def abandon_dead_runs(session: Session, *, stale_after: timedelta) -> list[int]:
    """Mark "abandoned" every run left "running" by a process that is gone; returns their ids.

    Gone means: the run's process was on this host and is no longer alive (or its pid now belongs to a
    later process); or this host cannot tell (another host, or a row from before runs recorded their
    process) and the run started more than ``stale_after`` ago. A live run is never touched, so two
    pipelines running side by side leave each other alone.
    """
    now = utcnow()
    out: list[int] = []
    for run in session.scalars(select(PipelineRun).where(PipelineRun.status == "running")
                               .order_by(PipelineRun.id)):
        record = (run.stats or {}).get("process")
        living = processes.alive(record)
        why = "its process is gone"
        if living is None:
            living = run.started_at is not None and now - run.started_at < stale_after
            why = f"no end recorded {stale_after} after its start"
        if living:
            continue
        run.stats = {**(run.stats or {}), "abandoned": {"at": now.isoformat(timespec="seconds"), "why": why}}
        run.status = "abandoned"
        run.finished_at = now
        out.append(run.id)
    if out:
        audit(session, "pipeline_runs_abandoned", "pipeline_run", ",".join(map(str, out))[:64],
              actor="flow:pipeline", runs=out)
    return out


def save_snapshot(session: Session, cluster_id: int, kind: str, payload: dict[str, Any], *, run_id: int | None,
                  flow_run_id: str | None) -> tuple[int, bool]:
    """(snapshot id, created): the existing snapshot when the same content is already stored."""
    content_hash = digest(payload)
    where = (Snapshot.cluster_id == cluster_id, Snapshot.kind == kind, Snapshot.content_hash == content_hash)
    existing = session.scalar(select(Snapshot.id).where(*where))
    created = False
    if existing is None:
        try:
            with session.begin_nested():
                snap = Snapshot(cluster_id=cluster_id, kind=kind, content_hash=content_hash, payload=jsonable(payload),
                                run_id=run_id, flow_run_id=flow_run_id, created_at=utcnow())
                session.add(snap)
                session.flush()
                existing, created = snap.id, True
        except IntegrityError:  # a concurrent run stored the same content first
            existing = session.scalar(select(Snapshot.id).where(*where))
    if run_id is not None:
        update_run(session, run_id, snapshots={kind: {"id": existing, "new": created, "hash": content_hash}})
    if existing is None:  # the insert failed on the unique content hash, so the row is there
        raise LookupError(f"snapshot {kind} {content_hash} was neither stored nor found")
    return int(existing), created


def save_portraits(session: Session, snapshot_id: int, records: Sequence[dict[str, Any]] | pd.DataFrame, *,
                   texts: Sequence[bytes] | None = None, chunk_size: int = DEFAULT_CHUNK,
                   progress: Progress = _noop) -> int:
    """Bulk-insert portrait rows of a new snapshot (a re-used snapshot already has them).

    ``texts``: each record's ``data`` already serialised (``portraits.data_texts``, made once for the
    digest, UTF-8); they are bound as text (cast to JSONB on PostgreSQL) instead of being encoded again,
    decoded a chunk at a time. With texts, ``records`` may be the light frame the rows are made of
    (``portraits.stored_form``): their indexed columns are then made a chunk at a time.
    """
    if isinstance(records, pd.DataFrame) and texts is None:
        raise ValueError("portrait rows from a frame need their data texts")
    if session.scalar(select(func.count()).select_from(Portrait).where(Portrait.snapshot_id == snapshot_id)):
        return 0
    # Core executemany: the ORM's bulk-insert path cost 3 s per 100 000 rows
    table = typing.cast(Table, Portrait.__table__)
    stmt: Any = insert(table)
    if texts is not None:
        data: Any = bindparam("data", type_=Text)
        if session.get_bind().dialect.name == "postgresql":
            data = cast(data, JSONB)
        stmt = insert(table).values({**{c: bindparam(c) for c in ROW_COLUMNS},
                                        "snapshot_id": bindparam("snapshot_id"), "data": data})
    if texts is not None and len(texts) != len(records):
        raise ValueError(f"{len(records)} portrait rows but {len(texts)} data texts")
    for start in range(0, len(records), chunk_size):
        end = min(start + chunk_size, len(records))
        rows: Sequence[dict[str, Any]] = (to_records(records.iloc[start:end], ROW_COLUMNS)
                                          if isinstance(records, pd.DataFrame) else records[start:end])
        if texts is None:
            part = [{**r, "snapshot_id": snapshot_id} for r in rows]
        else:  # a run of texts at a time (a spool reads it in one go)
            part = [{**{c: r[c] for c in ROW_COLUMNS}, "snapshot_id": snapshot_id, "data": text.decode("utf-8")}
                    for r, text in zip(rows, texts[start:end], strict=True)]
        session.execute(stmt, part)
        progress(f"wrote portraits: {end}/{len(records)}")
    return len(records)


# (database, cluster) -> (snapshot id, content hash, portraits): a run needs one cluster's portraits, so
# its newer ones replace its older, and a few clusters are kept, the least recently used dropped. The
# pipeline keeps a ``PortraitSet`` (light rows in memory, nested profiles in a file: a stage holds one
# part's); the web's pages, which draw every firm, keep whole frames (``portraits_frame``)
_PORTRAIT_CACHE: OrderedDict[tuple[str, int | None], tuple[int, str, PortraitSet | pd.DataFrame]] = OrderedDict()
CACHE_SIZE = 4


def _snapshot_key(session: Session, snapshot_id: int) -> tuple[tuple[str, int | None], str] | None:
    """The cache slot of a snapshot's cluster, and the snapshot's content hash (None: no such snapshot)."""
    row = session.execute(select(Snapshot.cluster_id, Snapshot.content_hash).where(Snapshot.id == snapshot_id)).first()
    if row is None:
        return None
    return (str(session.get_bind().engine.url), row.cluster_id), row.content_hash


def _remember(slot: tuple[str, int | None], snapshot_id: int, content_hash: str,
              portraits: PortraitSet | pd.DataFrame) -> None:
    _PORTRAIT_CACHE[slot] = (snapshot_id, content_hash, portraits)
    _PORTRAIT_CACHE.move_to_end(slot)
    while len(_PORTRAIT_CACHE) > CACHE_SIZE:
        _PORTRAIT_CACHE.popitem(last=False)


def _cached(session: Session, snapshot_id: int
            ) -> tuple[tuple[str, int | None], str, PortraitSet | pd.DataFrame | None]:
    """(cache slot, content hash, what the cache holds for the snapshot or None)."""
    found = _snapshot_key(session, snapshot_id)
    if found is None:
        raise LookupError(f"no snapshot {snapshot_id}")
    slot, content_hash = found
    hit = _PORTRAIT_CACHE.get(slot)
    if hit is not None and hit[:2] == (snapshot_id, content_hash):
        _PORTRAIT_CACHE.move_to_end(slot)
        return slot, content_hash, hit[2]
    return slot, content_hash, None


def portrait_set(session: Session, snapshot_id: int, *, chunk_size: int = DEFAULT_CHUNK) -> PortraitSet:
    """The portraits of one snapshot as a ``PortraitSet``: light rows in memory, nested profiles a part
    at a time from a file. What the pipeline's stages read.

    Snapshot content never changes, so it is memoised by (database, id, content hash): the needs, map,
    shortlist and reports stages of one run do not read it again (the portraits stage primes the
    cache, ``remember_portraits``). Read cold, the rows come ``SHUZHEN_PART_FIRMS`` at a time, each
    part's profiles spooled as it is decoded."""
    slot, content_hash, hit = _cached(session, snapshot_id)
    if isinstance(hit, PortraitSet):
        return hit.view()
    if hit is not None:
        return PortraitSet.of_frame(hit.copy())
    out = _read_portraits(session, snapshot_id, FrameSpool(), chunk_size=chunk_size)
    _remember(slot, snapshot_id, content_hash, out)
    return out.view()


def portraits_frame(session: Session, snapshot_id: int, *, chunk_size: int = DEFAULT_CHUNK) -> pd.DataFrame:
    """The portraits of one snapshot as one DataFrame (``portraits.PORTRAIT_COLUMNS``): every column of
    every firm, for the pages that draw them all; memoised as ``portrait_set`` is."""
    slot, content_hash, hit = _cached(session, snapshot_id)
    if hit is not None and not isinstance(hit, PortraitSet):
        return hit.copy()
    # a process that ran the pipeline (the web app's "run now" in embedded mode) keeps the whole frame
    # from then on, as one that read it cold does
    frame = (hit.frame() if hit is not None else
             _read_portraits(session, snapshot_id, [], chunk_size=chunk_size).frame())
    _remember(slot, snapshot_id, content_hash, frame)
    return frame.copy()


def _read_portraits(session: Session, snapshot_id: int, heavy: HeavyStore, *, chunk_size: int) -> PortraitSet:
    """A snapshot's rows, decoded ``settings.part_firms`` at a time: each part's nested profiles go to
    ``heavy``, its light columns are kept."""
    P = Portrait
    # ``data`` as JSON text decoded by orjson (``bulk.loads``), not by the column type's ``json.loads``:
    # at 100 000 portraits the stdlib decoder was a third of a cold read
    stmt = (select(P.enterprise_id, P.assessment_id, P.level, P.total, P.type_code, P.size_class,
                   P.percentile_cluster, P.percentile_industry, bulk.json_text(P.data))
            .where(P.snapshot_id == snapshot_id).order_by(P.enterprise_id).execution_options(yield_per=chunk_size))
    share = item_sharer()  # equal items one object: the rows stay as small as ones just built
    # the light columns gathered as columns, not a dict a row: read cold, 300 000 firms' rows as dicts
    # peaked at 1.15 GB
    light: dict[str, list[Any]] = {c: [] for c in LIGHT_COLUMNS}
    in_row = [(light[c], value_sharer() if c in REPEATED else None) for c in ROW_COLUMNS]
    in_data = [(c, light[c], value_sharer() if c in REPEATED else None) for c in LIGHT_COLUMNS if c not in ROW_COLUMNS]
    part: list[dict[str, Any]] = []
    sizes: list[int] = []

    def flush() -> None:
        heavy.append(pd.DataFrame({c: [d.get(c) for d in part] for c in HEAVY}, columns=list(HEAVY)))
        sizes.append(len(part))
        part.clear()

    for rows in session.execute(stmt).partitions():
        for r in rows:
            data = share(bulk.loads(r[-1]))
            part.append({c: data.get(c) for c in HEAVY})
            for (column, one_in_row), value in zip(in_row, r[:-1], strict=True):
                column.append(value if one_in_row is None else one_in_row(value))
            for c, column, one in in_data:  # repeated codes shared as they are decoded
                column.append(data.get(c) if one is None else one(data.get(c)))
            if len(part) >= settings.part_firms:
                flush()
    if part:
        flush()
    return PortraitSet(from_records(PortraitRecords(light), LIGHT_COLUMNS), heavy, sizes, columns=PORTRAIT_COLUMNS)


def remember_portraits(session: Session, snapshot_id: int, portraits: PortraitSet | Sequence[dict[str, Any]]
                       ) -> None:
    """Prime the cache with portraits just stored (or found identical), so the stages after portraits in
    the same process do not read them back: a ``PortraitSet`` as built, its light rows in
    ``portraits.stored_form`` (exactly what ``portrait_set`` reads; its nested profiles already in their
    file), or the stored rows themselves (whole rows, kept as one part)."""
    found = _snapshot_key(session, snapshot_id)
    if found is not None:
        _PORTRAIT_CACHE.pop(found[0], None)  # the older portraits go before the new ones are kept
        kept = portraits if isinstance(portraits, PortraitSet) else PortraitSet.of_frame(from_records(portraits))
        _remember(found[0], snapshot_id, found[1], kept)


def portrait_feeds(session: Session, snapshot_id: int) -> dict[str, list[str]]:
    """The feed map stored with a portraits snapshot (which scenarios each weak indicator feeds)."""
    payload = session.scalar(select(Snapshot.payload).where(Snapshot.id == snapshot_id)) or {}
    return dict(payload.get("feeds") or {})


def forget_portraits(session: Session, cluster_id: int) -> None:
    """Drop a cluster's cached portraits: when its portraits stage starts to build the next ones (held
    meanwhile, the last run's, ~45 MB of light rows for 60 000 firms, would add to the stage's peak in a
    process that runs the pipeline again and again: a worker lane, ``flows.serve``; the stage primes the
    cache again), and after its research report, the pipeline's last stage to read it."""
    _PORTRAIT_CACHE.pop((str(session.get_bind().engine.url), cluster_id), None)


def clear_cache() -> None:
    _PORTRAIT_CACHE.clear()


# ---------------------------------------------------------------------------------------------- views


def latest_snapshot(session: Session, cluster_id: int, kind: str) -> Snapshot | None:
    """The snapshot of ``kind`` the most recent completed run saw (else the newest stored one)."""
    runs = session.scalars(select(PipelineRun).where(PipelineRun.cluster_id == cluster_id,
                                                     PipelineRun.status == "completed")
                           .order_by(PipelineRun.started_at.desc(), PipelineRun.id.desc()).limit(200))
    for run in runs:
        ref = (run.stats or {}).get("snapshots", {}).get(kind)
        if ref:
            snap = session.get(Snapshot, ref["id"])
            if snap is not None:
                return snap
    return session.scalars(select(Snapshot).where(Snapshot.cluster_id == cluster_id, Snapshot.kind == kind)
                           .order_by(Snapshot.created_at.desc(), Snapshot.id.desc())).first()


def snapshot_history(session: Session, cluster_id: int, kind: str | None = None, *,
                     limit: int = 50) -> list[dict[str, Any]]:
    """Runs of the cluster, newest first, with the snapshot each saw and whether it was new then."""
    runs = session.scalars(select(PipelineRun).where(PipelineRun.cluster_id == cluster_id)
                           .order_by(PipelineRun.started_at.desc(), PipelineRun.id.desc()).limit(limit))
    out = []
    for run in runs:
        snaps = (run.stats or {}).get("snapshots", {})
        if kind is not None and kind not in snaps:
            continue
        out.append({"run_id": run.id, "flow_run_id": run.flow_run_id, "flow": (run.stats or {}).get("flow"),
                    "status": run.status, "started_at": run.started_at, "finished_at": run.finished_at,
                    "snapshots": {k: v for k, v in sorted(snaps.items()) if kind is None or k == kind},
                    "stats": {k: v for k, v in (run.stats or {}).items() if k not in ("snapshots", "flow")}})
    return out


# ---------------------------------------------------------------------------------------------- rescoring


def rebind_to_version(session: Session, questionnaire_code: str, version_id: int, *,
                      cluster_id: int | None = None, actor: str = "flow:score") -> list[int]:
    """Explicit rescore after a questionnaire change: move scorable submissions of ``questionnaire_code``
    answered against an older version onto ``version_id`` (answers kept, revision bumped, audited), so
    the next scoring pass scores them under the current definition. Old assessments stay as history."""
    S, QV = Submission, QuestionnaireVersion
    stmt = (select(S.id, S.questionnaire_version_id).join(QV, QV.id == S.questionnaire_version_id)
            .where(QV.code == questionnaire_code, S.questionnaire_version_id != version_id,
                   S.status.in_(("submitted", "verified"))).order_by(S.id))
    if cluster_id is not None:
        stmt = stmt.join(Enterprise, Enterprise.id == S.enterprise_id).where(Enterprise.cluster_id == cluster_id)
    rows = session.execute(stmt).all()
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), DEFAULT_CHUNK):
        part = ids[start:start + DEFAULT_CHUNK]
        session.execute(update(S).where(S.id.in_(part)).values(questionnaire_version_id=version_id,
                                                              revision=S.revision + 1, updated_at=utcnow())
                        .execution_options(synchronize_session=False))
    if ids:
        moved: dict[str, list[int]] = {}
        for sid, old in rows:
            moved.setdefault(str(old), []).append(sid)
        audit(session, "rescore_rebind", "questionnaire_version", version_id, actor=actor,
              questionnaire=questionnaire_code, from_versions={k: len(v) for k, v in moved.items()},
              submissions=ids[:1000], count=len(ids))
    return ids
