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

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from diagnostics.questionnaire import CODE_PATTERN
from diagnostics.questionnaire_loader import DefinitionError, DefinitionInvalid, read_text, validate_yaml
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_CLASSES
from diagnostics.text import Text

# Every figure the platform can measure for the performance table (绩效目标表), with its unit.
# ``share`` values are fractions (0.1 = 10 %); the dashboard and workbooks print them as percentages.
METRICS: dict[str, tuple[Text, str]] = {
    "map_sets": (Text(zh="编制“一图四清单”（套）", en="Map-and-four-lists sets"), "count"),
    "enterprises": (Text(zh="参与项目的产业链相关企业数量（家，已诊断）", en="Participating (diagnosed) enterprises"),
                    "count"),
    "trusted_enterprises": (Text(zh="现场评定企业数量（家）", en="Enterprises assessed on site"), "count"),
    "chain_leaders": (Text(zh="其中链主或骨干企业（家）", en="Of which chain leaders / backbone firms"), "count"),
    "chain_leader_share": (Text(zh="链主或骨干企业占比", en="Share of chain leaders"), "share"),
    "srdi_enterprises": (Text(zh="其中专精特新企业（家）", en="Of which SRDI ('专精特新') firms"), "count"),
    "size_classes": (Text(zh="覆盖企业规模类型（大/中/小/微，种）", en="Size classes covered"), "count"),
    "scenarios": (Text(zh="形成数字化场景数量（个，典型场景）", en="Typical scenarios"), "count"),
    "tool_software": (Text(zh="工具软件类型数量（个）", en="Tool-software types"), "count"),
    "knowledge_models": (Text(zh="知识模型资源类型数量（个）", en="Knowledge-model types"), "count"),
    "data_elements": (Text(zh="数据要素类型数量（个）", en="Data-element types"), "count"),
    "talent_skills": (Text(zh="人才技能类型数量（个）", en="Talent-skill types"), "count"),
    "element_types": (Text(zh="数字化要素类型总数（个）", en="Element types in total"), "count"),
    "coverage": (Text(zh="“一图四清单”对产业链环节覆盖率", en="Coverage of chain links"), "share"),
    "providers": (Text(zh="专业服务商数量（家）", en="Service providers"), "count"),
    "solutions": (Text(zh="解决方案和产品数量（个）", en="Solutions and products"), "count"),
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


class MapSettings(_Strict):
    practice_level: int = Field(default=2, ge=1, le=4)  # "practised" = rated at least this level


class PilotTargets(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$")
    title: Text
    taxonomy: str = Field(pattern=CODE_PATTERN)
    questionnaire: str  # the primary questionnaire (levels, scenario ratings)
    modules: list[str] = Field(default_factory=list)  # industry modules whose weaknesses also feed needs
    source: Text | None = None
    targets: list[Target] = Field(default_factory=list)
    shortlist: ShortlistQuotas
    needs: NeedsSettings = NeedsSettings()
    map: MapSettings = MapSettings()

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
    """A cluster's targets; clusters without a pilot code use the default pilot (Jingdezhen's)."""
    return load_targets(pilot_code or settings.default_pilot)


MetricStatus = Literal["met", "not_met", "no_target"]


def indicator_table(targets: PilotTargets, measured: dict[str, float]) -> list[dict[str, object]]:
    """The performance table: every measured metric, its target (if any) and whether it is met.

    Metrics with a target come first in the file's order, then the remaining measured ones; a metric
    the file names but nobody measured shows ``value: None`` so a gap is visible, not hidden.
    """
    rows: list[dict[str, object]] = []
    order = [t.metric for t in targets.targets] + [m for m in METRICS if m not in {t.metric for t in targets.targets}]
    for metric in order:
        if metric not in measured and targets.target(metric) is None:
            continue
        name, unit = METRICS[metric]
        value = measured.get(metric)
        target = targets.target(metric)
        minimum = target.min if target else None
        status: MetricStatus = "no_target" if minimum is None or value is None else (
            "met" if value >= minimum - 1e-9 else "not_met")
        rows.append({
            "metric": metric, "name": name.model_dump(), "unit": unit,
            "value": None if value is None else round(float(value), 4),
            "target": minimum, "status": status,
            "source": target.source.model_dump() if target and target.source else None,
        })
    return rows
