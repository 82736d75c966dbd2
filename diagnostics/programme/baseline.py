"""Baseline and acceptance: T0 against T1 per participant, and the acceptance sheets.

A participant is assessed at project start (T0) and again at half-year and one year (T1). The change is
only meaningful when both were answered on the same questionnaire version: a version change can move
points without any change in the firm, so such a pair is still shown but flagged, and left out of the
evaluation (:mod:`diagnostics.programme.evaluation`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from diagnostics.programme.config import AcceptanceTarget
from diagnostics.text import Text

CHECKPOINT_LABELS = {
    "t0": Text(zh="T0 项目启动", en="T0 project start"),
    "half_year": Text(zh="T1 半年期", en="T1 half-year"),
    "one_year": Text(zh="T1 一年期", en="T1 one year"),
}
LATER = ("one_year", "half_year")  # the T1 that speaks for a participant: one year if held, else half-year


@dataclass(frozen=True)
class Measurement:
    """One participant's assessment linked to a checkpoint, with the version it was answered on."""

    enterprise_id: int
    checkpoint: str
    assessment_id: int
    total: float
    level: int
    indicators: Mapping[str, float]
    questionnaire_code: str
    version: str
    content_hash: str


@dataclass(frozen=True)
class Change:
    enterprise_id: int
    t0: Measurement | None
    t1: Measurement | None
    comparable: bool
    note: Text | None = None
    total_change: float | None = None
    level_change: int | None = None
    indicator_changes: dict[str, float] = field(default_factory=dict)


def compare(enterprise_id: int, t0: Measurement | None, t1: Measurement | None) -> Change:
    """The T0→T1 change of one participant, flagged when it cannot be read as a change of the firm."""
    if t0 is None or t1 is None:
        missing = "T0" if t0 is None else "T1"
        return Change(enterprise_id, t0, t1, False, Text(zh=f"缺少{missing}评估（或尚未评分）",
                                                         en=f"No {missing} assessment yet (or not scored yet)"))
    changes = {k: round(t1.indicators[k] - v, 4) for k, v in t0.indicators.items() if k in t1.indicators}
    same = t0.questionnaire_code == t1.questionnaire_code and t0.content_hash == t1.content_hash
    note = None if same else Text(
        zh=f"T0 与 T1 使用不同问卷版本（{t0.questionnaire_code} {t0.version} → {t1.questionnaire_code} {t1.version}），"
           "分数变化可能来自版本差异，不计入评估",
        en=f"T0 and T1 were answered on different versions ({t0.questionnaire_code} {t0.version} → "
           f"{t1.questionnaire_code} {t1.version}); the change may come from the version and is left out of "
           "the evaluation")
    return Change(enterprise_id, t0, t1, same, note, round(t1.total - t0.total, 4), t1.level - t0.level, changes)


def participant_changes(participants: Sequence[int], measurements: Sequence[Measurement]) -> list[Change]:
    """For each participant, T0 against its latest T1 (one year when held, else half-year)."""
    by: dict[tuple[int, str], Measurement] = {(m.enterprise_id, m.checkpoint): m for m in measurements}
    out = []
    for eid in participants:
        t1 = next((by[(eid, k)] for k in LATER if (eid, k) in by), None)
        out.append(compare(eid, by.get((eid, "t0")), t1))
    return out


Status = Literal["met", "not_met", "no_target", "no_data"]


@dataclass(frozen=True)
class AcceptanceRow:
    indicator: Text
    unit: str  # count | share | 10k_yuan | points
    target: float | None
    actual: float | None
    status: Status
    evidence: str = ""


def _status(target: float | None, actual: float | None) -> Status:
    if actual is None:
        return "no_data"
    if target is None:
        return "no_target"
    return "met" if actual >= target - 1e-9 else "not_met"


@dataclass(frozen=True)
class CheckpointFacts:
    kind: str
    held: bool
    actual_investment_10k: float | None
    assessed: int  # participants with an assessment linked at this checkpoint


@dataclass(frozen=True)
class ExtraItem:
    indicator: str
    target: float | None
    actual: float | None
    evidence: str | None


def project_acceptance(*, planned_investment_10k: float | None, participants: int,
                       checkpoints: Sequence[CheckpointFacts],
                       landing_deployments_done: int, landing_sites: int, replications: int,
                       changes: Sequence[Change], extra: Sequence[ExtraItem] = ()) -> list[AcceptanceRow]:
    """A project's acceptance sheet: investment checked at each checkpoint, landing and "1+N" deployments,
    T0/T1 coverage and change, then the rows an official added (deliverables, IP, standards)."""
    rows: list[AcceptanceRow] = []
    for cp in checkpoints:
        if cp.kind == "t0":
            continue
        label = CHECKPOINT_LABELS.get(cp.kind, Text(zh=cp.kind))
        target = planned_investment_10k if cp.kind == "one_year" else None  # the full sum is due at one year
        name = Text(zh=f"实际投入（{label.zh}，万元）", en=f"Actual investment ({label.en}, 10k yuan)")
        rows.append(AcceptanceRow(name, "10k_yuan", target, cp.actual_investment_10k,
                                  _status(target, cp.actual_investment_10k),
                                  "" if cp.held else "未召开 / not held yet"))
    rows.append(AcceptanceRow(Text(zh="场景落地单位完成部署（家）", en="Landing sites with the solution deployed"),
                              "count", float(landing_sites), float(landing_deployments_done),
                              _status(float(landing_sites), float(landing_deployments_done))))
    rows.append(AcceptanceRow(Text(zh="“1+N”复制推广部署（个）", en="'1+N' replications"), "count", None,
                              float(replications), "no_target"))
    held = {cp.kind: cp for cp in checkpoints}
    if "t0" in held:
        rows.append(AcceptanceRow(Text(zh="完成T0基线评估的参与企业（家）", en="Participants with a T0 baseline"),
                                  "count", float(participants), float(held["t0"].assessed),
                                  _status(float(participants), float(held["t0"].assessed))))
    compared = [c for c in changes if c.comparable and c.total_change is not None]
    if compared:
        mean = sum(c.total_change or 0.0 for c in compared) / len(compared)
        up = sum(1 for c in compared if (c.level_change or 0) > 0)
        rows.append(AcceptanceRow(Text(zh="T0→T1 平均总分变化（分）", en="Mean change in total, T0→T1 (points)"),
                                  "points", None, round(mean, 2), "no_target", f"{len(compared)} 家 / firms"))
        rows.append(AcceptanceRow(Text(zh="T0→T1 等级提升的企业（家）", en="Firms whose level rose, T0→T1"), "count",
                                  None, float(up), "no_target"))
    else:
        rows.append(AcceptanceRow(Text(zh="T0→T1 平均总分变化（分）", en="Mean change in total, T0→T1 (points)"),
                                  "points", None, None, "no_data"))
    for item in extra:
        rows.append(AcceptanceRow(Text(zh=item.indicator), "count", item.target, item.actual,
                                  _status(item.target, item.actual), item.evidence or ""))
    return rows


METRIC_LABELS: dict[str, tuple[Text, str]] = {
    "participants": (Text(zh="试点项目参与企业（家）", en="Enterprises in pilot projects"), "count"),
    "chain_leader_share": (Text(zh="参与企业中链主或骨干企业占比", en="Share of chain leaders among participants"),
                           "share"),
    "providers": (Text(zh="专业服务商（家）", en="Service providers"), "count"),
    "solutions": (Text(zh="解决方案和产品（个）", en="Solutions and products"), "count"),
    "deployments": (Text(zh="解决方案和产品应用实施（个）", en="Solution deployments"), "count"),
    "cases": (Text(zh="企业典型实践案例（个）", en="Typical cases"), "count"),
    "benchmark_cases": (Text(zh="标杆案例（个）", en="Benchmark cases"), "count"),
    "reports": (Text(zh="行业数字化转型研究报告（篇）", en="Industry research reports"), "count"),
    "experts": (Text(zh="懂行人（名）", en="People who know the trade (懂行人)"), "count"),
}


def pilot_acceptance(counts: Mapping[str, float | None], targets: Sequence[AcceptanceTarget]) -> list[AcceptanceRow]:
    """The pilot's programme acceptance sheet: each indicator of the pilot file's ``programme.acceptance``
    with the counted value; indicators the file does not name are listed after, without a target."""
    named = [t.metric for t in targets]
    rows = []
    for metric in named + [m for m in METRIC_LABELS if m not in named]:
        label, unit = METRIC_LABELS[metric]
        target = next((t for t in targets if t.metric == metric), None)
        minimum = target.min if target else None
        actual = counts.get(metric)
        rows.append(AcceptanceRow(label, unit, minimum, actual, _status(minimum, actual),
                                  target.source.zh if target and target.source else ""))
    return rows
