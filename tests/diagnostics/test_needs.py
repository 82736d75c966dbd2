"""Common needs on the mini cluster: every figure below is worked out by hand in the docstrings."""

from __future__ import annotations

from diagnostics.needs import enterprise_scenario_needs, rank_needs
from diagnostics.portraits import feed_map
from tests.diagnostics.cluster_fixtures import portraits, questionnaire, taxonomy

FEEDS = feed_map({1: questionnaire()})


def test_weaknesses_go_to_scenarios_in_the_enterprises_own_links():
    """E1 (firing) is weak in quality: of raw_inspect (raw) and firing_quality (firing) only its own
    link's scenario counts. Its marketing weakness has no scenario in firing, so it counts for every
    scenario serving marketing (sales_crm). E3 (sales) has no quality scenario in its link either."""
    needs, unmapped = enterprise_scenario_needs(portraits(), taxonomy(), FEEDS)
    pairs = {(r.enterprise_id, r.scenario): r.severity for r in needs.itertuples()}
    assert pairs == {
        (1, "firing_quality"): 0.5, (1, "sales_crm"): 0.1667,
        (2, "forming_ctrl"): 1.0, (2, "firing_energy"): 1.0,
        (3, "raw_inspect"): 1.0, (3, "firing_quality"): 1.0, (3, "forming_ctrl"): 1.0,
        (3, "firing_energy"): 1.0, (3, "sales_crm"): 1.0,
    }
    assert not unmapped


def test_scenarios_ranked_by_need_score_then_enterprises_then_code():
    """need_score = sum of severities: firing_energy 1+1 = 2, forming_ctrl 1+1 = 2 (tie, 2 firms each,
    code order), firing_quality 0.5+1 = 1.5, sales_crm 0.1667+1, raw_inspect 1 (one firm)."""
    payload = rank_needs(portraits(), taxonomy(), FEEDS, common_share=0.3)
    ranked = [(r["rank"], r["scenario"], r["need_score"], r["enterprises"]) for r in payload["scenarios"]]
    assert ranked == [(1, "firing_energy", 2.0, 2), (2, "forming_ctrl", 2.0, 2), (3, "firing_quality", 1.5, 2),
                      (4, "sales_crm", 1.1667, 2), (5, "raw_inspect", 1.0, 1)]
    by_code = {r["scenario"]: r for r in payload["scenarios"]}
    assert by_code["forming_ctrl"]["sizes"] == {"medium": 1, "small": 1}
    assert by_code["firing_quality"]["severity_mean"] == 0.75
    assert by_code["firing_quality"]["sources"] == [{"code": "mini-q:i_quality", "enterprises": 2}]
    # 2 of 4 assessed firms = 50 % >= 30 %: common; raw_inspect is 1 of 4 = 25 %
    assert payload["common"] == ["firing_energy", "forming_ctrl", "firing_quality", "sales_crm"]
    assert by_code["raw_inspect"]["share"] == 0.25 and not by_code["raw_inspect"]["common"]


def test_links_ranked_with_each_enterprise_counted_once():
    """firing: E1 0.5, E2 1, E3 1 (largest severity per firm) = 2.5; forming: E2 + E3 = 2;
    sales: E1 0.1667 + E3 1; raw: E3 1."""
    payload = rank_needs(portraits(), taxonomy(), FEEDS)
    assert [(r["link"], r["need_score"], r["enterprises"]) for r in payload["links"]] == [
        ("firing", 2.5, 3), ("forming", 2.0, 2), ("sales", 1.1667, 2), ("raw", 1.0, 1)]
    firing = payload["links"][0]
    assert firing["top_scenarios"] == ["firing_energy", "firing_quality"]
    assert firing["enterprises_in_link"] == 2  # E1 and E4 work in firing; E2 and E3 only need it


def test_feeds_without_a_map_scenario_are_reported_not_lost():
    p = portraits()
    p.at[0, "weaknesses"] = [*p.at[0, "weaknesses"], {"q": "mini-q", "code": "i_x", "severity": 0.4}]
    payload = rank_needs(p, taxonomy(), {**FEEDS, "mini-q:i_x": ["hr"]})
    assert payload["unmapped"] == [{"feed": "hr", "enterprises": 1}]


def test_no_weaknesses_means_no_needs():
    p = portraits()
    p["weaknesses"] = [[] for _ in range(len(p))]
    payload = rank_needs(p, taxonomy(), FEEDS)
    assert payload["scenarios"] == [] and payload["links"] == [] and payload["enterprises_with_needs"] == 0
