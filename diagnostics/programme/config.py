"""The ``programme:`` section of a pilot file: the programme's rules and the evaluation's settings.

Each number carries its source beside it in the pilot file (``questionnaires/targets/*.yaml``); the
defaults below are Shandong 工赋百景's (seed 001 section 二, seed 004 section 二.(五) and 三.(二)), the
strictest set the seeds give, so a pilot file that says nothing still refuses what Shandong refuses.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from diagnostics.text import Text

LeadKind = Literal["provider", "manufacturer"]

# Provider kinds named by the seeds (001 二: 工业互联网平台等数字化转型服务商; 000 联合实施团队: 智库、高校、
# 服务商; DOMAIN.md §2), in the order the pages list them.
PROVIDER_KIND_NAMES: dict[str, Text] = {
    "platform": Text(zh="“双跨”平台", en="Cross-industry platform"),
    "specialised": Text(zh="专业服务商", en="Specialised provider"),
    "telecom": Text(zh="基础电信运营商", en="Telecom operator"),
    "university": Text(zh="高校", en="University"),
    "think_tank": Text(zh="智库", en="Think tank"),
    "finance": Text(zh="金融机构", en="Finance"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AcceptanceTarget(_Strict):
    """A programme indicator of the pilot's acceptance sheet (participants, deployments, cases...)."""

    metric: Literal["participants", "chain_leader_share", "providers", "solutions", "deployments", "cases",
                    "benchmark_cases", "reports", "experts"]
    min: float | None = Field(default=None, ge=0)
    source: Text | None = None


class ProgrammeRules(_Strict):
    """Who may join how many projects, and what a project must promise."""

    max_projects_per_manufacturer_per_year: int | None = Field(default=1, ge=1)  # seed 001 二; 004 二.(五)
    max_projects_per_provider_per_year: int | None = Field(default=3, ge=1)  # seed 001 二; 004 二.(五)
    max_projects_per_group_per_year: int | None = Field(default=5, ge=1)  # seed 001 三.(二); 004 三.(二)
    max_members: int | None = Field(default=3, ge=1)  # seed 001 二: 联合体成员原则上不超过3家
    min_investment_10k: float | None = Field(default=100.0, ge=0)  # seed 001 二.(四): 预期投入不少于100万元
    max_duration_days: int | None = Field(default=366, ge=1)  # seed 001 二.(四): 实施期原则上不超过一年
    lead_kinds: tuple[LeadKind, ...] = ("provider", "manufacturer")
    min_landing_enterprises: int = Field(default=1, ge=0)  # seed 001 二.(四): 在不少于1家制造业企业示范应用
    # the checkpoints after T0 a project is accepted at: seed 001 三.(四) 半年期和1年期末两次验收评估
    acceptance_checkpoints: tuple[Literal["half_year", "one_year"], ...] = Field(
        default=("half_year", "one_year"), min_length=1)


class EvaluationSettings(_Strict):
    """Participants vs matched non-participants: below ``min_firms`` the answer is "too few to tell"."""

    min_firms: int = Field(default=5, ge=2)
    controls_per_participant: int = Field(default=3, ge=1)
    bootstrap: int = Field(default=999, ge=99, le=20000)
    seed: int = 20240101
    confidence: float = Field(default=0.9, gt=0.5, lt=1)


class ProgrammeSettings(_Strict):
    rules: ProgrammeRules = ProgrammeRules()
    evaluation: EvaluationSettings = EvaluationSettings()
    acceptance: list[AcceptanceTarget] = Field(default_factory=list)
