"""From a stored diagnosis to the scenarios and solutions worth looking at next.

Reads only what the assessment already holds (its explanation JSON) and the industry taxonomy: a weak
indicator names the scenarios it ``feeds``; a scenario the enterprise rated below its target names the
generic SME scenario it belongs to; ``Taxonomy.scenarios_for`` turns either into the industry's own
typical scenarios, and the solution pool lists what serves them. No score is computed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from diagnostics.questionnaire import Questionnaire
from diagnostics.taxonomy import Scenario, Solution, Taxonomy
from diagnostics.text import Text

DEFAULT_SCENARIO_TARGET = 2  # below level 2 an area is not yet managed by an information system


@dataclass
class Recommendation:
    scenario: Scenario
    reasons: list[Text] = field(default_factory=list)  # scenario ratings first: they are the direct evidence
    solutions: list[Solution] = field(default_factory=list)
    weight: int = 0  # a low scenario rating counts twice a weak indicator (the respondent said so directly)


def _indicators(explanation: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for dim in explanation.get("dimensions", []):
        for ind in dim.get("indicators", []):
            yield dim, ind


def _needs(explanation: dict[str, Any], definition: Questionnaire | None) -> list[tuple[str, Text, int]]:
    """(feeds code, reason, weight): scenarios rated below their target, then weak indicators."""
    needs: list[tuple[str, Text, int]] = []
    for _dim, ind in _indicators(explanation):
        if ind.get("weak"):
            title = Text.model_validate(ind["title"])
            for code in ind.get("feeds", []):
                needs.append((code, Text(zh=f"指标“{title.zh}”得分偏低", en=f"indicator '{title.get('en')}' is weak"),
                              1))
    if definition is not None:
        for question in definition.scenario_questions():
            rating = _answer(explanation, question.id)
            target = question.target_level or DEFAULT_SCENARIO_TARGET
            if question.scenario and (rating is None or int(rating) < target):
                shown = "未评" if rating is None else f"{int(rating)} 级"
                shown_en = "not rated" if rating is None else f"level {int(rating)}"
                needs.append((question.scenario, Text(
                    zh=f"场景“{question.text.zh}”自评 {shown}，低于 {target} 级",
                    en=f"scenario '{question.text.get('en')}' rated {shown_en}, below level {target}"), 2))
    return sorted(needs, key=lambda n: -n[2])


def _answer(explanation: dict[str, Any], qid: str) -> Any:
    for _dim, ind in _indicators(explanation):
        for q in ind.get("questions", []):
            if q.get("id") == qid:
                return q.get("answer")
    return None


def recommend(explanation: dict[str, Any], definition: Questionnaire | None, taxonomy: Taxonomy | None,
              *, limit: int = 6) -> list[Recommendation]:
    """Typical scenarios of the industry that address this enterprise's gaps, most-needed first."""
    if taxonomy is None:
        return []
    found: dict[str, Recommendation] = {}
    for code, reason, weight in _needs(explanation, definition):
        for scenario in taxonomy.scenarios_for(code):
            rec = found.setdefault(scenario.code, Recommendation(scenario))
            if reason not in rec.reasons:
                rec.reasons.append(reason)
                rec.weight += weight
    order = {s.code: i for i, s in enumerate(taxonomy.scenarios)}
    ranked = sorted(found.values(), key=lambda r: (-r.weight, order[r.scenario.code]))[:limit]
    for rec in ranked:
        rec.solutions = [s for s in taxonomy.solutions if rec.scenario.code in s.scenarios]
    return ranked
