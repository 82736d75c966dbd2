"""The one recommendation rule: from an enterprise's weaknesses to the scenarios and solutions it needs.

Used by the diagnosis page (``recommend``, from the stored explanation), the enterprise workbook
(``recommend_portrait``, from the portrait) and the cluster's needs stage (``needs`` calls
``scenarios_for_links`` and ``scenario_targets`` on whole groups), so the page, the workbook and the
cluster's common needs can never disagree. The rule:

1. a **weakness** is a weak indicator (scored below its target; ``feeds`` in the questionnaire file names
   the scenarios it feeds) or a **scenario shortfall**: a scenario rated below its target level, the
   target coming from the taxonomy's ``scenario_targets`` by the enterprise's size class (the question's
   ``target_level`` only when the taxonomy sets none). Not-applicable items are never weaknesses;
2. its **severity** is the gap to target as a share of the target: (target - score) / target for an
   indicator, (target - level) / target for a scenario, in (0, 1];
3. a weakness maps to the taxonomy scenarios its code names (``Taxonomy.scenarios_for``) **in the chain
   links the enterprise operates**, never elsewhere: a firing-only firm weak in sales is not sent to the
   sales-link scenarios (it has no such link; the need is reported as not placed on the map);
4. a scenario's severity is the largest of the weaknesses feeding it; scenarios rank by severity, then
   how many weaknesses feed them, then the taxonomy's order; each carries every reason and the pool's
   solutions for it.

No score is computed here: everything is read from what the assessment or portrait already holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnostics.questionnaire import Question, Questionnaire
from diagnostics.taxonomy import Scenario, Solution, Taxonomy
from diagnostics.text import Text


@dataclass
class Recommendation:
    scenario: Scenario
    reasons: list[Text] = field(default_factory=list)  # most severe first
    solutions: list[Solution] = field(default_factory=list)
    severity: float = 0.0  # the largest severity among the weaknesses feeding it (0..1)
    weaknesses: list[str] = field(default_factory=list)  # "<questionnaire>:<code>" keys, as in portraits

    @property
    def weight(self) -> int:
        """How many weaknesses feed this scenario."""
        return len(self.weaknesses)


def scenario_target(taxonomy: Taxonomy | None, question: Question, size_class: str | None) -> int | None:
    """Target level of a scenario rating for an enterprise of ``size_class`` (rule 1); None: no target."""
    code = question.scenario or question.id
    if taxonomy is not None and taxonomy.scenario_targets is not None:
        target = taxonomy.scenario_targets.target(code, size_class)
        if target is not None:
            return target
    return question.target_level or None


def scenario_targets(taxonomy: Taxonomy | None, definition: Questionnaire, size_class: str | None
                     ) -> dict[str, int]:
    """Scenario code -> target level for every scenario the definition rates with a target (rule 1)."""
    out: dict[str, int] = {}
    for q in definition.scenario_questions():
        target = scenario_target(taxonomy, q, size_class)
        if target:
            out[q.scenario or q.id] = target
    return out


def scenarios_for_links(taxonomy: Taxonomy, code: str, chain_links: Collection[str] | None) -> list[Scenario]:
    """Map scenarios a weakness code reaches in the enterprise's own chain links (rule 3).

    ``chain_links=None`` means the links are not known (a page without the register): no filter.
    """
    cands = taxonomy.scenarios_for(code)
    if chain_links is None:
        return cands
    return [s for s in cands if s.link in chain_links]


def weakness_feeds(weakness: Mapping[str, Any], feeds: Mapping[str, list[str]]) -> list[str]:
    """The codes a weakness feeds: a scenario shortfall its own scenario, a weak indicator what its
    definition's ``feeds`` say (``feeds`` is keyed ``"<questionnaire>:<indicator>"``)."""
    if weakness.get("kind") == "scenario":
        return [str(weakness["code"])]
    return list(feeds.get(f"{weakness['q']}:{weakness['code']}", []))


def weakness_key(weakness: Mapping[str, Any]) -> str:
    kind = "scenario:" if weakness.get("kind") == "scenario" else ""
    return f"{weakness['q']}:{kind}{weakness['code']}"


def reason(weakness: Mapping[str, Any], names: Mapping[str, Any]) -> Text:
    """Why a weakness counts, in words (``names``: ``weakness_key`` -> bilingual name)."""
    name = Text.model_validate(names.get(weakness_key(weakness)) or {"zh": str(weakness["code"])})
    if weakness.get("kind") == "scenario":
        lv, target = int(weakness.get("level") or 0), int(weakness["target"])
        shown_zh = "未评" if weakness.get("level") is None else f"{lv} 级"
        shown_en = "not rated" if weakness.get("level") is None else f"level {lv}"
        return Text(zh=f"场景“{name.zh}”自评 {shown_zh}，低于 {target} 级",
                    en=f"scenario '{name.get('en')}' rated {shown_en}, below level {target}")
    return Text(zh=f"指标“{name.zh}”得分偏低（{_fmt(weakness.get('score'))}，目标 {_fmt(weakness.get('target'))}）",
                en=f"indicator '{name.get('en')}' is weak ({_fmt(weakness.get('score'))}, target "
                   f"{_fmt(weakness.get('target'))})")


def _fmt(x: Any) -> str:
    return "—" if x is None else f"{float(x):.2f}".rstrip("0").rstrip(".")


def rank(weaknesses: Iterable[Mapping[str, Any]], taxonomy: Taxonomy, feeds: Mapping[str, list[str]],
         names: Mapping[str, Any], chain_links: Collection[str] | None, *, limit: int | None = 6
         ) -> list[Recommendation]:
    """Rules 3 and 4 over one enterprise's weaknesses."""
    found: dict[str, Recommendation] = {}
    ordered = sorted(weaknesses, key=lambda w: (-float(w["severity"]), weakness_key(w)))
    for w in ordered:
        why = reason(w, names)
        key = weakness_key(w)
        for code in weakness_feeds(w, feeds):
            for scenario in scenarios_for_links(taxonomy, code, chain_links):
                rec = found.setdefault(scenario.code, Recommendation(scenario))
                if key not in rec.weaknesses:
                    rec.weaknesses.append(key)
                    rec.reasons.append(why)
                    rec.severity = max(rec.severity, float(w["severity"]))
    order = {s.code: i for i, s in enumerate(taxonomy.scenarios)}
    ranked = sorted(found.values(), key=lambda r: (-r.severity, -r.weight, order[r.scenario.code]))
    if limit is not None:
        ranked = ranked[:limit]
    for rec in ranked:
        rec.solutions = [s for s in taxonomy.solutions if rec.scenario.code in s.scenarios]
    return ranked


def names_of(definitions: Iterable[Questionnaire]) -> dict[str, Any]:
    """``weakness_key`` -> bilingual name, for indicators and scenario ratings of these definitions."""
    out: dict[str, Any] = {}
    for q in definitions:
        for ind in q.indicators():
            out[f"{q.code}:{ind.code}"] = ind.title.model_dump()
        for s in q.scenario_questions():
            out[f"{q.code}:scenario:{s.scenario or s.id}"] = s.text.model_dump()
    return out


def _indicators(explanation: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for dim in explanation.get("dimensions", []):
        if not dim.get("scored", True):
            continue
        yield from dim.get("indicators", [])


def trail_weaknesses(explanation: Mapping[str, Any], definition: Questionnaire, taxonomy: Taxonomy | None,
                     size_class: str | None) -> list[dict[str, Any]]:
    """The weaknesses of one expanded explanation trail, in the portraits' format (rules 1 and 2)."""
    out: list[dict[str, Any]] = []
    answers: dict[str, Any] = {}
    na: set[str] = set()
    for dim in explanation.get("dimensions", []):
        for ind in dim.get("indicators", []):
            for q in ind.get("questions", []):
                answers[q["id"]] = q.get("answer")
                if q.get("not_applicable"):
                    na.add(q["id"])
    for ind in _indicators(explanation):
        if ind.get("weak") and ind.get("applicable", True):
            target = float(ind.get("target") or 0.0)
            score = float(ind.get("score") or 0.0)
            if target > 0:
                out.append({"q": definition.code, "code": ind["code"], "score": round(score, 4),
                            "target": round(target, 4), "severity": round(min(1.0, (target - score) / target), 4)})
    for question in definition.scenario_questions():
        if question.id in na:
            continue
        level_target = scenario_target(taxonomy, question, size_class)
        if not level_target:
            continue
        answer = answers.get(question.id)
        level = int(answer) if answer is not None else 0
        if level < level_target:
            out.append({"q": definition.code, "kind": "scenario", "code": question.scenario or question.id,
                        "level": None if answer is None else level, "target": level_target,
                        "severity": round((level_target - level) / level_target, 4)})
    return out


def recommend(explanation: Mapping[str, Any], definition: Questionnaire | None, taxonomy: Taxonomy | None, *,
              chain_links: Collection[str] | None = None, size_class: str | None = None,
              limit: int = 6) -> list[Recommendation]:
    """Typical scenarios of the industry that address this enterprise's gaps, most-needed first.

    For the diagnosis page: ``explanation`` is the expanded trail (``repo.trail``), ``chain_links`` the
    enterprise's registered links (None: not known, no filter), ``size_class`` its size class (targets).
    """
    if taxonomy is None or definition is None:
        return []
    weaknesses = trail_weaknesses(explanation, definition, taxonomy, size_class)
    feeds = {f"{definition.code}:{ind.code}": list(ind.feeds) for ind in definition.indicators() if ind.feeds}
    return rank(weaknesses, taxonomy, feeds, names_of([definition]), chain_links, limit=limit)


def recommend_portrait(portrait: Mapping[str, Any], taxonomy: Taxonomy, feeds: Mapping[str, list[str]],
                       names: Mapping[str, Any], *, limit: int | None = 8) -> list[Recommendation]:
    """The same rule over a stored portrait (its weaknesses already carry their targets and severities)."""
    return rank(portrait.get("weaknesses") or [], taxonomy, feeds, names, list(portrait.get("chain_links") or []),
                limit=limit)
