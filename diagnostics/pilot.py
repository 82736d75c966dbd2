"""A pilot's target file: the performance table it is judged by and the quotas of its shortlist.

Each pilot (``questionnaires/targets/<pilot code>.yaml``) states what the bureau promised in its
application: at least so many typical scenarios, element types, participating enterprises, a share of
chain leaders, a coverage of chain links. The industry-map flow measures the same figures from the
taxonomy and the cluster's assessments and sets them side by side; the shortlist flow reads the quota
block. Keeping the numbers in a file (with a ``source`` per target) lets an official check every figure
against the notice it comes from, and change it without a release.

Loading reports every problem with its file and path, exactly like the questionnaire loader
(``targets/jingdezhen-ceramics.yaml: shortlist.min_per_size.huge: unknown size class``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from diagnostics.programme.config import ProgrammeSettings
from diagnostics.questionnaire import CODE_PATTERN
from diagnostics.questionnaire_loader import DefinitionError, DefinitionInvalid, read_text, validate_yaml
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_CLASSES
from diagnostics.text import Text

# Every figure the platform can measure for the performance table (绩效目标表): its name, unit and what
# exactly it counts (printed beside the figure). ``share`` values are fractions (0.1 = 10 %); the dashboard
# and workbooks print them as percentages. Figures about pilot participants, providers and deployments
# come from the pilot programme's own records; until those exist they show "no data" (暂无数据), never a
# stand-in count taken from something else.
METRICS: dict[str, tuple[Text, str, Text]] = {
    "map_sets": (Text(zh="编制“一图四清单”（套）", en="Map-and-four-lists sets"), "count",
                 Text(zh="本平台按行业分类文件编制的图谱套数", en="maps built from the taxonomy file")),
    "enterprises": (Text(zh="参与试点项目的企业数量（家）", en="Enterprises taking part in the pilot"), "count",
                    Text(zh="试点项目登记的参与企业（不是已诊断企业）", en="participants recorded by the pilot "
                         "programme (not diagnosed firms)")),
    "chain_leaders": (Text(zh="其中链主或骨干企业（家）", en="Of which chain leaders / backbone firms"), "count",
                      Text(zh="参与企业中的链主或骨干企业", en="chain leaders among the participants")),
    "chain_leader_share": (Text(zh="链主或骨干企业占参与企业比例", en="Share of chain leaders among participants"),
                           "share", Text(zh="参与企业中链主或骨干企业的占比", en="chain leaders / participants")),
    "diagnosed_enterprises": (Text(zh="完成数字化水平评价诊断的企业（家）", en="Enterprises diagnosed"), "count",
                              Text(zh="有主问卷评估结果的企业", en="firms with an assessment of the primary "
                                   "questionnaire")),
    "diagnosed_chain_leaders": (Text(zh="已诊断的链主或龙头企业（家）", en="Chain leaders diagnosed"), "count",
                                Text(zh="已诊断企业中带链主标签的企业", en="diagnosed firms tagged chain leader")),
    "trusted_enterprises": (Text(zh="现场评定企业数量（家）", en="Enterprises assessed on site"), "count",
                            Text(zh="评估经数字专员现场核实的企业", en="diagnosed firms verified on site")),
    "srdi_enterprises": (Text(zh="已诊断的专精特新企业（家）", en="SRDI ('专精特新') firms diagnosed"), "count",
                         Text(zh="已诊断企业中带专精特新标签的企业", en="diagnosed firms tagged SRDI")),
    "size_classes": (Text(zh="覆盖企业规模类型（大/中/小/微，种）", en="Size classes covered"), "count",
                     Text(zh="已诊断企业覆盖的规模类型数", en="size classes among diagnosed firms")),
    "scenarios": (Text(zh="形成数字化场景数量（个，典型场景）", en="Typical scenarios"), "count",
                  Text(zh="行业分类文件中的典型场景", en="typical scenarios in the taxonomy file")),
    "tool_software": (Text(zh="工具软件类型数量（个）", en="Tool-software types"), "count",
                      Text(zh="四清单中的工具软件", en="entries of the tool-software list")),
    "knowledge_models": (Text(zh="知识模型资源类型数量（个）", en="Knowledge-model types"), "count",
                         Text(zh="四清单中的知识模型", en="entries of the knowledge-model list")),
    "data_elements": (Text(zh="数据要素类型数量（个）", en="Data-element types"), "count",
                      Text(zh="四清单中的数据要素", en="entries of the data-element list")),
    "talent_skills": (Text(zh="人才技能类型数量（个）", en="Talent-skill types"), "count",
                      Text(zh="四清单中的人才技能", en="entries of the talent-skill list")),
    "element_types": (Text(zh="数字化要素类型总数（个）", en="Element types in total"), "count",
                      Text(zh="四清单条目合计", en="the four lists together")),
    "coverage": (Text(zh="“一图四清单”对产业链环节覆盖率", en="Coverage of chain links"), "share",
                 Text(zh="有典型场景的环节 ÷ 全部环节", en="links with a typical scenario / all links")),
    "providers": (Text(zh="专业服务商数量（家）", en="Service providers"), "count",
                  Text(zh="试点项目登记的服务商（方案池只写服务商类型，不计数）", en="providers recorded by the "
                       "pilot programme (the solution pool names provider types only)")),
    "solutions": (Text(zh="解决方案和产品数量（个）", en="Solutions and products"), "count",
                  Text(zh="行业分类文件方案池中的解决方案", en="solutions in the taxonomy's solution pool")),
    "deployments": (Text(zh="解决方案和产品应用实施数量（个）", en="Solution deployments"), "count",
                    Text(zh="试点项目登记的落地实施（不是方案池大小）", en="deployments recorded by the pilot "
                         "programme (not the size of the pool)")),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Strict):
    """One row of the performance table: a measured metric and the minimum promised for it."""

    metric: str
    min: float | None = Field(default=None, ge=0)  # None: reported without a target
    source: Text | None = None  # where the figure comes from (seed notice, section)

    @model_validator(mode="after")
    def _known(self) -> Target:
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric '{self.metric}' (known: {', '.join(METRICS)})")
        if METRICS[self.metric][1] == "share" and self.min is not None and self.min > 1:
            raise ValueError(f"'{self.metric}' is a share: write 0.1 for 10 %, not {self.min:g}")
        return self


class ShortlistObjective(_Strict):
    """What makes one candidate better than another (``diagnostics.shortlist``), as weights of a sum.

    ``readiness`` (total / max, discounted when self-assessed): the base to absorb a transformation;
    ``need`` (mean gap to target): room for the funding to make a difference; ``scale`` (size class:
    large 1, medium 2/3, small 1/3, micro 0): how far a transformed firm reaches along the chain. A sum,
    not a product: need x readiness peaked at borderline firms because need and total move opposite ways.
    Representativeness across chain links is lexicographic (links first); sizes and leaders are quotas.
    """

    readiness: float = Field(default=0.5, ge=0)
    need: float = Field(default=0.3, ge=0)
    scale: float = Field(default=0.2, ge=0)


class ViolationWeights(_Strict):
    """When quotas cannot all hold, each missing place of a quota costs this much (fewest weighted wins)."""

    leaders: float = Field(default=3.0, gt=0)
    min_per_size: float = Field(default=2.0, gt=0)
    max_per_group: float = Field(default=1.0, gt=0)


class ShortlistQuotas(_Strict):
    """Quotas of the pilot shortlist; ``diagnostics.shortlist`` explains how each is enforced."""

    size: int = Field(ge=1)
    min_chain_leader_share: float = Field(default=0.0, ge=0, le=1)
    min_per_size: dict[str, int] = Field(default_factory=dict)
    cover_chain_links: bool = True  # every chain link represented where possible
    willing_only: bool = True
    verified_only: bool = False  # only enterprises whose answers a commissioner verified on site are candidates
    max_per_group: int | None = Field(default=None, ge=1)
    self_assessed_weight: float = Field(default=0.9, gt=0, le=1)  # readiness discount when not verified
    near_misses: int = Field(default=5, ge=0, le=50)
    objective: ShortlistObjective = ShortlistObjective()
    violation_weights: ViolationWeights = ViolationWeights()

    @model_validator(mode="after")
    def _sizes(self) -> ShortlistQuotas:
        unknown = sorted(set(self.min_per_size) - set(SIZE_CLASSES))
        if unknown:
            raise ValueError(f"unknown size class(es) {', '.join(unknown)} (use {', '.join(SIZE_CLASSES)})")
        if any(v < 0 for v in self.min_per_size.values()):
            raise ValueError("min_per_size values must not be negative")
        if sum(self.min_per_size.values()) > self.size:
            raise ValueError(f"min_per_size adds up to {sum(self.min_per_size.values())}, more than size {self.size}")
        return self


class NeedsSettings(_Strict):
    # a need is "common" when this share of the assessed firms operating its chain link have it
    common_share: float = Field(default=0.5, gt=0, le=1)
    # ... and their mean gap over all the link's firms (need score / firms in the link) reaches this
    common_intensity: float = Field(default=0.0, ge=0, le=1)


class MapSettings(_Strict):
    practice_level: int = Field(default=2, ge=1, le=4)  # "practised" = rated at least this level


def add_months(day: date, months: int) -> date:
    """``day`` plus whole calendar ``months``; the 31st of a shorter month becomes its last day."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


class PilotPeriod(_Strict):
    """How long the pilot runs, so the console can draw coverage over time against its deadline.

    Notices give a length ("培育期原则上为1年") rather than a date; the start is the day the bureau
    publishes its list or signs the agreement, which the notice cannot know. So the deadline is, in
    order: ``deadline`` when the file gives one; ``start`` + ``months``; else the first recorded pilot
    project's start + ``months`` (the programme's own records, named as such on the page).
    """

    months: int | None = Field(default=None, ge=1, le=120)
    start: date | None = None
    deadline: date | None = None
    source: Text | None = None

    def due(self, first_project_start: date | None = None) -> tuple[date | None, str]:
        """(deadline, basis): basis is ``file`` | ``start`` | ``first_project`` | ``none``."""
        if self.deadline is not None:
            return self.deadline, "file"
        if self.months is None:
            return None, "none"
        if self.start is not None:
            return add_months(self.start, self.months), "start"
        if first_project_start is not None:
            return add_months(first_project_start, self.months), "first_project"
        return None, "none"


class PilotTargets(_Strict):
    """A pilot file. ``scope: cluster`` (the default) is an industrial cluster's pilot: its taxonomy, its
    performance table and its shortlist quotas are required. ``scope: province`` is a province-wide,
    cross-industry programme (Shandong 工赋百景): no taxonomy, map or shortlist, only the ``programme``
    (project rules, acceptance, evaluation); it is never a cluster's pilot file (``targets_for_cluster``),
    but a cluster inside it names it in ``programme_from`` and its projects follow those rules."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$")
    scope: Literal["cluster", "province"] = "cluster"
    title: Text
    taxonomy: str | None = Field(default=None, pattern=CODE_PATTERN)  # required for a cluster
    questionnaire: str  # the primary questionnaire (levels, scenario ratings)
    modules: list[str] = Field(default_factory=list)  # industry modules whose weaknesses also feed needs
    source: Text | None = None
    targets: list[Target] = Field(default_factory=list)
    shortlist: ShortlistQuotas | None = None  # required for a cluster
    # the diagnosed-firm figures of the indicator table count only enterprises verified on site
    indicators_verified_only: bool = False
    needs: NeedsSettings = NeedsSettings()
    map: MapSettings = MapSettings()
    programme: ProgrammeSettings = ProgrammeSettings()  # issue 10: project rules, evaluation, acceptance
    period: PilotPeriod = PilotPeriod()  # the implementation period and its deadline
    # a cluster inside a province-wide programme: its projects follow that file's ``programme`` instead
    programme_from: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_\-]*$")

    @model_validator(mode="after")
    def _scope(self) -> PilotTargets:
        if self.scope == "cluster":
            missing = [name for name in ("taxonomy", "shortlist") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"a cluster's pilot file needs {' and '.join(missing)} "
                                 "(or say 'scope: province' for a province-wide programme)")
            if self.programme_from is not None and "programme" in self.model_fields_set:
                raise ValueError("give programme or programme_from, not both")
        elif self.programme_from is not None:
            raise ValueError("programme_from is for a cluster's pilot file inside a province-wide programme")
        elif self.shortlist is not None or self.targets:
            raise ValueError("a province-wide programme (scope: province) has no shortlist or cluster targets; "
                             "put its figures under programme.acceptance")
        return self

    @property
    def quotas(self) -> ShortlistQuotas:
        """The shortlist quotas (a cluster's pilot file always has them: ``_scope``)."""
        if self.shortlist is None:
            raise ValueError(f"pilot file '{self.code}' is province-wide: it has no shortlist")
        return self.shortlist

    @model_validator(mode="after")
    def _unique_metrics(self) -> PilotTargets:
        seen = [t.metric for t in self.targets]
        dupes = sorted({m for m in seen if seen.count(m) > 1})
        if dupes:
            raise ValueError(f"metric(s) listed twice: {', '.join(dupes)}")
        return self

    def target(self, metric: str) -> Target | None:
        return next((t for t in self.targets if t.metric == metric), None)


def parse_targets(text: str, file: str = "<text>") -> PilotTargets:
    """Validate target ``text``; raise ``DefinitionInvalid`` listing every error with its path."""
    return validate_yaml(text, file, PilotTargets, "code, targets")


def targets_dir() -> Path:
    return settings.questionnaire_dir / "targets"


def load_targets_file(path: str | Path) -> PilotTargets:
    path = Path(path)
    return parse_targets(read_text(path), path.name)


@cache
def load_targets(code: str) -> PilotTargets:
    """The shipped target file of pilot ``code`` (``jingdezhen-ceramics``, ``shaoguan-nonferrous``)."""
    path = targets_dir() / f"{code}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in targets_dir().glob("*.yaml"))) or "none"
        raise DefinitionInvalid([DefinitionError(str(path), "", f"no pilot target file '{code}' (known: {known})")])
    return load_targets_file(path)


def targets_for_cluster(pilot_code: str | None) -> PilotTargets:
    """A cluster's targets; clusters without a pilot code use the default pilot (Jingdezhen's). A
    province-wide programme file is refused: it has no taxonomy, map or shortlist for a cluster."""
    code = pilot_code or settings.default_pilot
    targets = load_targets(code)
    if targets.scope != "cluster":
        path = targets_dir() / f"{code}.yaml"
        raise DefinitionInvalid([DefinitionError(str(path), "scope", f"'{code}' is a province-wide programme "
                                                 "(scope: province), not a cluster's pilot file")])
    if targets.programme_from is None:
        return targets
    province = load_targets(targets.programme_from)
    if province.scope != "province":
        raise DefinitionInvalid([DefinitionError(str(targets_dir() / f"{code}.yaml"), "programme_from",
                                                 f"'{targets.programme_from}' is not a province-wide programme file")])
    return targets.model_copy(update={"programme": province.programme})


MetricStatus = Literal["met", "not_met", "no_target", "no_data"]
NO_DATA = Text(zh="暂无数据", en="no data")


def indicator_table(targets: PilotTargets, measured: Mapping[str, float | None]) -> list[dict[str, object]]:
    """The performance table: every measured metric, its target (if any) and whether it is met.

    Metrics with a target come first in the file's order, then the remaining measured ones; a metric
    without data (``None``: its records do not exist yet, or nobody measured it) shows ``value: None``
    and status ``no_data`` (暂无数据), so a gap is visible, not hidden and not filled with a stand-in.
    """
    rows: list[dict[str, object]] = []
    order = [t.metric for t in targets.targets] + [m for m in METRICS if m not in {t.metric for t in targets.targets}]
    for metric in order:
        if metric not in measured and targets.target(metric) is None:
            continue
        name, unit, counts = METRICS[metric]
        value = measured.get(metric)
        target = targets.target(metric)
        minimum = target.min if target else None
        status: MetricStatus = "no_data" if value is None else "no_target" if minimum is None else (
            "met" if value >= minimum - 1e-9 else "not_met")
        rows.append({
            "metric": metric, "name": name.model_dump(), "unit": unit, "counts": counts.model_dump(),
            "value": None if value is None else round(float(value), 4),
            "value_text": NO_DATA.model_dump() if value is None else None,
            "target": minimum, "status": status,
            "source": target.source.model_dump() if target and target.source else None,
        })
    return rows
