"""A killed ``shuzhen pipeline run`` leaves nothing behind for long (issue 12, item 6).

The real thing: ``python -m cli pipeline run`` in a subprocess on a small demo database, SIGKILLed once
its runs are open. Then: its embedded Prefect server is gone within seconds (not orphaned), and the next
pipeline start marks the dead process's "running" rows abandoned and removes its half-written file.
A live run (another process, still running) is left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from diagnostics import processes
from diagnostics.settings import settings
from diagnostics.store import cluster_data, report_data
from diagnostics.store.demo_data import seed_demo
from diagnostics.store.models import Cluster, PipelineRun, utcnow
from flows.context import DIRECT
from flows.pipeline import run_pipeline_stages
from survey_app import create_app
from tests.survey_app.survey_helpers import People, Web

pytestmark = pytest.mark.prefect
ROOT = Path(__file__).resolve().parents[2]


def children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc), so the test knows which server belongs to the run."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for kid in kids.get(todo.pop(), []):
            out.append(kid)
            todo.append(kid)
    return out


def cmdline(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode(errors="replace")
    except OSError:
        return ""


def running_rows(session: Session) -> list[PipelineRun]:
    session.expire_all()
    return list(session.scalars(select(PipelineRun).where(PipelineRun.status == "running")))


def test_a_killed_run_is_abandoned_its_tmp_removed_and_its_server_gone(
        session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reports = tmp_path / "reports"
    seed_demo(session, enterprises=12)
    session.commit()
    env = {**os.environ, "DATABASE_URL": db_url, "SHUZHEN_REPORTS": str(reports), "PYTHONPATH": str(ROOT),
           "PREFECT_HOME": str(tmp_path / "prefect"), "SHUZHEN_ENV": "development"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "cli", "pipeline", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 150  # Prefect's server takes 5-60 s to start on a loaded 2-core machine
        while not running_rows(session):
            assert proc.poll() is None, "the pipeline ended before its runs opened"
            assert time.monotonic() < deadline, "no run opened within 150 s"
            time.sleep(0.1)
        servers = [p for p in children(proc.pid) if "uvicorn" in cmdline(p)]
        assert servers, "the run has an embedded Prefect server"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # what a writer killed mid-workbook leaves (``report_data._atomic``): its pid in the name
    left = report_data._tmp_name(reports / "jingdezhen-ceramics" / "enterprise.xlsx", proc.pid)
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_bytes(b"PK half a workbook")
    # the orphaned server: gone within seconds, without anyone stopping it
    deadline = time.monotonic() + 10
    while any(processes.pid_alive(p) and "uvicorn" in cmdline(p) for p in servers):
        assert time.monotonic() < deadline, f"embedded Prefect server {servers} outlived its process"
        time.sleep(0.2)

    killed = running_rows(session)
    assert killed and all(r.stats["process"]["pid"] == proc.pid for r in killed)
    # a live run of another process (this test's) must survive the next start untouched
    live = cluster_data.start_run(session, None, None, "other")
    session.commit()
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", reports)
    cluster_data.clear_cache()
    time.sleep(0.05)  # the half-written file is older than the next run's start
    summary = run_pipeline_stages(runner=DIRECT)

    session.expire_all()
    for row in killed:
        again = session.get(PipelineRun, row.id)
        assert again is not None and again.status == "abandoned" and again.finished_at is not None
        assert again.stats["abandoned"]["why"] == "its process is gone"
    assert sorted(summary["residue"]["abandoned_runs"]) == sorted(r.id for r in killed)
    assert not left.exists() and summary["residue"]["removed_tmp"] == [str(left)]
    other = session.get(PipelineRun, live)
    assert other is not None and other.status == "running"
    assert all(info["run_id"] not in {r.id for r in killed} for info in summary["clusters"].values())
    # the run history says what happened to it, in words
    admin = Web(create_app({"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "t"}).test_client())
    People(session).user("chief", role="admin")
    admin.login("chief")
    code = session.scalar(select(Cluster.code).where(Cluster.id == killed[0].cluster_id))
    assert "已中断（进程已退出）" in admin.html(f"/dashboard/technical?cluster={code}")


def test_a_run_no_host_can_check_is_abandoned_only_when_old(session: Session) -> None:
    """Rows from another host (or from before runs recorded their process) fall back on their age."""
    old = PipelineRun(status="running", started_at=utcnow() - timedelta(hours=13),
                      stats={"process": {"host": "elsewhere", "pid": 1, "started": 0.0}})
    young = PipelineRun(status="running", started_at=utcnow() - timedelta(hours=1), stats={})
    reused = PipelineRun(status="running", started_at=utcnow(),  # this pid, but a process that started earlier
                         stats={"process": {**processes.identity(), "started": 12.0}})
    session.add_all([old, young, reused])
    session.flush()
    gone = cluster_data.abandon_dead_runs(session, stale_after=timedelta(hours=12))
    assert gone == [old.id, reused.id]
    assert young.status == "running" and old.status == "abandoned" and reused.status == "abandoned"
