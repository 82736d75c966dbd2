"""Common needs on the mini cluster: every figure below is worked out by hand in the docstrings."""

from __future__ import annotations

from diagnostics.needs import enterprise_scenario_needs, rank_needs
from diagnostics.portraits import feed_map
from tests.diagnostics.cluster_fixtures import portraits, questionnaire, taxonomy

FEEDS = feed_map({1: questionnaire()})


def test_weaknesses_go_to_scenarios_in_the_enterprises_own_links():
    """E1 (firing) is weak in quality: of raw_inspect (raw) and firing_quality (firing) only its own
    link's scenario counts; its marketing weakness has no scenario in firing, so it is not placed on the
    map (issue 8: a firm's weakness is never charged to a link it does not run) and is reported unmapped.
    E2 (raw + forming) is weak in equipment, which feeds equipment (forming_ctrl, in its forming link) and
    energy (firing_energy: firing, not its link). E3 (sales) reaches only sales_crm."""
    needs, unmapped = enterprise_scenario_needs(portraits(), taxonomy(), FEEDS)
    pairs = {(r.enterprise_id, r.scenario): r.severity for r in needs.itertuples()}
    assert pairs == {(1, "firing_quality"): 0.5, (2, "forming_ctrl"): 1.0, (3, "sales_crm"): 1.0}
    # energy: E2 and E3; equipment: E3 (E2's went to forming_ctrl); marketing: E1; quality: E3
    assert unmapped == {"energy": 2, "equipment": 1, "marketing": 1, "quality": 1}


def test_needs_never_name_a_link_the_enterprise_does_not_operate():
    p = portraits()
    needs, _ = enterprise_scenario_needs(p, taxonomy(), FEEDS)
    links = dict(zip(p["enterprise_id"], p["chain_links"], strict=True))
    assert len(needs) and all(r.link in links[r.enterprise_id] for r in needs.itertuples())


def test_scenarios_ranked_by_need_score_then_enterprises_then_code():
    """need_score = sum of severities: forming_ctrl 1 (E2), sales_crm 1 (E3): tie, code order;
    firing_quality 0.5 (E1)."""
    payload = rank_needs(portraits(), taxonomy(), FEEDS, common_share=0.6)
    ranked = [(r["rank"], r["scenario"], r["need_score"], r["enterprises"]) for r in payload["scenarios"]]
    assert ranked == [(1, "forming_ctrl", 1.0, 1), (2, "sales_crm", 1.0, 1), (3, "firing_quality", 0.5, 1)]
    by_code = {r["scenario"]: r for r in payload["scenarios"]}
    assert by_code["forming_ctrl"]["sizes"] == {"medium": 1}
    assert by_code["firing_quality"]["sources"] == [{"code": "mini-q:i_quality", "enterprises": 1}]
    # common is per chain link: firing has E1 and E4, one of them needs firing_quality: 50 % < 60 %;
    # forming (E2 alone) and sales (E3 alone): 100 %
    assert by_code["firing_quality"]["share_in_link"] == 0.5 and not by_code["firing_quality"]["common"]
    assert by_code["firing_quality"]["share"] == 0.25  # 1 of 4 assessed firms
    assert payload["common"] == ["forming_ctrl", "sales_crm"]
    assert "needs.common_share" in payload["definition"]["zh"] and "60%" in payload["definition"]["zh"]


def test_links_ranked_with_each_enterprise_counted_once():
    payload = rank_needs(portraits(), taxonomy(), FEEDS)
    assert [(r["link"], r["need_score"], r["enterprises"], r["enterprises_in_link"]) for r in payload["links"]] == [
        ("forming", 1.0, 1, 1), ("sales", 1.0, 1, 1), ("firing", 0.5, 1, 2)]
    assert payload["by_link"] == {"firing": ["firing_quality"], "forming": ["forming_ctrl"], "sales": ["sales_crm"]}


def test_needs_ranked_per_size_class():
    payload = rank_needs(portraits(), taxonomy(), FEEDS)
    # small firms: E1 and E3 (2); E3's sales_crm 1.0 before E1's firing_quality 0.5
    assert [(r["scenario"], r["share_in_size"]) for r in payload["by_size"]["small"]] == [
        ("sales_crm", 0.5), ("firing_quality", 0.5)]
    assert [r["scenario"] for r in payload["by_size"]["medium"]] == ["forming_ctrl"]
    assert payload["size_names"]["small"]["zh"] == "小型"


def test_feeds_without_a_map_scenario_are_reported_not_lost():
    p = portraits()
    p.at[0, "weaknesses"] = [*p.at[0, "weaknesses"], {"q": "mini-q", "code": "i_x", "severity": 0.4}]
    payload = rank_needs(p, taxonomy(), {**FEEDS, "mini-q:i_x": ["hr"]})
    assert {"feed": "hr", "enterprises": 1} in payload["unmapped"]


def test_no_weaknesses_means_no_needs():
    p = portraits()
    p["weaknesses"] = [[] for _ in range(len(p))]
    payload = rank_needs(p, taxonomy(), FEEDS)
    assert payload["scenarios"] == [] and payload["links"] == [] and payload["enterprises_with_needs"] == 0


def test_common_needs_need_both_share_in_link_and_intensity():
    """firing_quality: 1 of the 2 firing firms (50 %), intensity 0.5 / 2 firms = 0.25. With share 50 % it is
    common on share alone, not once an intensity of 0.3 is asked for; forming_ctrl and sales_crm (1.0) stay."""
    by_share = rank_needs(portraits(), taxonomy(), FEEDS, common_share=0.5)
    assert "firing_quality" in by_share["common"]
    both = rank_needs(portraits(), taxonomy(), FEEDS, common_share=0.5, common_intensity=0.3)
    assert both["common"] == ["forming_ctrl", "sales_crm"]
    assert {r["scenario"]: r["intensity"] for r in both["scenarios"]}["firing_quality"] == 0.25
