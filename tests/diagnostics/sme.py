"""Answer builders for the shipped SME questionnaire, so scoring tests read like hand calculations."""

from __future__ import annotations

from typing import Any

from diagnostics.questionnaire import Question
from diagnostics.questionnaire_loader import resolve

SME = resolve("sme-digital-2024-mfg").definition


def question(qid: str) -> Question:
    """A question of the SME definition that the tests know is there."""
    found = SME.question(qid)
    assert found is not None, qid
    return found


SCENARIOS = [q.id for q in SME.scenario_questions()]
BINDING = [q.id for q in SME.scenario_questions() if q.binding]
GUIDING = [q.id for q in SME.scenario_questions() if not q.binding]

ALL_NETWORKS = ["office_lan", "field_network", "wireless_industrial", "dedicated_external"]
ALL_LINKS = [o.code for o in question("data_collection_links").options if o.code != "none"]


def nothing() -> dict[str, Any]:
    """Every question answered with its zero-point choice; scenarios all at level 1."""
    return {
        "network_kinds": ["none"], "devices_total": 0, "data_collection_links": ["none"],
        "info_systems_coverage": "none", "network_security_measures": ["none"], "data_security_measures": ["none"],
        "planning_stage": "none", "mechanisms_in_place": ["none"], "talent_measures": ["none"],
        "digital_investment_share": "none", "energy_change": "worse", "quality_change": "worse",
        "revenue_per_head_change": "worse", "cost_change": "worse", **{s: 1 for s in SCENARIOS},
    }


def full_foundation() -> dict[str, Any]:
    """Foundation at its 50-point maximum: 8 + 6 + 6 + 10 + 10 + 5 + 5."""
    return {
        "network_kinds": ALL_NETWORKS, "devices_total": 100, "devices_digital": 70, "devices_networked": 70,
        "data_collection_links": ALL_LINKS, "info_systems_coverage": "all", "info_systems_used": ["erp", "mes"],
        "network_security_measures": ["perimeter", "segmentation", "policy", "drills"],
        "data_security_measures": ["classification", "backup", "access_control", "policy"],
    }


def full_management() -> dict[str, Any]:
    """Management at its 30-point maximum: 7.5 × 4."""
    return {
        "planning_stage": "iterating",
        "mechanisms_in_place": ["leadership", "dedicated_unit", "project_rules", "data_governance"],
        "talent_measures": ["dedicated_staff", "training", "recruitment", "partnership", "incentives"],
        "digital_investment_share": "ge_3",
    }


def scenarios(level: int, **overrides: int) -> dict[str, int]:
    out = {s: level for s in SCENARIOS}
    out.update(overrides)
    return out


def answers(*parts: dict[str, Any]) -> dict[str, Any]:
    out = nothing()
    for part in parts:
        out.update(part)
    return out
