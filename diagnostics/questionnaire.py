"""The questionnaire definition: what officials write in ``questionnaires/*.yaml``.

A definition is data, not code: dimensions hold indicators, indicators hold questions, options carry
their points, numbers carry bands, levels carry score thresholds and gate conditions. Everything the
scoring engine does is read from here, so every point of a score traces back to a line of the file.

Scoring semantics (documented once, here, and repeated in the explanation trail):

- a question gives points: a single choice its option's points; a multiple choice the sum of the
  selected options' points (capped at the question's ``max_points`` when set); a number the points of
  the band it falls in (``min`` inclusive, ``max`` exclusive); yes/no its ``yes_points`` or
  ``no_points``; text, evidence and level questions give no points unless their options carry points;
- a question whose ``relevant`` condition is false is skipped: its answer is ignored and it gives 0;
- applicability: a dimension (module section) or an indicator may declare ``applies``, a condition in the
  same language (e.g. ``selected(segments_operated, 'smelting')``: the chain links or segments it applies
  to), and a single-choice option may be marked ``not_applicable`` (an explicit "does not apply" answer).
  Where an item does not apply, its questions are not asked, and it leaves both the points and the
  maximum: an indicator's maximum shrinks in proportion to the maximum of its questions that still apply
  (to 0 when none does), a dimension's maximum is the sum of its indicators' applicable maxima, and the
  total is rescaled to ``max_score`` over the applicable maximum (raw / applicable max x max_score).
  A definition without any ``applies`` or ``not_applicable`` (the national SME table: its rules have no
  "not applicable") keeps its fixed maximum and is never rescaled;
- an indicator's points are the sum of its questions' points, capped at its ``max_points``, times its
  ``weight``; a dimension's are the sum of its indicators' times its ``weight``; the total is the sum
  of the scored dimensions;
- a level is granted when the total reaches its ``min_score`` and every one of its gates holds; the
  highest such level wins, and no level (0) when none does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from diagnostics.text import Text

QuestionType = Literal["single", "multi", "number", "yesno", "text", "evidence", "level"]
CODE_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    """One answer choice. For a ``level`` question the code is the level itself ("0".."4")."""

    code: str = Field(min_length=1, max_length=32)
    label: Text
    points: float = 0.0
    description: Text | None = None
    exclusive: bool = False  # "none of these": may not be combined with other options
    not_applicable: bool = False  # "does not apply to us": the question leaves the points and the maximum

    @field_validator("code")
    @classmethod
    def _code_shape(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_\-]+", v) or ";" in v:
            raise ValueError("option code may use only letters, digits, '_' and '-'")
        return v


class Band(_Strict):
    """A number range and the points it gives: ``min`` inclusive, ``max`` exclusive (None = open).

    The question's ``bands_include`` may turn this round (``upper``: ``min`` exclusive, ``max`` inclusive).
    """

    min: float | None = None
    max: float | None = None
    points: float
    label: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"band min {self.min} must be below max {self.max}")
        return self


class Question(_Strict):
    id: str = Field(pattern=CODE_PATTERN, max_length=64)
    type: QuestionType
    text: Text
    help: Text | None = None
    required: bool = True
    relevant: str | None = None  # skip logic, in the expression language (diagnostics.expr)
    constraint: str | None = None  # must hold when answered, e.g. "devices_digital <= devices_total"
    constraint_message: Text | None = None  # what to tell the respondent when it does not
    options: list[Option] = Field(default_factory=list)
    max_points: float | None = None  # cap for a multiple choice
    # numbers
    unit: Text | None = None
    min: float | None = None
    max: float | None = None
    integer: bool = False
    bands: list[Band] = Field(default_factory=list)
    bands_include: Literal["lower", "upper"] = "lower"  # which edge of a band belongs to it
    formula: str | None = None  # a derived number, computed from other answers, never asked
    # yes/no
    yes_points: float = 0.0
    no_points: float = 0.0
    # scenario ratings (type level)
    scenario: str | None = None  # generic scenario code this rating describes
    binding: bool = False  # 约束性 scenario (counts in binding gates)
    target_level: int | None = Field(default=None, ge=0, le=5)
    # text: the longest answer accepted (characters); unset, the site-wide SHUZHEN_MAX_TEXT_ANSWER
    max_length: int | None = Field(default=None, ge=1, le=1_000_000)
    # evidence
    accept: list[str] = Field(default_factory=list)  # file extensions, e.g. [pdf, jpg]

    @field_validator("bands")
    @classmethod
    def _bands_disjoint(cls, bands: list[Band]) -> list[Band]:
        _check_bands(bands)
        return bands

    @model_validator(mode="after")
    def _type_rules(self) -> Question:
        t = self.type
        if t in ("single", "multi", "level") and len(self.options) < 2:
            raise ValueError(f"a '{t}' question needs at least two options")
        if t not in ("single", "multi", "level") and self.options:
            raise ValueError(f"a '{t}' question takes no options")
        codes = [o.code for o in self.options]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"duplicate option code(s): {', '.join(dupes)}")
        if t == "level":
            for o in self.options:
                if not o.code.isdigit():
                    raise ValueError(f"level option codes must be digits (the level), got '{o.code}'")
        if t != "number" and (self.bands or self.bands_include != "lower" or self.unit or self.formula
                              or self.min is not None or self.max is not None):
            raise ValueError("bands, unit, min, max and formula belong to 'number' questions")
        if t == "number":
            if self.min is not None and self.max is not None and self.min > self.max:
                raise ValueError(f"min {self.min} is above max {self.max}")
        if t != "text" and self.max_length is not None:
            raise ValueError("max_length belongs to 'text' questions")
        if t != "yesno" and (self.yes_points or self.no_points):
            raise ValueError("yes_points/no_points belong to 'yesno' questions")
        if t != "multi" and self.max_points is not None:
            raise ValueError("max_points (a cap) belongs to 'multi' questions")
        if t != "level" and (self.scenario or self.binding or self.target_level is not None):
            raise ValueError("scenario, binding and target_level belong to 'level' questions")
        if t != "multi" and any(o.exclusive for o in self.options):
            raise ValueError("'exclusive' options belong to 'multi' questions")
        if t != "single" and any(o.not_applicable for o in self.options):
            raise ValueError("'not_applicable' options belong to 'single' questions")
        if any(o.not_applicable and o.points for o in self.options):
            raise ValueError("a 'not_applicable' option gives no points")
        return self

    @property
    def scored(self) -> bool:
        return self.max_possible() > 0

    def max_possible(self) -> float:
        """The most points this question can give (used to check indicator maxima)."""
        if self.type == "single" or self.type == "level":
            return max((o.points for o in self.options), default=0.0)
        if self.type == "multi":
            total = sum(o.points for o in self.options if o.points > 0 and not o.exclusive)
            best_exclusive = max((o.points for o in self.options if o.exclusive), default=0.0)
            total = max(total, best_exclusive)
            return min(total, self.max_points) if self.max_points is not None else total
        if self.type == "number":
            return max((b.points for b in self.bands), default=0.0)
        if self.type == "yesno":
            return max(self.yes_points, self.no_points)
        return 0.0

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


def _check_bands(bands: list[Band]) -> None:
    """Bands must not overlap, so a number falls in at most one band."""
    ordered = sorted(bands, key=lambda b: -float("inf") if b.min is None else b.min)
    for a, b in zip(ordered, ordered[1:], strict=False):
        a_max = float("inf") if a.max is None else a.max
        b_min = -float("inf") if b.min is None else b.min
        if b_min < a_max:
            raise ValueError(f"bands overlap: [{a.min}, {a.max}) and [{b.min}, {b.max})")


class Indicator(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    title: Text
    description: Text | None = None
    applies: str | None = None  # applicability condition (chain links / segments); see the module docstring
    max_points: float = Field(ge=0)
    weight: float = Field(default=1.0, ge=0)
    target: float | None = None  # points below which the indicator is a weakness (default: ratio)
    feeds: list[str] = Field(default_factory=list)  # scenario codes this weakness feeds on the map
    questions: list[Question] = Field(min_length=1)

    @property
    def max_score(self) -> float:
        return self.max_points * self.weight


class Dimension(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    title: Text
    description: Text | None = None
    applies: str | None = None  # applicability condition of the whole section
    max_points: float = Field(default=0.0, ge=0)
    weight: float = Field(default=1.0, ge=0)
    scored: bool = True  # the operations-scenario dimension is rated, not scored
    indicators: list[Indicator] = Field(min_length=1)

    @property
    def max_score(self) -> float:
        return self.max_points * self.weight if self.scored else 0.0


class Gate(_Strict):
    """A condition a level needs besides its score.

    - ``scenarios``: at least ``at_least`` scenario ratings (level questions) reach ``min_level``,
      among ``all`` of them, the ``binding`` ones, or an explicit list of question ids;
    - ``indicator`` / ``dimension``: that indicator's (dimension's) score is at least ``at_least``.
    """

    id: str = Field(pattern=CODE_PATTERN)
    kind: Literal["scenarios", "indicator", "dimension"]
    description: Text | None = None
    at_least: float
    min_level: int | None = Field(default=None, ge=1, le=5)
    among: Literal["all", "binding"] | list[str] = "all"
    code: str | None = None

    @model_validator(mode="after")
    def _kind_rules(self) -> Gate:
        if self.kind == "scenarios" and self.min_level is None:
            raise ValueError("a 'scenarios' gate needs min_level")
        if self.kind != "scenarios" and not self.code:
            raise ValueError(f"an '{self.kind}' gate needs the code of the {self.kind}")
        return self


class Level(_Strict):
    level: int = Field(ge=1, le=9)
    name: Text
    meaning: Text | None = None
    min_score: float = Field(ge=0)
    gates: list[Gate] = Field(default_factory=list)


class Source(_Strict):
    """Where the definition comes from; ``reconstructed`` lists figures not taken from the official text."""

    document: Text
    url: str | None = None
    reconstructed: list[Text] = Field(default_factory=list)


class Questionnaire(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$")
    version: str = Field(min_length=1)
    title: Text
    description: Text | None = None
    source: Source | None = None
    industry: str | None = None  # an industry module applies to one industry ("ceramics", ...)
    taxonomy: str | None = None  # taxonomy whose scenarios ``feeds`` names resolve against
    max_score: float = 100.0
    weakness_ratio: float = Field(default=0.6, gt=0, le=1)
    strength_ratio: float = Field(default=0.85, gt=0, le=1)
    dimensions: list[Dimension] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)

    # ---- navigation helpers (read-only; the engine compiles its own arrays) ----
    def questions(self) -> list[Question]:
        return list(self.all_questions)

    @cached_property
    def all_questions(self) -> tuple[Question, ...]:
        """Every question in order, gathered once (the model is frozen; a page save walks them often)."""
        return tuple(q for d in self.dimensions for i in d.indicators for q in i.questions)

    def indicators(self) -> list[Indicator]:
        return [i for d in self.dimensions for i in d.indicators]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions() if q.id == qid), None)

    def scenario_questions(self) -> list[Question]:
        return [q for q in self.questions() if q.type == "level"]

    def level(self, number: int) -> Level | None:
        return next((lv for lv in self.levels if lv.level == number), None)

    def indicator_target(self, ind: Indicator) -> float:
        return ind.target if ind.target is not None else ind.max_score * self.weakness_ratio

    @property
    def uses_applicability(self) -> bool:
        """Whether any item can be not applicable (then totals are rescaled to the applicable maximum)."""
        return any(d.applies for d in self.dimensions) or any(i.applies for i in self.indicators()) or any(
            o.not_applicable for q in self.questions() for o in q.options)

    def conditions(self) -> dict[str, str | None]:
        """Question id -> the condition under which it is asked: its section's and indicator's
        ``applies`` and its own ``relevant``, joined with ``and`` (None: always asked)."""
        return dict(self.condition_map)

    @cached_property
    def condition_map(self) -> Mapping[str, str | None]:
        """``conditions()`` computed once per (frozen) definition; read-only."""
        out: dict[str, str | None] = {}
        for d in self.dimensions:
            for ind in d.indicators:
                for q in ind.questions:
                    parts = [p for p in (d.applies, ind.applies, q.relevant) if p]
                    out[q.id] = " and ".join(f"({p})" for p in parts) if len(parts) > 1 else (
                        parts[0] if parts else None)
        return MappingProxyType(out)
