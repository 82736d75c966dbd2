"""Seed a database with the synthetic demo clusters (``shuzhen demo --enterprises N``).

Two clusters (Jingdezhen ceramics, Shaoguan non-ferrous metals) share the ``N`` enterprises 60/40.
Every enterprise has a submitted SME self-assessment; a quarter were verified on site by a commissioner
(channel ``field``); industry modules are filled by half; one in six has an earlier (T0) submission so
the diagnosis page can compare. Nothing is scored here: scoring is the flows' job. Rows are written in
bulk, so 10 000 enterprises take seconds. Seeding twice is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from diagnostics.demo import synth_answers, synth_enterprises
from diagnostics.store import visits
from diagnostics.store.models import Assignment, Cluster, Enterprise, Submission, User
from diagnostics.store.models_field import Visit
from diagnostics.store.models_programme import Expert
from diagnostics.store.programme_demo import seed_programme_demo
from diagnostics.store.repo import audit, definition_of, register_shipped
from diagnostics.taxonomy import load_taxonomy

CLUSTERS: tuple[dict[str, Any], ...] = (
    {"code": "jingdezhen-ceramics", "name_zh": "景德镇陶瓷产业集群", "name_en": "Jingdezhen ceramics cluster",
     "industry": "ceramics", "region": "江西省景德镇市", "pilot_code": "jingdezhen-ceramics", "share": 0.6},
    {"code": "shaoguan-nonferrous", "name_zh": "韶关有色金属产业集群", "name_en": "Shaoguan non-ferrous metals cluster",
     "industry": "nonferrous", "region": "广东省韶关市", "pilot_code": "shaoguan-nonferrous", "share": 0.4},
)
SME_CODE = "sme-digital-2024-mfg"
MODULES = {"ceramics": "ceramics-module", "nonferrous": "nonferrous-module"}
MODULE_LINK_QUESTIONS = ("links_operated", "segments_operated")  # options are the taxonomy's chain-link codes
DEMO_PASSWORD = "shuzhen-demo"
INSERT_CHUNK = 5000  # rows per INSERT statement of the demo (firms and submissions)
BASE_TIME = datetime(2026, 3, 1, 9, 0, 0)


def seed_demo(session: Session, *, enterprises: int, seed: int = 0,
              password_hasher: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Create the demo clusters, enterprises, users and submissions; returns counts."""
    if session.scalar(select(func.count()).select_from(Cluster).where(Cluster.code == CLUSTERS[0]["code"])):
        return {"created": False, "message": "demo data already present"}
    versions = register_shipped(session)
    counts = {"enterprises": 0, "submissions": 0, "users": 0}
    start = 0
    enterprise_ids: list[int] = []
    for spec in CLUSTERS:
        cluster = Cluster(**{k: v for k, v in spec.items() if k != "share"})
        session.add(cluster)
        session.flush()
        n = int(round(enterprises * float(spec["share"]))) if spec is CLUSTERS[0] else enterprises - start
        if n <= 0:
            continue
        taxonomy = load_taxonomy(str(spec["industry"]))
        synth = synth_enterprises(n, str(spec["industry"]), [c.code for c in taxonomy.chain_links],
                                  seed=seed, start=start)
        start += n
        rows = [{
            "uscc": e.uscc, "name": e.name, "cluster_id": cluster.id, "industry_code": e.industry_code,
            "region": e.region, "chain_links": e.chain_links, "employees": e.employees,
            "revenue_10k": e.revenue_10k, "size_class": e.size_class, "tags": e.tags, "group_name": e.group_name,
            "contact_name": "联系人", "contact_phone": None, "contact_email": None,
            "pilot_willing": e.pilot_willing, "created_at": BASE_TIME, "updated_at": BASE_TIME,
        } for e in synth]
        # a statement per INSERT_CHUNK rows: SQLAlchemy splices the RETURNING rows of one statement's
        # batches into one result, copying what it has each time (quadratic): one statement for a
        # 300 000-firm cluster ran 14 minutes without finishing
        ids = [eid for start in range(0, len(rows), INSERT_CHUNK) for eid in session.scalars(
            insert(Enterprise).returning(Enterprise.id, sort_by_parameter_order=True),
            rows[start:start + INSERT_CHUNK])]
        enterprise_ids.extend(ids)
        counts["enterprises"] += len(ids)
        maturity = np.array([e.maturity for e in synth])
        counts["submissions"] += _submissions(session, ids, maturity, versions, str(spec["industry"]), seed,
                                              [e.chain_links for e in synth])
    if password_hasher is not None and enterprise_ids:
        counts["users"] = _users(session, enterprise_ids, password_hasher)
    counts["programme"] = sum(seed_programme_demo(session, seed=seed).values())  # issue 10: providers, projects
    if password_hasher is not None:
        signed = _signed_visits(session, seed)  # and the self-assessment each signed visit started from
        counts["submissions"] += signed
        counts["visits"] = signed + _visits(session)
    audit(session, "seed_demo", "database", actor="cli:demo", enterprises=counts["enterprises"], seed=seed)
    session.flush()
    return {"created": True, **counts}


def _submissions(session: Session, ids: list[int], maturity: np.ndarray, versions: dict[str, Any],
                 industry: str, seed: int, links: list[list[str]]) -> int:
    rng = np.random.default_rng([seed, len(ids), 17])
    rows: list[dict[str, Any]] = []
    sme = versions[SME_CODE]
    sme_def = definition_of(sme)
    verified = rng.random(len(ids)) < 0.25
    earlier = rng.random(len(ids)) < 1 / 6
    answers = synth_answers(sme_def, maturity, seed=seed)
    t0_answers = synth_answers(sme_def, np.clip(maturity - 0.15, 0, 1), seed=seed + 1)
    for i, eid in enumerate(ids):
        when = BASE_TIME + timedelta(days=30 + i % 60)
        if earlier[i]:
            rows.append(_row(eid, sme.id, t0_answers[i], "submitted", "self", when - timedelta(days=365)))
        rows.append(_row(eid, sme.id, answers[i], "verified" if verified[i] else "submitted",
                         "field" if verified[i] else "self", when))
    module = versions.get(MODULES.get(industry, ""))
    if module is not None:
        with_module = np.nonzero(rng.random(len(ids)) < 0.5)[0]
        mod_def = definition_of(module)
        # the module's "which links do you run" question answers the firm's own registered chain links
        given = {qid: [links[j] for j in with_module.tolist()] for qid in MODULE_LINK_QUESTIONS
                 if mod_def.question(qid) is not None}
        mod_answers = synth_answers(mod_def, maturity[with_module], seed=seed + 2, given=given)
        for k, j in enumerate(with_module.tolist()):
            rows.append(_row(ids[j], module.id, mod_answers[k], "submitted", "self",
                             BASE_TIME + timedelta(days=40 + j % 60)))
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(Submission), rows[start:start + INSERT_CHUNK])
    return len(rows)


def _row(eid: int, version_id: int, answers: dict[str, Any], status: str, channel: str,
         when: datetime) -> dict[str, Any]:
    return {"enterprise_id": eid, "questionnaire_version_id": version_id, "status": status, "channel": channel,
            "answers": answers, "revision": 1, "submitted_at": when, "created_at": when, "updated_at": when,
            "verified_at": when if status == "verified" else None}


def _users(session: Session, enterprise_ids: list[int], hasher: Callable[[str], str]) -> int:
    """Demo logins: a province-wide admin, a viewer scoped to Jingdezhen, a commissioner assigned to 20
    enterprises, three enterprise users."""
    pw = hasher(DEMO_PASSWORD)
    jdz = session.scalar(select(Cluster.id).where(Cluster.code == CLUSTERS[0]["code"]))
    users = [
        User(username="admin", password_hash=pw, role="admin", display_name="工信厅管理员（全部集群）"),
        User(username="viewer", password_hash=pw, role="viewer", display_name="景德镇专家（只读）", cluster_id=jdz),
        User(username="commissioner", password_hash=pw, role="commissioner", display_name="数字专员 王工"),
    ]
    users += [User(username=f"enterprise{k + 1}", password_hash=pw, role="enterprise",
                   display_name=f"企业用户 {k + 1}", enterprise_id=eid)
              for k, eid in enumerate(enterprise_ids[:3])]
    session.add_all(users)
    session.flush()
    session.add_all(Assignment(user_id=users[2].id, enterprise_id=eid) for eid in enterprise_ids[:20])
    return len(users)


DEMO_VISITS = 2  # open on-site visits of the demo commissioner, so the field pages are not empty


def _visits(session: Session) -> int:
    """Two visits the demo commissioner (数字专员 王工) has under way: opened on assigned firms whose
    self-assessment awaits verification, the first answers confirmed, a 懂行人 of the firm's cluster
    along, a note. They stay open (not signed off), so no score or level of the demo changes."""
    commissioner = session.scalar(select(User).where(User.username == "commissioner"))
    if commissioner is None:
        return 0
    firms = session.scalars(select(Enterprise).join(Assignment, Assignment.enterprise_id == Enterprise.id)
                            .where(Assignment.user_id == commissioner.id).order_by(Enterprise.id)).all()
    opened = 0
    visited = set(session.scalars(select(Visit.enterprise_id)))
    for firm in firms:
        base = visits.latest_self_submission(session, firm.id)
        if base is None or base.status != "submitted" or firm.id in visited:
            continue
        visit = visits.open_visit(session, firm, commissioner.id)
        sub = visits.field_submission(session, visit)
        asked = [q.id for q in definition_of(sub.questionnaire_version).questions() if q.id in sub.answers]
        for question_id in asked[:3]:
            visits.check_answer(session, visit, question_id, "confirmed", None, None, user_id=commissioner.id,
                                base_revision=sub.revision)
        expert = session.scalar(select(Expert).where(Expert.cluster_id == firm.cluster_id).order_by(Expert.id))
        if expert is not None:
            visits.attach_expert(session, visit, expert.id, user_id=commissioner.id)
        visits.set_notes(session, visit, "现场查看了生产线与信息系统，前三项答案已核实，其余待下次走访核对。",
                         user_id=commissioner.id)
        opened += 1
        if opened == DEMO_VISITS:
            break
    return opened


def _signed_visits(session: Session, seed: int) -> int:
    """Each demo firm verified on site gets the visit that verified it: its own self-assessment three weeks
    earlier (a third of its choices and scenario ratings one step higher than the commissioner found: firms
    tend to rate themselves up) and a signed visit from that to the verified answers. That is what the progress
    board's self-vs-verified gaps and the visit priority of the other firms are estimated from; without it
    the demo's field pages would say "not enough verified firms" everywhere."""
    commissioner = session.scalar(select(User.id).where(User.username == "commissioner"))
    if commissioner is None:
        return 0
    verified = session.scalars(select(Submission).where(Submission.status == "verified",
                                                        Submission.channel == "field").order_by(Submission.id)).all()
    rng = np.random.default_rng([seed, 29])
    made = 0
    for sub in verified:
        definition = definition_of(sub.questionnaire_version)
        answers = dict(sub.answers)
        for q in definition.questions():
            value = answers.get(q.id)
            if q.type not in ("level", "single") or value is None or rng.random() >= 1 / 3:
                continue
            # one step up: the next level, or the next option worth more points
            options = q.options if q.type == "level" else sorted(
                (o for o in q.options if not o.not_applicable), key=lambda o: o.points)
            codes = [o.code for o in options]
            if str(value) in codes:
                answers[q.id] = type(value)(codes[min(codes.index(str(value)) + 1, len(codes) - 1)])
        when = (sub.submitted_at or BASE_TIME) - timedelta(days=21)
        own = Submission(enterprise_id=sub.enterprise_id, questionnaire_version_id=sub.questionnaire_version_id,
                         status="submitted", channel="self", answers=answers, submitted_at=when, created_at=when,
                         updated_at=when)
        session.add(own)
        session.flush()
        session.add(Visit(enterprise_id=sub.enterprise_id, commissioner_id=commissioner, self_submission_id=own.id,
                          field_submission_id=sub.id, status="signed", started_at=when + timedelta(days=14),
                          signed_at=sub.submitted_at, notes="现场逐项核对，部分场景等级按证据下调。"))
        made += 1
    session.flush()
    return made
