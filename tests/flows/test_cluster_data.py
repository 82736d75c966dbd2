"""The store side of the pipeline: which assessment speaks for an enterprise, snapshot dedupe, latest view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics.scoring import SCORER_VERSION
from diagnostics.store import cluster_data, inputs_digest
from diagnostics.store.models import (
    Assessment,
    Cluster,
    Enterprise,
    PipelineRun,
    Portrait,
    QuestionnaireVersion,
    Snapshot,
    Submission,
)


def make_world(session: Session) -> tuple[Cluster, Enterprise, dict[str, int]]:
    cluster = Cluster(code="jdz", name_zh="景德镇", industry="ceramics")
    session.add(cluster)
    session.flush()
    ent = Enterprise(uscc="91360200MA35TEST01", name="甲瓷业", cluster_id=cluster.id, chain_links=["firing"],
                     tags=["srdi"], size_class="small", pilot_willing=True)
    session.add(ent)
    versions = {}
    for code in ("sme", "module"):
        qv = QuestionnaireVersion(code=code, version="1", content_hash=code * 8, title_zh=code, definition={},
                                  source_text="")
        session.add(qv)
        session.flush()
        versions[code] = qv.id
    return cluster, ent, versions


def assess(session: Session, ent: Enterprise, version_id: int, *, total: float, trusted: bool, day: int,
           scorer: str = SCORER_VERSION) -> int:
    sub = Submission(enterprise_id=ent.id, questionnaire_version_id=version_id, status="submitted", revision=1)
    session.add(sub)
    session.flush()
    row = Assessment(submission_id=sub.id, submission_revision=1, enterprise_id=ent.id,
                     questionnaire_version_id=version_id, scorer_version=scorer, trusted=trusted, total=total,
                     level=1, band_level=1, dimension_scores={}, indicator_scores={}, scenario_levels={},
                     explanation={}, created_at=datetime(2026, 3, day))
    session.add(row)
    session.flush()
    return row.id


def test_verified_beats_newer_self_assessment_per_questionnaire(session: Session) -> None:
    cluster, ent, v = make_world(session)
    verified = assess(session, ent, v["sme"], total=40, trusted=True, day=1)
    assess(session, ent, v["sme"], total=55, trusted=False, day=9)  # newer, but only self-assessed
    assess(session, ent, v["sme"], total=90, trusted=True, day=20, scorer="0.9")  # an outdated scorer
    old_module = assess(session, ent, v["module"], total=10, trusted=False, day=2)
    new_module = assess(session, ent, v["module"], total=20, trusted=False, day=5)
    frame = cluster_data.assessment_frame(session, cluster.id, ["sme", "module"], chunk_size=2)
    assert frame[["assessment_id", "questionnaire_code", "total"]].values.tolist() == [
        [new_module, "module", 20.0], [verified, "sme", 40.0]]
    assert old_module not in frame["assessment_id"].tolist()
    ents = cluster_data.enterprise_frame(session, cluster.id)
    assert ents.loc[0, "chain_links"] == ["firing"] and bool(ents.loc[0, "pilot_willing"])


def test_same_content_same_snapshot_and_latest_follows_runs(session: Session) -> None:
    cluster, _, _ = make_world(session)
    runs = [cluster_data.start_run(session, cluster.id, f"flow-{i}") for i in range(3)]
    a1, new1 = cluster_data.save_snapshot(session, cluster.id, "needs", {"x": 1.0000001}, run_id=runs[0],
                                          flow_run_id="flow-0")
    b, new2 = cluster_data.save_snapshot(session, cluster.id, "needs", {"x": 2}, run_id=runs[1], flow_run_id="flow-1")
    a2, new3 = cluster_data.save_snapshot(session, cluster.id, "needs", {"x": 1.0}, run_id=runs[2],
                                          flow_run_id="flow-2")  # the data went back: the first view again
    for run_id in runs:
        cluster_data.update_run(session, run_id, status="completed")
    session.flush()
    assert (new1, new2, new3) == (True, True, False) and a1 == a2 != b
    assert session.scalar(select(func.count()).select_from(Snapshot)) == 2
    latest = cluster_data.latest_snapshot(session, cluster.id, "needs")
    assert latest is not None and latest.id == a1 and latest.flow_run_id == "flow-0"  # first computed by run 0
    history = cluster_data.snapshot_history(session, cluster.id, "needs")
    assert [(h["flow_run_id"], h["snapshots"]["needs"]["id"], h["snapshots"]["needs"]["new"]) for h in history] == [
        ("flow-2", a1, False), ("flow-1", b, True), ("flow-0", a1, True)]
    assert session.get_one(PipelineRun, runs[2]).finished_at is not None


def test_portrait_rows_written_once_per_snapshot(session: Session) -> None:
    cluster, ent, _ = make_world(session)
    snap, _ = cluster_data.save_snapshot(session, cluster.id, "portraits", {"rows_digest": "d"}, run_id=None,
                                         flow_run_id=None)
    row = {"enterprise_id": ent.id, "assessment_id": None, "level": 2, "total": 45.5, "type_code": "follower",
           "size_class": "small", "percentile_cluster": 50.0, "percentile_industry": None,
           "data": {"name": "=HYPERLINK(1)", "weaknesses": []}}
    assert cluster_data.save_portraits(session, snap, [row], texts=[b'{"name":"=HYPERLINK(1)","weaknesses":[]}']) == 1
    assert cluster_data.save_portraits(session, snap, [row]) == 0  # a re-used snapshot already has its rows
    stored = session.scalar(select(Portrait).where(Portrait.snapshot_id == snap))
    assert stored is not None and stored.data == {"name": "=HYPERLINK(1)", "weaknesses": []}  # text stored as JSON
    frame = cluster_data.portraits_frame(session, snap)
    assert frame.loc[0, "name"] == "=HYPERLINK(1)" and frame.loc[0, "total"] == 45.5


def test_the_frame_cache_keeps_one_portraits_snapshot_per_cluster(session: Session) -> None:
    """A worker lane runs one cluster's stages run after run: each run's frame replaces the last one
    (a 60 000-firm frame was ~1.1 GB read back, ~0.36 GB with its items shared), and either snapshot
    still reads back right."""
    cluster, ent, _ = make_world(session)
    cluster_data.clear_cache()
    snaps = []
    for level in (2, 3):
        snap, _ = cluster_data.save_snapshot(session, cluster.id, "portraits", {"rows_digest": str(level)},
                                             run_id=None, flow_run_id=None)
        row = {"enterprise_id": ent.id, "assessment_id": None, "level": level, "total": 40.0 + level,
               "type_code": None, "size_class": "small", "percentile_cluster": None, "percentile_industry": None,
               "data": {"name": "甲陶瓷", "weaknesses": []}}
        cluster_data.save_portraits(session, snap, [row])
        cluster_data.remember_portraits(session, snap, [row])
        snaps.append(snap)
    assert len(cluster_data._PORTRAIT_CACHE) == 1
    assert cluster_data.portraits_frame(session, snaps[0]).loc[0, "level"] == 2  # read back, and cached
    assert cluster_data.portraits_frame(session, snaps[1]).loc[0, "level"] == 3
    assert len(cluster_data._PORTRAIT_CACHE) == 1
    cluster_data.clear_cache()


def test_rows_digest_moves_with_each_input_it_covers(session: Session) -> None:
    """The unchanged check reads the driver's rows directly (``inputs_digest._stream``): each input it
    covers still moves the digest, an untouched cluster keeps it, and another cluster's rows do not count."""
    cluster, ent, v = make_world(session)
    other = Cluster(code="sg", name_zh="韶关", industry="nonferrous")
    session.add(other)
    session.flush()
    stranger = Enterprise(uscc="91440200MA35TEST02", name="乙金属", cluster_id=other.id, size_class="small")
    session.add(stranger)
    session.flush()
    aid = assess(session, ent, v["sme"], total=40, trusted=False, day=1)
    session.commit()

    def digest() -> str:
        return inputs_digest.rows_digest(session, cluster.id)

    first = digest()
    assert digest() == first  # the same rows, the same digest
    assess(session, stranger, v["sme"], total=10, trusted=True, day=2)
    session.commit()
    assert digest() == first  # another cluster's submission is not this cluster's input
    seen = {first}
    row = session.get(Assessment, aid)
    assert row is not None
    sub = session.get(Submission, row.submission_id)
    assert sub is not None
    for change in (lambda: setattr(row, "trusted", True), lambda: setattr(sub, "revision", 2),
                   lambda: setattr(sub, "status", "verified"), lambda: setattr(ent, "tags", ["srdi", "listed"]),
                   lambda: setattr(ent, "employees", 120)):
        change()
        session.commit()
        now = digest()
        assert now not in seen, change
        seen.add(now)


def test_enterprises_read_back_share_their_repeated_codes(session: Session) -> None:
    """Each row read brings its own strings and decoded lists; the frame keeps one of each equal value."""
    cluster, _, _ = make_world(session)
    for n in range(2, 5):
        session.add(Enterprise(uscc=f"91360200MA35TEST0{n}", name=f"企业{n}", cluster_id=cluster.id,
                               chain_links=["firing"], tags=["srdi"], size_class="small", region="珠山区"))
    session.flush()
    ents = cluster_data.enterprise_frame(session, cluster.id, chunk_size=2)
    assert len(ents) == 4
    for column in ("chain_links", "tags", "size_class"):
        values = ents[column].tolist()
        assert all(v == values[0] for v in values) and len({id(v) for v in values}) == 1, column
    assert ents["region"].tolist()[1:] == ["珠山区"] * 3 and ents.loc[1, "region"] is ents.loc[3, "region"]
