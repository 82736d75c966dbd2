"""A hand-made mini cluster for the cluster-view tests: small enough to check every figure by hand.

Taxonomy ``mini``: five chain links, of which ``packing`` has no scenario and ``sales`` only a typical
one (``sales_crm``) plus an atypical one, so coverage is 4 / 5 = 0.8. Nine element types, three
solutions from two providers. Questionnaire ``mini-q``: three 10-point indicators (target 6 each,
weakness ratio 0.6), feeding quality / equipment+energy / marketing, and four rated scenarios.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from diagnostics.pilot import parse_targets
from diagnostics.portraits import build_portraits
from diagnostics.questionnaire_loader import parse_text
from diagnostics.taxonomy import parse_taxonomy

TAXONOMY_YAML = """
code: mini
version: "1"
title: {zh: 迷你陶瓷, en: Mini ceramics}
chain_links_basis: {zh: 测试用环节, en: test links}
chain_links:
  - {code: raw, name: 原料, position: upstream}
  - {code: forming, name: 成型, position: midstream}
  - {code: firing, name: 烧成, position: midstream}
  - {code: packing, name: 包装, position: downstream}
  - {code: sales, name: 销售, position: downstream}
activities:
  - {code: rd_design, name: 研发设计}
  - {code: production, name: 生产制造}
  - {code: om_service, name: 运维服务}
  - {code: management, name: 经营管理}
  - {code: supply_chain, name: 供应链管理}
scenarios:
  - {code: raw_inspect, name: 原料检验, link: raw, activity: production, sme_scenarios: [quality],
     data_elements: [d_raw], tool_software: [t_lims]}
  - {code: forming_ctrl, name: 成型管控, link: forming, activity: production,
     sme_scenarios: [production_control, equipment], knowledge_models: [k_forming], talent_skills: [s_operator]}
  - {code: firing_quality, name: 烧成质量, link: firing, activity: production, sme_scenarios: [quality],
     data_elements: [d_kiln], knowledge_models: [k_firing]}
  - {code: firing_energy, name: 窑炉能耗, link: firing, activity: production, sme_scenarios: [energy],
     data_elements: [d_kiln], tool_software: [t_ems]}
  - {code: sales_crm, name: 客户管理, link: sales, activity: management, sme_scenarios: [marketing],
     tool_software: [t_crm], talent_skills: [s_sales]}
  - {code: sales_design, name: 定制设计, link: sales, activity: rd_design, typical: false,
     sme_scenarios: [product_design]}
data_elements: [{code: d_raw, name: 原料数据}, {code: d_kiln, name: 窑炉数据}]
knowledge_models: [{code: k_forming, name: 成型模型}, {code: k_firing, name: 烧成曲线}]
tool_software: [{code: t_lims, name: LIMS}, {code: t_ems, name: 能源管理}, {code: t_crm, name: CRM}]
talent_skills: [{code: s_operator, name: 操作工, certification: 技师}, {code: s_sales, name: 电商运营}]
portrait_types:
  - {code: leader, name: {zh: 领先型, en: Leader}, rule: "level >= 3 or chain_leader"}
  - {code: follower, name: {zh: 跟随型, en: Follower}, rule: "level >= 2"}
  - {code: beginner, name: {zh: 起步型, en: Beginner}, rule: "level >= 1"}
  - {code: not_started, name: {zh: 未起步, en: Not started}, rule: "level == 0"}
solutions:
  - {code: sol_kiln, name: 智能窑炉, scenarios: [firing_quality, firing_energy], provider: 甲公司}
  - {code: sol_crm, name: 云CRM, scenarios: [sales_crm], provider: 乙公司}
  - {code: sol_lims, name: 检验系统, scenarios: [raw_inspect], provider: 甲公司}
"""


def _level_q(scenario: str, target: int | None = None) -> str:
    tgt = f", target_level: {target}" if target else ""
    return (f"          - {{id: s_{scenario}, type: level, text: {scenario}, scenario: {scenario}{tgt}, options: "
            "[{code: '0', label: 无}, {code: '1', label: 一级}, {code: '2', label: 二级}, {code: '3', label: 三级}, "
            "{code: '4', label: 四级}]}\n")


QUESTIONNAIRE_YAML = """
code: mini-q
version: "1"
title: 迷你问卷
max_score: 30
weakness_ratio: 0.6
strength_ratio: 0.85
dimensions:
  - code: foundation
    title: 基础
    max_points: 20
    indicators:
      - code: i_quality
        title: 质量
        max_points: 10
        feeds: [quality]
        questions:
          - {id: q_quality, type: single, text: 质量, options: [{code: a, label: 无, points: 0},
             {code: b, label: 部分, points: 5}, {code: c, label: 全部, points: 10}]}
      - code: i_equipment
        title: 设备
        max_points: 10
        feeds: [equipment, energy]
        questions:
          - {id: q_equip, type: single, text: 设备, options: [{code: a, label: 无, points: 0},
             {code: b, label: 部分, points: 5}, {code: c, label: 全部, points: 10}]}
  - code: management
    title: 管理
    max_points: 10
    indicators:
      - code: i_market
        title: 营销
        max_points: 10
        feeds: [marketing]
        questions:
          - {id: q_market, type: single, text: 营销, options: [{code: a, label: 无, points: 0},
             {code: b, label: 部分, points: 5}, {code: c, label: 全部, points: 10}]}
  - code: operations
    title: 经营
    scored: false
    indicators:
      - code: scenarios
        title: 场景
        max_points: 0
        questions:
""" + _level_q("quality") + _level_q("energy") + _level_q("marketing") + _level_q("production_control") + """
levels:
  - {level: 1, name: 一级, min_score: 5}
  - {level: 2, name: 二级, min_score: 12}
  - {level: 3, name: 三级, min_score: 20}
  - {level: 4, name: 四级, min_score: 27}
"""

TARGETS_YAML = """
code: mini-pilot
title: 迷你试点
taxonomy: mini
questionnaire: mini-q
targets:
  - {metric: scenarios, min: 5}
  - {metric: element_types, min: 10}
  - {metric: enterprises, min: 3}
  - {metric: chain_leader_share, min: 0.1}
  - {metric: coverage, min: 1.0}
shortlist:
  size: 2
  min_chain_leader_share: 0.5
  min_per_size: {small: 1}
  cover_chain_links: true
  willing_only: true
  max_per_group: 1
"""


def taxonomy():
    return parse_taxonomy(TAXONOMY_YAML, "mini.yaml")


def questionnaire():
    return parse_text(QUESTIONNAIRE_YAML, "mini-q.yaml").definition


def targets(**shortlist: Any):
    t = parse_targets(TARGETS_YAML, "mini-pilot.yaml")
    if shortlist:
        t = t.model_copy(update={"shortlist": t.quotas.model_copy(update=shortlist)})
    return t


def enterprise(eid: int, *, size: str = "small", links: list[str] | None = None, tags: list[str] | None = None,
               group: str | None = None, willing: bool = True, industry: str = "3074") -> dict[str, Any]:
    return {"enterprise_id": eid, "uscc": f"USCC{eid:04d}", "name": f"企业{eid}", "industry_code": industry,
            "region": "珠山区", "size_class": size, "chain_links": links or ["firing"], "tags": tags or [],
            "group_name": group, "pilot_willing": willing}


def assessment(aid: int, eid: int, scores: tuple[float, float, float], *, level: int, trusted: bool = False,
               scenarios: dict[str, int] | None = None, version_id: int = 1, code: str = "mini-q") -> dict[str, Any]:
    quality, equip, market = scores
    return {"assessment_id": aid, "enterprise_id": eid, "questionnaire_code": code,
            "questionnaire_version_id": version_id, "trusted": trusted, "total": float(sum(scores)), "level": level,
            "band_level": level, "dimension_scores": {"foundation": quality + equip, "management": market},
            "indicator_scores": {"i_quality": quality, "i_equipment": equip, "i_market": market, "scenarios": 0.0},
            "scenario_levels": scenarios or {}}


def frames(ents: list[dict[str, Any]], assess: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(ents), pd.DataFrame(assess)


def mini_cluster() -> tuple[pd.DataFrame, pd.DataFrame]:
    """E1..E4 assessed, E5 not. Targets are 6 points (0.6 x 10) per indicator.

    E1 small/firing (3, 10, 5) = 18, L2: weak quality (6-3)/6 = 0.5 and market 1/6, strong equipment.
    E2 medium/raw+forming, chain leader (6, 0, 10) = 16, L2: weak equipment 1.0, strong market.
    E3 small/sales (0, 0, 0) = 0, L0: all three weak at 1.0.
    E4 large/firing, srdi, other industry (10, 10, 10) = 30, L4, verified on site: no weakness.
    """
    ents = [enterprise(1, size="small", links=["firing"]),
            enterprise(2, size="medium", links=["raw", "forming"], tags=["chain_leader"], group="甲集团"),
            enterprise(3, size="small", links=["sales"]),
            enterprise(4, size="large", links=["firing"], tags=["srdi"], industry="3075"),
            enterprise(5, size="micro", links=["packing"])]
    assess = [assessment(11, 1, (3, 10, 5), level=2, scenarios={"quality": 2, "energy": 1}),
              assessment(12, 2, (6, 0, 10), level=2, scenarios={"production_control": 3}),
              assessment(13, 3, (0, 0, 0), level=0),
              assessment(14, 4, (10, 10, 10), level=4, trusted=True,
                         scenarios={"quality": 4, "energy": 3, "marketing": 2})]
    return frames(ents, assess)


def portraits() -> pd.DataFrame:
    ents, assess = mini_cluster()
    return build_portraits(ents, assess, {1: questionnaire()}, taxonomy(), primary="mini-q")
