"""The synthetic cluster is deterministic and looks like a real one; the CLI seeds it once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli import cli
from diagnostics.demo import synth_answers, synth_enterprises
from diagnostics.scoring import score_answers
from diagnostics.settings import settings
from diagnostics.store import demo_data
from diagnostics.store.db import make_engine, session_factory
from diagnostics.store.models import Assignment, Cluster, Enterprise, Submission, User
from diagnostics.store.models_field import AnswerCheck, Visit
from diagnostics.store.models_programme import VisitExpert
from diagnostics.store.repo import definition_of
from diagnostics.uscc import validate_uscc
from tests.diagnostics.sme import SME

LINKS = ["raw", "forming", "firing", "sales"]


def test_same_seed_same_cluster() -> None:
    a = synth_enterprises(200, "ceramics", LINKS, seed=4)
    b = synth_enterprises(200, "ceramics", LINKS, seed=4)
    assert a == b
    assert synth_enterprises(200, "ceramics", LINKS, seed=5) != a
    m = np.array([e.maturity for e in a])
    assert synth_answers(SME, m, seed=4) == synth_answers(SME, m, seed=4)


def test_realistic_spread() -> None:
    ents = synth_enterprises(2000, "ceramics", LINKS, seed=0)
    assert all(validate_uscc(e.uscc).ok for e in ents)
    assert len({e.uscc for e in ents}) == len({e.name for e in ents}) == 2000
    sizes = Counter(e.size_class for e in ents)
    assert set(sizes) == {"large", "medium", "small", "micro"}
    assert sizes["small"] > sizes["medium"] > sizes["large"]  # many small firms, few large ones
    leaders = sum("chain_leader" in e.tags for e in ents)
    assert 0.03 * 2000 <= leaders <= 0.08 * 2000
    assert any(e.group_name for e in ents) and any(e.pilot_willing for e in ents)
    levels = Counter(score_answers(SME, synth_answers(SME, np.array([e.maturity for e in ents]))).level.tolist())
    assert levels[1] + levels[2] > 0.5 * 2000 and levels[3] > 0 and levels[0] > 0  # most at levels 1-2


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    settings.reload()
    yield url
    monkeypatch.undo()
    settings.reload()


def test_cli_upgrade_and_demo_seed_once(sqlite_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    first = runner.invoke(cli, ["demo", "--enterprises", "40"])
    assert first.exit_code == 0, first.output
    assert "seeded 40 enterprises" in first.output
    again = runner.invoke(cli, ["demo", "--enterprises", "40"])
    assert "already present" in again.output
    engine = make_engine(sqlite_env)
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(Enterprise)) == 40
        assert s.scalar(select(func.count()).select_from(Cluster)) == 2
        per_cluster = dict(s.execute(select(Cluster.code, func.count(Enterprise.id)).join(
            Enterprise, Enterprise.cluster_id == Cluster.id).group_by(Cluster.code)).all())
        assert per_cluster == {"jingdezhen-ceramics": 24, "shaoguan-nonferrous": 16}
        statuses = Counter(s.scalars(select(Submission.status)).all())
        assert statuses["submitted"] > 0 and statuses["verified"] > 0 and statuses["draft"] == 0
        assert {u.role for u in s.scalars(select(User))} == {"admin", "viewer", "commissioner", "enterprise"}
        assert s.scalar(select(func.count()).select_from(Assignment)) == 20
        # each firm verified on site has the signed visit that verified it, from its own earlier
        # self-assessment, which rates itself higher (the board's gaps and visit priority need them)
        verified = s.scalars(select(Submission).where(Submission.status == "verified")).all()
        signed = {v.field_submission_id: v for v in s.scalars(select(Visit).where(Visit.status == "signed"))}
        assert set(signed) == {sub.id for sub in verified}
        gaps = []
        for sub in verified:
            own = s.get(Submission, signed[sub.id].self_submission_id)
            assert own is not None and own.channel == "self" and own.enterprise_id == sub.enterprise_id
            assert own.submitted_at is not None and sub.submitted_at is not None and own.submitted_at < sub.submitted_at
            definition = definition_of(sub.questionnaire_version)
            both = score_answers(definition, [own.answers, sub.answers])
            gaps.append(both.record(1)["total"] - both.record(0)["total"])
        assert all(g <= 1e-9 for g in gaps) and np.mean(gaps) < -1  # overstated, never understated
        # and two visits under way, with a 懂行人 along and the first answers confirmed
        under_way = s.scalars(select(Visit).where(Visit.status == "open")).all()
        assert len(under_way) == 2
        assert all(s.scalar(select(func.count()).select_from(VisitExpert).where(VisitExpert.visit_id == v.id))
                   for v in under_way)
        assert s.scalar(select(func.count()).select_from(AnswerCheck)) == 6
    engine.dispose()


def test_enterprises_inserted_in_chunks_keep_their_own_submissions(session: Session,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo inserts firms a chunk at a time (a 300 000-firm cluster in one statement never finished);
    each firm's module answers still name its own registered chain links, so no id slipped across a
    chunk boundary."""
    monkeypatch.setattr(demo_data, "INSERT_CHUNK", 7)
    seeded = demo_data.seed_demo(session, enterprises=60)
    assert seeded["enterprises"] == session.scalar(select(func.count()).select_from(Enterprise)) == 60
    rows = session.execute(select(Enterprise.id, Enterprise.chain_links))
    links: dict[int, list[str]] = {eid: cl for eid, cl in rows}
    checked = 0
    for eid, answers in session.execute(select(Submission.enterprise_id, Submission.answers)):
        for qid in demo_data.MODULE_LINK_QUESTIONS:
            if qid in answers:
                assert sorted(answers[qid]) == sorted(links[eid])
                checked += 1
    assert checked >= 15  # about half the firms answer their cluster's module
