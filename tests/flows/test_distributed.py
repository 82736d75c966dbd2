"""The distributed path for real, on one machine: a Prefect server on loopback backed by PostgreSQL, a
process work pool and a worker, the pipeline deployment run through it with its score and report
batches on a local two-process Dask cluster; the snapshots must be the embedded mode's, hash for hash.

Needs PostgreSQL (``TEST_DATABASE_URL``; skipped without it). The Prefect server's own database is
``PREFECT_TEST_DATABASE_URL`` when set (a developer's scratch database), else ``<test database>_prefect``
on the same server, created and dropped by the test. Every process the test starts runs in its own
process group and the whole group is killed at the end, checked against ``/proc``: no orphans.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from distributed import Client
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import flows  # noqa: F401  (Prefect defaults before the session's Prefect harness starts)
from diagnostics.scoring import score_answers
from diagnostics.settings import ROOT, settings
from diagnostics.store import cluster_data, console
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import Assessment, Enterprise, PipelineRun, Portrait, Snapshot, Submission
from diagnostics.store.models_console import RunRequest
from diagnostics.store.repo import definition_of
from flows import parallel, trigger
from flows.pipeline import pipeline_flow
from tests.databases import sibling_database

pytestmark = pytest.mark.prefect
BIN = Path(sys.executable).parent
KINDS = {"portraits", "needs", "industry_map", "shortlist", "reports", "research_report", "survey_report"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_alive(pgid: int) -> list[int]:
    """Processes of the group that are still running (zombies do not count: they hold no resources)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


class Processes:
    """Subprocesses started in their own session; ``stop_all`` ends each whole group."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, proc))
        return proc

    def tail(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop_all(self) -> list[int]:
        for _, proc in reversed(self.started):
            try:
                os.killpg(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 15
        for _, proc in self.started:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _, proc in self.started:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        time.sleep(0.5)
        return [pid for _, proc in self.started for pid in group_alive(proc.pid)]


def wait_for(check: Any, what: str, timeout: float, procs: Processes, name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.5)
    pytest.fail(f"{what} not ready after {timeout:.0f} s:\n{procs.tail(name)}")


@pytest.fixture
def prefect_database(db_url: str) -> Iterator[str]:
    """An asyncpg URL for the Prefect server's own database."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the distributed path runs on PostgreSQL")
    explicit = os.environ.get("PREFECT_TEST_DATABASE_URL")
    if explicit:
        yield make_url(explicit).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
        return
    data = make_url(db_url)
    name = f"{data.database}_prefect"
    url = make_url(sibling_database(db_url, name))
    yield url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    admin = create_engine(data.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


DOCUMENTS = {"research_report", "survey_report"}


def snapshot_hashes(session: Session) -> dict[tuple[str, str], Any]:
    """(cluster, kind) -> content hash, as the newest completed pipeline run of each cluster saw them.

    A Word document's snapshot names the ids of the snapshots it was read from and the file's bytes (which
    carry its creation time), so for those two kinds what must agree is what they were built from: the
    content hashes of their sources (their inputs digest names the source ids too)."""
    out: dict[tuple[str, str], Any] = {}
    for code in cluster_data.cluster_codes(session):
        cluster = cluster_data.cluster_by_code(session, code)
        run = session.scalars(select(PipelineRun).where(PipelineRun.cluster_id == cluster.id,
                                                        PipelineRun.status == "completed")
                              .order_by(PipelineRun.id.desc())).first()
        assert run is not None, code
        for kind, ref in run.stats["snapshots"].items():
            if kind in DOCUMENTS:
                payload = session.get(Snapshot, int(ref["id"])).payload  # type: ignore[union-attr]
                out[(code, kind)] = sorted(s["content_hash"] for s in payload["sources"])
            else:
                out[(code, kind)] = ref["hash"]
    return out


@dataclass
class Followed:
    states: list[str]
    row: RunRequest


def follow_run_now(session: Session, cluster: str | None, timeout: float = 240) -> Followed:
    """Press "run now" as the console does (a request row, then ``run_now``) and record every state the
    request passes through until it ends."""
    row = console.open_request(session, None, "prefect", None)
    session.commit()
    trigger.run_now(row.id, cluster)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.expire_all()
        current = session.get(RunRequest, row.id)
        assert current is not None
        if not seen or seen[-1] != current.state:
            seen.append(current.state)
        if current.state in ("done", "failed"):
            return Followed(seen, current)
        time.sleep(0.2)
    pytest.fail(f"run-now request stayed {seen[-1] if seen else '?'} for {timeout:.0f} s")


def test_pipeline_through_a_server_a_process_worker_and_dask(
        prefect_harness: None, prefect_database: str, db_url: str, session: Session, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the demo, with the largest firm of each cluster made large and willing so the quotas can hold
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", tmp_path / "embedded")
    monkeypatch.setattr(settings, "score_batch_size", 50)
    monkeypatch.setattr(settings, "report_batch_size", 40)
    cluster_data.clear_cache()
    seed_demo(session, enterprises=150)
    for cluster_id in session.scalars(select(Enterprise.cluster_id).distinct()):
        top = session.scalars(select(Enterprise).where(Enterprise.cluster_id == cluster_id)
                              .order_by(Enterprise.revenue_10k.desc())).first()
        top.size_class, top.pilot_willing = "large", True  # type: ignore[union-attr]
    session.commit()

    procs = Processes(tmp_path)
    api_port, dask_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}/api"
    dask = f"tcp://127.0.0.1:{dask_port}"
    pool = f"test-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SHUZHEN_")) and k != "DATABASE_URL"}
    env.update({
        "PYTHONPATH": str(ROOT), "PREFECT_HOME": str(tmp_path / "prefect-home"), "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_API_URL": api,
        "DATABASE_URL": db_url, "SHUZHEN_REPORTS": str(tmp_path / "distributed"), "SHUZHEN_TASK_RUNNER": "dask",
        "SHUZHEN_DASK_ADDRESS": dask, "SHUZHEN_WORK_POOL": pool, "SHUZHEN_FLOW_SOURCE": str(ROOT),
        "SHUZHEN_SCORE_BATCH": "50", "SHUZHEN_REPORT_BATCH": "40", "SHUZHEN_GC_YOUNG": "60000",
    })
    server_env = {**env, "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database, "PREFECT_UI_ENABLED": "false"}
    server_env.pop("PREFECT_API_URL")
    try:
        procs.start("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                               str(api_port)], server_env)
        procs.start("dask-scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                       "--port", str(dask_port), "--no-dashboard"], env)
        procs.start("dask-workers", [sys.executable, "-m", "distributed.cli.dask_worker", dask, "--nworkers", "2",
                                     "--nthreads", "1", "--no-dashboard", "--preload", parallel.PRELOAD], env)
        wait_for(lambda: httpx.get(f"{api}/health", timeout=2).json() is True, "Prefect server", 120, procs, "server")
        with Client(dask, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            young = {t[0] for t in client.run(gc.get_threshold).values()}
        assert young == {60_000}  # the preload gave each worker the pipeline's collector setting

        deployed = subprocess.run([sys.executable, "-m", "flows.deploy"], env=env, cwd=ROOT, capture_output=True,
                                  text=True, timeout=120)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        procs.start("worker", [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process"], env)
        run = subprocess.run([str(BIN / "prefect"), "deployment", "run", "pipeline/shuzhen-pipeline",
                              "--param", "scope=all", "--watch", "--watch-timeout", "240"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0 and "Completed" in run.stdout, run.stdout[-3000:] + procs.tail("worker")

        with Client(dask, timeout=30) as client:
            prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
        assert {"score_batch", "write_enterprise_batch"} <= set(prefixes), prefixes

        session.expire_all()
        distributed = snapshot_hashes(session)
        assert {kind for _, kind in distributed} == KINDS
        runs = session.scalars(select(PipelineRun).where(PipelineRun.stats["flow"].as_string() == "pipeline")).all()
        flow_run = httpx.get(f"{api}/flow_runs/{runs[0].flow_run_id}", timeout=10).json()
        assert flow_run["deployment_id"] and flow_run["state"]["type"] == "COMPLETED"  # the server's deployment run
        reports = cluster_data.latest_snapshot(session, runs[0].cluster_id, "reports").payload  # type: ignore[union-attr,arg-type]
        assert all((tmp_path / "distributed" / p).exists() for p in reports["enterprise_workbooks"].values())

        # the console's "run now" with a Prefect server: the served deployment runs it on the worker and the
        # request follows the flow run's state through the API (queued -> running -> done | failed)
        monkeypatch.setattr(settings, "prefect_api_url", api)  # the server run_now must use (flows.trigger.on_server)
        done = follow_run_now(session, None)
        assert done.states[0] == "queued" and "running" in done.states and done.states[-1] == "done", (
            done.states, done.row.message)
        assert done.row.runner == "prefect" and done.row.flow_run_id, done.row.message
        served = httpx.get(f"{api}/flow_runs/{done.row.flow_run_id}", timeout=10).json()
        assert served["state"]["type"] == "COMPLETED" and "run-now" in served["tags"]
        failed = follow_run_now(session, "no-such-cluster")
        assert failed.states[-1] == "failed" and (failed.row.message or "").startswith("FAILED"), failed.states
    finally:
        left = procs.stop_all()
    assert left == [], f"processes left running: {left}"

    # the batches Dask scored are what the engine records for each submission
    subs = session.scalars(select(Submission).order_by(Submission.id)).all()
    got = {a.submission_id: a for a in session.scalars(select(Assessment))}
    assert len(got) == sum(s.status in ("submitted", "verified") for s in subs) > 100
    for sub in subs:
        if sub.id in got:
            rec = score_answers(definition_of(sub.questionnaire_version), [sub.answers]).record(0)
            assert {k: getattr(got[sub.id], k) for k in ("total", "level", "dimension_scores")} == {
                k: rec[k] for k in ("total", "level", "dimension_scores")}, sub.id

    # embedded mode (this process, Prefect's temporary server) over the same assessments: the same views,
    # hash for hash (portraits name the assessment each one rests on, so both must see the same rows)
    for table in (Portrait, Snapshot, PipelineRun, RunRequest):
        session.execute(delete(table))
    session.commit()
    cluster_data.clear_cache()
    pipeline_flow(scope="all", force=True)
    session.expire_all()
    assert snapshot_hashes(session) == distributed


