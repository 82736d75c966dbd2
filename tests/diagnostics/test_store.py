"""The schema comes from migrations on both backends; scoring stored submissions never duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from diagnostics.answers import check_answers
from diagnostics.scoring import SCORER_VERSION
from diagnostics.settings import settings
from diagnostics.store.assessing import pending_submission_ids, score_one, score_submissions
from diagnostics.store.db import alembic_config, checkpoint, downgrade, make_engine, upgrade
from diagnostics.store.models import Assessment, Base, Enterprise, Submission
from diagnostics.store.repo import current_version, latest_assessment, trail
from diagnostics.uscc import make_uscc
from tests.diagnostics.sme import SME, answers, full_foundation, scenarios

TABLES = {t.name for t in Base.metadata.sorted_tables}


def test_single_alembic_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, heads


def _fresh_urls(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'migr.db'}"
    pg = settings.test_database_url
    if pg:
        admin = make_url(pg).set(database="postgres")
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS shuzhen_migration_test"))
            conn.execute(text("CREATE DATABASE shuzhen_migration_test"))
        engine.dispose()
        yield make_url(pg).set(database="shuzhen_migration_test").render_as_string(hide_password=False)


def test_migrations_upgrade_empty_database_and_downgrade_again(tmp_path: Path) -> None:
    for url in _fresh_urls(tmp_path):
        upgrade(url)
        engine = make_engine(url)
        assert set(inspect(engine).get_table_names()) >= TABLES, url
        engine.dispose()
        downgrade(url, "base")
        engine = make_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}, url
        engine.dispose()
        upgrade(url)  # and up again: downgrade left nothing behind that blocks it


def _enterprise(session: Session, serial: int) -> Enterprise:
    ent = Enterprise(uscc=make_uscc(f"9136020000000{serial:04d}"), name=f"企业{serial}", chain_links=[], tags=[])
    session.add(ent)
    session.flush()
    return ent


def _submission(session: Session, ent: Enterprise, a: dict, status: str = "submitted") -> Submission:
    clean, errors = check_answers(SME, a, complete=True)
    assert not errors
    sub = Submission(enterprise_id=ent.id, questionnaire_version_id=current_version(session, SME.code).id,
                     status=status, channel="self", answers=clean)
    session.add(sub)
    session.flush()
    return sub


def test_scoring_is_idempotent_and_follows_revisions(session: Session) -> None:
    ent = _enterprise(session, 1)
    sub = _submission(session, ent, answers(full_foundation(), scenarios(2)))
    draft = _submission(session, _enterprise(session, 2), answers(), status="draft")
    assert pending_submission_ids(session) == [sub.id]  # drafts are not scored
    assert score_submissions(session, [sub.id, draft.id]) == 1
    assert score_submissions(session, [sub.id]) == 0  # nothing new: nothing written
    assert pending_submission_ids(session) == []
    first = session.scalar(select(Assessment).where(Assessment.submission_id == sub.id))
    assert first is not None and first.total == 50.0 and first.scorer_version == SCORER_VERSION
    assert trail(first)["total"] == 50.0 and not first.trusted
    # a commissioner corrects and verifies: a new revision, scored again, and now trusted
    sub.answers = {**sub.answers, "quality_change": "better"}
    sub.status = "verified"
    session.flush()
    assert sub.revision == 2
    again = score_one(session, sub)
    assert again is not None and again.total == 57.0 and again.trusted
    assert session.scalar(select(func.count()).select_from(Assessment)) == 2
    latest = latest_assessment(session, ent.id)
    assert latest is not None and latest.id == again.id
    # each trail tells the answers it scored: the old one still shows the old answer
    def quality(a: Assessment) -> dict:
        return next(q for d in trail(a)["dimensions"] for i in d["indicators"] for q in i["questions"]
                    if q["id"] == "quality_change")
    assert quality(first)["answer"] == "worse" and quality(first)["points"] == 0
    assert quality(again)["answer"] == "better" and quality(again)["points"] == 7
    session.commit()


def test_stale_write_is_refused(engine: Engine) -> None:
    maker = sessionmaker(engine, expire_on_commit=False)
    with maker() as s:
        ent = _enterprise(s, 3)
        sub = _submission(s, ent, answers(), status="draft")
        s.commit()
        sub_id = sub.id
    a, b = maker(), maker()
    sa, sb = a.get_one(Submission, sub_id), b.get_one(Submission, sub_id)
    sa.answers = {**sa.answers, "planning_stage": "planned"}
    a.commit()
    sb.answers = {**sb.answers, "planning_stage": "iterating"}
    with pytest.raises(StaleDataError):
        b.commit()
    b.rollback()
    with maker() as s:
        assert s.get_one(Submission, sub_id).answers["planning_stage"] == "planned"
    a.close()
    b.close()


def test_checkpoint_folds_the_write_ahead_log_into_the_sqlite_file(tmp_path: Path) -> None:
    """After a bulk stage the WAL is folded back and truncated, so later reads do not consult it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v TEXT)")
        conn.exec_driver_sql("INSERT INTO t VALUES " + ",".join(["('" + "x" * 500 + "')"] * 2000))
    wal = tmp_path / "x.db-wal"
    assert wal.stat().st_size > 100_000
    checkpoint(engine)
    assert wal.stat().st_size == 0
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 2000
    engine.dispose()
