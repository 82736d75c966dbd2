"""The synthetic cluster is deterministic and looks like a real one; the CLI seeds it once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli import cli
from diagnostics.demo import synth_answers, synth_enterprises
from diagnostics.scoring import score_answers
from diagnostics.settings import settings
from diagnostics.store.db import make_engine, session_factory
from diagnostics.store.models import Assignment, Cluster, Enterprise, Submission, User
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
    engine.dispose()
