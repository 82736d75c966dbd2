"""Roster import into the database: upsert by USCC, idempotent, one transaction, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli import cli
from diagnostics.settings import settings
from diagnostics.store import repo
from diagnostics.store import roster as roster_store
from diagnostics.store.models import AuditLog, Cluster, Enterprise
from diagnostics.store.models_field import RosterImport
from diagnostics.uscc import make_uscc

A = make_uscc("91360200MA0000001")
B = make_uscc("91360200MA0000002")
C = make_uscc("91360200MA0000003")
BAD = make_uscc("91360200MA0000004")[:17] + "Y"

ROSTER = "\n".join([
    "景德镇陶瓷产业集群企业名录（2026年）,,,,,,,",
    "企业名称,统一社会信用代码,行业代码,区县,从业人员,营业收入（万元）,单位类型,是否链主",
    f"甲瓷业有限公司,{A},3074,珠山区,\"1,500\",45000,企业,是",
    f"乙陶瓷研究所,{B},3075,昌江区,30,400,科研院所,否",
    f"丙瓷厂,{BAD},3074,浮梁县,20,300,,否",
    f"丁瓷厂,{C},3074,浮梁县,-1,300,,否",
    "合计,,,,1550,45700,,",
]) + "\n"


@pytest.fixture
def cluster(session: Session) -> Cluster:
    row = Cluster(code="jdz", name_zh="景德镇陶瓷", industry="ceramics")
    session.add(row)
    session.commit()
    return row


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Enterprise)) or 0


def test_good_rows_import_bad_rows_are_named_and_reimport_changes_nothing(session: Session, cluster: Cluster) -> None:
    prev = roster_store.preview(session, ROSTER.encode(), "名录.csv", cluster_code="jdz")
    assert (prev.plan.count("create"), len(prev.plan.errors)) == (2, 2)
    assert [(e.row, e.column) for e in prev.plan.errors] == [(5, "统一社会信用代码"), (6, "从业人员")]
    record = roster_store.apply(session, prev, filename="名录.csv", user_id=None, actor="test")
    assert (record.created, record.refused) == (2, 2)
    rows = {e.uscc: e for e in session.scalars(select(Enterprise))}
    assert set(rows) == {A, B}
    assert (rows[A].size_class, rows[A].tags, rows[A].cluster_id, rows[A].employees) == (
        "large", ["chain_leader"], cluster.id, 1500)
    assert rows[B].unit_type == "research"
    created = session.scalars(select(AuditLog).where(AuditLog.action == "roster_create")).all()
    assert len(created) == 2

    again = roster_store.preview(session, ROSTER.encode(), "名录.csv", cluster_code="jdz")
    assert (again.plan.count("create"), again.plan.count("update"), again.plan.count("unchanged")) == (0, 0, 2)
    roster_store.apply(session, again, filename="名录.csv", actor="test")
    assert _count(session) == 2
    assert session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "roster_update")) == 0

    changed = ROSTER.replace('"1,500",45000', "900,45000")
    third = roster_store.preview(session, changed.encode(), "名录.csv", cluster_code="jdz")
    [update] = [p for p in third.plan.rows if p.action == "update"]
    assert {(c.field, c.old, c.new) for c in update.changes} == {
        ("employees", 1500, 900), ("size_class", "large", "medium")}


def test_an_import_that_fails_half_way_leaves_nothing(session: Session, cluster: Cluster,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    prev = roster_store.preview(session, ROSTER.encode(), "名录.csv", cluster_code="jdz")
    calls = {"n": 0}
    real = repo.audit  # the function the roster module calls

    def audit_then_crash(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # after the first enterprise is written
            raise RuntimeError("disk full")
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(roster_store, "audit", audit_then_crash)
    with pytest.raises(RuntimeError):
        roster_store.apply(session, prev, filename="名录.csv", actor="test")
    assert _count(session) == 0
    assert session.scalar(select(func.count()).select_from(RosterImport)) == 0


def test_cli_dry_run_then_import(session: Session, cluster: Cluster, db_url: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "database_url", db_url)
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    runner = CliRunner()
    dry = runner.invoke(cli, ["import-enterprises", str(path), "--cluster", "jdz", "--dry-run"])
    assert dry.exit_code == 1  # some rows refused
    assert "row 5, column 统一社会信用代码" in dry.output and "would create 2" in dry.output
    assert _count(session) == 0
    done = runner.invoke(cli, ["import-enterprises", str(path), "--cluster", "jdz"])
    assert "create 2" in done.output
    session.expire_all()
    assert _count(session) == 2
    unknown = runner.invoke(cli, ["import-enterprises", str(path), "--cluster", "nowhere"])
    assert unknown.exit_code == 1 and "no cluster" in unknown.output
