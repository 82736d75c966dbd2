"""Backup and restore round trip: every table and every file comes back exactly, on each backend."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from cli import cli
from diagnostics.settings import settings
from diagnostics.store import backup
from diagnostics.store.models import AuditLog, Base, Cluster, Enterprise, Submission, User
from diagnostics.store.models_trust import LoginCounter
from diagnostics.store.repo import register_shipped


def _everything(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {t.name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
                for t in Base.metadata.sorted_tables}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _seed(session: Session) -> None:
    versions = register_shipped(session)
    cluster = Cluster(code="jdz", name_zh="景德镇陶瓷", industry="ceramics")
    session.add(cluster)
    session.flush()
    enterprise = Enterprise(uscc="91360200MA35XY120X", name="青花瓷业 \"引号\"", cluster_id=cluster.id,
                            chain_links=["forming"], tags=["srdi"], employees=50, revenue_10k=812.5)
    session.add(enterprise)
    session.flush()
    session.add(User(username="owner", password_hash="scrypt:x", role="enterprise", enterprise_id=enterprise.id))
    version = next(iter(versions.values()))
    session.add(Submission(enterprise_id=enterprise.id, questionnaire_version_id=version.id, status="draft",
                           answers={"q1": ["A", "B"], "note": "中文 \n 换行"}))
    session.add(AuditLog(action="test", entity="enterprise", entity_id="1", details={"nested": {"x": 1.5}}))
    session.add(LoginCounter(key="name:ghost", failures=3, window_start=datetime(2026, 12, 1, 8, 30, 15, 123456)))
    session.commit()


def test_backup_then_restore_gives_back_every_table_and_file(db_url: str, engine: Engine, session: Session,
                                                             tmp_path: Path) -> None:
    _seed(session)
    reports, uploads = tmp_path / "reports", tmp_path / "uploads"
    (reports / "2026").mkdir(parents=True)
    (reports / "2026" / "cluster.xlsx").write_bytes(b"PK\x03\x04 workbook bytes")
    (reports / "2026" / "half-written.xlsx.tmp").write_bytes(b"partial")
    uploads.mkdir()
    (uploads / "evidence.pdf").write_bytes(bytes(range(256)))
    folders = {"reports": reports, "uploads": uploads}
    before, files_before = _everything(engine), {k: _files(v) for k, v in folders.items()}

    report = backup.backup(db_url, tmp_path / "bk", folders)
    assert report.tables["enterprises"] == 1 and report.files == 2  # the .tmp file is not part of it

    session.execute(update(Enterprise).values(name="changed"))
    session.add(Cluster(code="extra", name_zh="多余", industry="nonferrous"))
    session.commit()
    (reports / "2026" / "cluster.xlsx").write_bytes(b"overwritten")
    (uploads / "evidence.pdf").unlink()

    backup.restore(db_url, tmp_path / "bk", folders)
    assert _everything(engine) == before
    files_before["reports"].pop("2026/half-written.xlsx.tmp")
    assert {k: _files(v) for k, v in folders.items()} == files_before
    session.expire_all()
    assert session.scalar(select(Enterprise.name)) == "青花瓷业 \"引号\""


def test_the_cli_backs_up_and_restores(db_url: str, engine: Engine, session: Session, tmp_path: Path,
                                       monkeypatch: Any) -> None:
    _seed(session)
    monkeypatch.setattr(settings, "database_url", db_url)
    monkeypatch.setattr(settings, "report_dir", tmp_path / "reports")
    before = _everything(engine)
    runner = CliRunner()
    result = runner.invoke(cli, ["backup", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    again = runner.invoke(cli, ["backup", str(tmp_path / "bk")])
    assert again.exit_code != 0 and "not empty" in again.output
    session.execute(delete(User))
    session.commit()
    assert runner.invoke(cli, ["restore", str(tmp_path / "bk")], input="n\n").exit_code != 0  # asks first
    result = runner.invoke(cli, ["restore", "--yes", str(tmp_path / "bk")])
    assert result.exit_code == 0, result.output
    assert _everything(engine) == before
