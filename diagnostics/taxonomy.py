"""Industry taxonomies: the chain links, business activities, scenarios and four element lists of a map.

The industry map (一图四清单) of a pilot is built from one taxonomy file per industry in
``questionnaires/taxonomy/``. The joint implementation team maintains these files; the platform only
reads them, checks that every reference resolves, and counts what the pilot's targets count.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from diagnostics import expr
from diagnostics.questionnaire import CODE_PATTERN
from diagnostics.questionnaire_loader import DefinitionError, DefinitionInvalid, read_text, validate_yaml
from diagnostics.settings import settings
from diagnostics.size_class import SIZE_ORDER, UNKNOWN
from diagnostics.text import Text

ELEMENT_KINDS = ("data_elements", "knowledge_models", "tool_software", "talent_skills")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChainLink(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    position: Literal["upstream", "midstream", "downstream"]
    description: Text | None = None


class Activity(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text


class Element(_Strict):
    """One entry of a four-list: a data element, knowledge model, tool software or talent skill."""

    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    description: Text | None = None
    certification: Text | None = None  # talent skills: the matching national title or qualification


class Scenario(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    description: Text | None = None
    link: str  # chain link code
    activity: str  # business activity code
    typical: bool = True
    sme_scenarios: list[str] = Field(default_factory=list)  # generic SME operations scenarios it serves
    data_elements: list[str] = Field(default_factory=list)
    knowledge_models: list[str] = Field(default_factory=list)
    tool_software: list[str] = Field(default_factory=list)
    talent_skills: list[str] = Field(default_factory=list)


class PortraitType(_Strict):
    """A portrait class; ``rule`` is an expression over portrait fields, the first match wins."""

    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    description: Text | None = None
    rule: str


class ScenarioTargets(_Strict):
    """The level each rated scenario should reach, by enterprise size: a rating below it is a need.

    Keys of ``scenarios`` are the scenario codes the questionnaires rate (the SME table's generic codes,
    ``quality``..., and the modules' map scenarios); sizes are the size-class codes plus ``unknown``.
    One global target (every scenario at level 3) made almost every firm "need" almost everything; a
    micro workshop and a chain leader are not asked for the same next step.
    """

    default: dict[str, int]
    scenarios: dict[str, dict[str, int]] = Field(default_factory=dict)
    source: Text | None = None

    @model_validator(mode="after")
    def _levels(self) -> ScenarioTargets:
        for where, table in [("default", self.default), *self.scenarios.items()]:
            for size, level in table.items():
                if size not in SIZE_ORDER:
                    raise ValueError(f"{where}: unknown size class '{size}' (use {', '.join(SIZE_ORDER)})")
                if not 1 <= level <= 4:
                    raise ValueError(f"{where}.{size}: target level {level} is not 1..4")
        return self

    def target(self, code: str, size_class: str | None) -> int | None:
        size = size_class or UNKNOWN
        own = self.scenarios.get(code, {})
        return own.get(size, self.default.get(size))


class Solution(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: Text
    scenarios: list[str] = Field(min_length=1)
    provider: Text | None = None
    description: Text | None = None


class Taxonomy(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    version: str
    title: Text
    industry_codes: list[str] = Field(default_factory=list)  # GB/T 4754 codes this taxonomy covers
    chain_links_basis: Text  # the coverage rate must state what the list of links is based on
    chain_links: list[ChainLink] = Field(min_length=1)
    activities: list[Activity] = Field(min_length=1)
    scenarios: list[Scenario] = Field(min_length=1)
    data_elements: list[Element] = Field(default_factory=list)
    knowledge_models: list[Element] = Field(default_factory=list)
    tool_software: list[Element] = Field(default_factory=list)
    talent_skills: list[Element] = Field(default_factory=list)
    portrait_types: list[PortraitType] = Field(default_factory=list)
    solutions: list[Solution] = Field(default_factory=list)
    scenario_targets: ScenarioTargets | None = None

    def elements(self, kind: str) -> list[Element]:
        return list(getattr(self, kind))

    def element_type_count(self) -> int:
        return sum(len(self.elements(k)) for k in ELEMENT_KINDS)

    def scenarios_for(self, code: str) -> list[Scenario]:
        """Taxonomy scenarios a questionnaire's ``feeds`` code names: the scenario itself, or every
        scenario that serves that generic SME operations scenario."""
        direct = [s for s in self.scenarios if s.code == code]
        return direct or [s for s in self.scenarios if code in s.sme_scenarios]


def check_taxonomy(t: Taxonomy, file: str) -> list[DefinitionError]:
    errors: list[DefinitionError] = []
    links = {c.code for c in t.chain_links}
    acts = {a.code for a in t.activities}
    for kind in ("chain_links", "activities", "scenarios", *ELEMENT_KINDS, "portrait_types", "solutions"):
        codes = [item.code for item in getattr(t, kind)]
        for idx, c in enumerate(codes):
            if codes.index(c) != idx:
                errors.append(DefinitionError(file, f"{kind}[{idx}].code", f"duplicate code '{c}'"))
    element_codes = {k: {e.code for e in t.elements(k)} for k in ELEMENT_KINDS}
    for si, s in enumerate(t.scenarios):
        if s.link not in links:
            errors.append(DefinitionError(file, f"scenarios[{si}].link", f"no chain link '{s.link}'"))
        if s.activity not in acts:
            errors.append(DefinitionError(file, f"scenarios[{si}].activity", f"no activity '{s.activity}'"))
        for kind in ELEMENT_KINDS:
            for ei, code in enumerate(getattr(s, kind)):
                if code not in element_codes[kind]:
                    errors.append(DefinitionError(file, f"scenarios[{si}].{kind}[{ei}]", f"no {kind} entry '{code}'"))
    scen = {s.code for s in t.scenarios}
    for i, sol in enumerate(t.solutions):
        for j, code in enumerate(sol.scenarios):
            if code not in scen:
                errors.append(DefinitionError(file, f"solutions[{i}].scenarios[{j}]", f"no scenario '{code}'"))
    for i, pt in enumerate(t.portrait_types):
        try:
            expr.parse(pt.rule)
        except expr.ExpressionError as exc:
            errors.append(DefinitionError(file, f"portrait_types[{i}].rule", str(exc)))
    return errors


def parse_taxonomy(text: str, file: str = "<text>") -> Taxonomy:
    t = validate_yaml(text, file, Taxonomy, "code, chain_links, scenarios")
    errors = check_taxonomy(t, file)
    if errors:
        raise DefinitionInvalid(errors)
    return t


def taxonomy_dir() -> Path:
    return settings.questionnaire_dir / "taxonomy"


@cache
def load_taxonomy(code: str) -> Taxonomy:
    """A shipped taxonomy by code (``ceramics``, ``nonferrous``)."""
    path = taxonomy_dir() / f"{code}.yaml"
    if not path.exists():
        raise DefinitionInvalid([DefinitionError(str(path), "", f"no taxonomy '{code}'")])
    return parse_taxonomy(read_text(path), path.name)


def shipped_taxonomies() -> list[str]:
    return sorted(p.stem for p in taxonomy_dir().glob("*.yaml"))
