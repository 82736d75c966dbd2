"""The programme rules a pilot project must keep, as functions that return errors (never raise).

The pages call :func:`check_project` before saving a project and :func:`check_replication` before
recording a "1+N" deployment; each broken rule comes back as a :class:`RuleError` naming the form field
and saying, in Chinese and English, which rule and which other project is in the way, so the official
can fix the application rather than guess. The numbers come from the pilot file's ``programme.rules``
(see :mod:`diagnostics.programme.config` for their sources).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from diagnostics.programme.config import ProgrammeRules


@dataclass(frozen=True)
class RuleError:
    field: str
    rule: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class Party:
    """A participant of a project: a manufacturer (``enterprise_id``) or a provider (``provider_id``)."""

    name: str
    enterprise_id: int | None = None
    provider_id: int | None = None
    group: str | None = None  # enterprise group (集团), for "five per group"


@dataclass(frozen=True)
class ProjectFacts:
    """What the rules need to know about a project (stored or proposed)."""

    name: str
    year: int
    lead_kind: str
    parties: tuple[Party, ...]
    planned_investment_10k: float | None
    started_on: date | None = None
    ends_on: date | None = None
    landing_enterprise_ids: tuple[int, ...] = ()
    id: int | None = None

    @property
    def enterprise_ids(self) -> set[int]:
        return {p.enterprise_id for p in self.parties if p.enterprise_id is not None}

    @property
    def provider_ids(self) -> set[int]:
        return {p.provider_id for p in self.parties if p.provider_id is not None}

    @property
    def groups(self) -> set[str]:
        return {p.group.strip() for p in self.parties if p.group and p.group.strip()}


def _others(existing: Sequence[ProjectFacts], project: ProjectFacts) -> list[ProjectFacts]:
    return [p for p in existing if p.year == project.year and (project.id is None or p.id != project.id)]


def check_project(project: ProjectFacts, existing: Sequence[ProjectFacts], rules: ProgrammeRules) -> list[RuleError]:
    """Every rule ``project`` breaks, given the other projects of the pilot (any year; the rules count
    projects of the same year). An empty list means it may be saved."""
    errors: list[RuleError] = []
    others = _others(existing, project)
    if project.lead_kind not in rules.lead_kinds:
        allowed = "、".join({"provider": "服务商", "manufacturer": "制造业企业"}[k] for k in rules.lead_kinds)
        errors.append(RuleError("lead_kind", "lead_kind", f"本试点的项目须由{allowed}牵头。",
                                f"Projects of this pilot must be led by: {', '.join(rules.lead_kinds)}."))
    floor = rules.min_investment_10k
    if floor is not None and (project.planned_investment_10k is None or project.planned_investment_10k < floor):
        got = "未填写" if project.planned_investment_10k is None else f"{project.planned_investment_10k:g}万元"
        got_en = "missing" if project.planned_investment_10k is None else f"{project.planned_investment_10k:g}"
        errors.append(RuleError("planned_investment_10k", "min_investment",
                                f"预期投入不少于{floor:g}万元，本项目为{got}。",
                                f"Planned investment must be at least {floor:g} (10k yuan); "
                                f"this project: {got_en}."))
    if rules.max_members is not None and len(project.parties) > rules.max_members:
        errors.append(RuleError("members", "max_members",
                                f"联合体成员不超过{rules.max_members}家，本项目有{len(project.parties)}家。",
                                f"A consortium has at most {rules.max_members} members; this one has "
                                f"{len(project.parties)}."))
    if len(project.landing_enterprise_ids) < rules.min_landing_enterprises:
        errors.append(RuleError("landing", "min_landing",
                                f"项目须至少有{rules.min_landing_enterprises}家制造业企业作为场景落地单位。",
                                f"A project needs at least {rules.min_landing_enterprises} landing manufacturer(s)."))
    if project.started_on and project.ends_on:
        days = (project.ends_on - project.started_on).days
        if days < 0:
            errors.append(RuleError("ends_on", "dates", "结束日期早于开始日期。",
                                    "The end date is before the start date."))
        elif rules.max_duration_days is not None and days > rules.max_duration_days:
            errors.append(RuleError("ends_on", "max_duration",
                                    f"实施期原则上不超过一年（{rules.max_duration_days}天），本项目{days}天。",
                                    f"Implementation should not exceed one year ({rules.max_duration_days} days); "
                                    f"this project runs {days} days."))
    errors += _quota(project, others, rules)
    return errors


K = TypeVar("K", int, str)  # what a quota counts per year: a firm or provider id, or a group's name


def _over_cap(cap: int | None, keys: Iterable[K], holds: Callable[[ProjectFacts, K], bool],
              others: list[ProjectFacts]) -> Iterator[tuple[K, list[str]]]:
    """Each of ``keys`` (a manufacturer, a provider, a group) whose projects of the year among ``others``
    already reach ``cap``, with those projects' names; nothing when the pilot file sets no cap."""
    if cap is None:
        return
    for key in sorted(keys):
        taken = [o.name for o in others if holds(o, key)]
        if len(taken) >= cap:
            yield key, taken


def _quota(project: ProjectFacts, others: list[ProjectFacts], rules: ProgrammeRules) -> list[RuleError]:
    errors: list[RuleError] = []
    names = {p.enterprise_id: p.name for p in project.parties if p.enterprise_id is not None}
    pnames = {p.provider_id: p.name for p in project.parties if p.provider_id is not None}
    cap = rules.max_projects_per_manufacturer_per_year
    for eid, taken in _over_cap(cap, project.enterprise_ids, lambda o, k: k in o.enterprise_ids, others):
        errors.append(RuleError(
            "members", "one_per_manufacturer",
            f"制造业企业“{names[eid]}”{project.year}年已参加项目“{'、'.join(taken)}”；"
            f"每家制造业企业每年最多参加{cap}个项目。",
            f"Manufacturer '{names[eid]}' already takes part in {project.year} in "
            f"'{', '.join(taken)}'; a manufacturer may join at most {cap} project(s) a year."))
    cap = rules.max_projects_per_provider_per_year
    for pid, taken in _over_cap(cap, project.provider_ids, lambda o, k: k in o.provider_ids, others):
        errors.append(RuleError(
            "members", "three_per_provider",
            f"服务商“{pnames[pid]}”{project.year}年已参加{len(taken)}个项目（{'、'.join(taken)}）；"
            f"每家服务商每年最多参加{cap}个项目。",
            f"Provider '{pnames[pid]}' already takes part in {len(taken)} project(s) in {project.year} "
            f"({', '.join(taken)}); a provider may join at most {cap} a year."))
    cap = rules.max_projects_per_group_per_year
    for group, taken in _over_cap(cap, project.groups, lambda o, k: k in o.groups, others):
        errors.append(RuleError(
            "members", "five_per_group",
            f"集团“{group}”{project.year}年已有{len(taken)}个项目；同一集团内企业每年最多{cap}个项目。",
            f"Group '{group}' already has {len(taken)} project(s) in {project.year}; "
            f"one group may have at most {cap}."))
    return errors


def check_replication(project_solution_id: int | None, deployment_solution_id: int,
                      enterprise_id: int, landed_enterprise_ids: Sequence[int]) -> list[RuleError]:
    """A "1+N" replication is a further deployment of the project's own solution in a new firm."""
    errors: list[RuleError] = []
    if project_solution_id is None:
        errors.append(RuleError("solution_id", "no_solution", "项目尚未指定解决方案，无法记录“1+N”复制推广。",
                                "The project names no solution yet, so no '1+N' replication can be recorded."))
    elif deployment_solution_id != project_solution_id:
        errors.append(RuleError("solution_id", "other_solution", "“1+N”复制推广须部署本项目的解决方案。",
                                "A '1+N' replication must deploy the project's own solution."))
    if enterprise_id in landed_enterprise_ids:
        errors.append(RuleError("enterprise_id", "already_landed", "该企业已部署本项目方案，复制推广须是新的企业。",
                                "This firm already runs the project's solution; a replication must be a new firm."))
    return errors
