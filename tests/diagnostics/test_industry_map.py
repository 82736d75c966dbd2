"""The industry map of the mini cluster: grid, practice counts, four lists, coverage, indicator table."""

from __future__ import annotations

from diagnostics.industry_map import build_industry_map
from tests.diagnostics.cluster_fixtures import portraits, taxonomy
from tests.diagnostics.cluster_fixtures import targets as mini_targets


def mini_map() -> dict:
    return build_industry_map(taxonomy(), portraits(), mini_targets())


def test_coverage_is_links_with_a_typical_scenario_over_all_links():
    """packing has no scenario; sales has a typical one (sales_crm): 4 of 5 links = 0.8."""
    cov = mini_map()["coverage"]
    assert (cov["links_covered"], cov["links_total"], cov["rate"]) == (4, 5, 0.8)
    assert cov["uncovered"] == ["packing"]
    assert cov["basis"] == {"zh": "测试用环节", "en": "test links"}
    # practised at level >= 2: forming_ctrl (E2 at 3), firing_quality (E1 at 2, E4 at 4): forming, firing
    assert cov["practised"] == {"level_at_least": 2, "links": ["forming", "firing"], "rate": 0.4}


def test_grid_rows_are_links_and_columns_activities():
    grid = mini_map()["grid"]
    assert [row["link"] for row in grid] == ["raw", "forming", "firing", "packing", "sales"]
    firing = {c["activity"]: c["scenarios"] for c in grid[2]["cells"]}
    assert firing["production"] == ["firing_energy", "firing_quality"]
    assert firing["management"] == []
    sales = {c["activity"]: c["scenarios"] for c in grid[4]["cells"]}
    assert sales == {"rd_design": ["sales_design"], "production": [], "om_service": [], "management": ["sales_crm"],
                     "supply_chain": []}


def test_practice_counts_enterprises_in_the_link_by_level():
    """firing_quality serves 'quality': E1 (firing) rates it 2, E4 (firing) 4. E2 rates nothing in
    firing. marketing is rated by E4, but E4 does not work in sales, so sales_crm has no practitioner."""
    s = {x["code"]: x for x in mini_map()["scenarios"]}
    assert s["firing_quality"]["practice"] == {"enterprises": 2, "practised": 2,
                                               "levels": {"1": 0, "2": 1, "3": 0, "4": 1}, "mean_level": 3.0}
    assert s["firing_energy"]["practice"]["levels"] == {"1": 1, "2": 0, "3": 1, "4": 0}
    assert s["firing_energy"]["practice"]["practised"] == 1
    assert s["forming_ctrl"]["practice"]["enterprises"] == 1  # production_control 3 (best of its two codes)
    assert s["sales_crm"]["practice"]["enterprises"] == 0 and s["sales_crm"]["practice"]["mean_level"] is None
    assert s["firing_quality"]["solutions"] == ["sol_kiln"]


def test_four_lists_link_elements_to_scenarios():
    lists = mini_map()["element_lists"]
    assert [(e["code"], e["scenarios"]) for e in lists["data_elements"]] == [
        ("d_raw", ["raw_inspect"]), ("d_kiln", ["firing_energy", "firing_quality"])]
    assert lists["talent_skills"][0]["certification"] == {"zh": "技师", "en": None}
    assert sum(len(v) for v in lists.values()) == 9


def test_indicator_table_against_targets():
    """5 typical scenarios (>= 5 met), 9 element types (< 10 not met), coverage 0.8 (< 1.0 not met).
    Participants, their chain-leader share and providers come from the pilot programme's records, which do
    not exist yet: "no data", never the diagnosed-firm count or the provider-type strings of the pool."""
    rows = {r["metric"]: r for r in mini_map()["indicator_table"]}
    assert [(m, rows[m]["value"], rows[m]["target"], rows[m]["status"]) for m in
            ("scenarios", "element_types", "enterprises", "chain_leader_share", "coverage")] == [
        ("scenarios", 5, 5, "met"), ("element_types", 9, 10, "not_met"), ("enterprises", None, 3, "no_data"),
        ("chain_leader_share", None, 0.1, "no_data"), ("coverage", 0.8, 1.0, "not_met")]
    assert rows["providers"]["value"] is None and rows["providers"]["status"] == "no_data"
    assert rows["deployments"]["value"] is None and rows["deployments"]["value_text"]["zh"] == "暂无数据"
    assert rows["diagnosed_enterprises"]["value"] == 4 and "评估" in rows["diagnosed_enterprises"]["counts"]["zh"]
    assert rows["solutions"]["value"] == 3
    assert list(rows)[:5] == ["scenarios", "element_types", "enterprises", "chain_leader_share", "coverage"]


def test_programme_records_and_verified_only_counting_feed_the_indicator_table():
    """The programme's records fill its rows; ``indicators_verified_only`` counts diagnosed firms verified
    on site only (E4 of the four)."""
    programme = {"enterprises": 2.0, "chain_leaders": 1.0, "chain_leader_share": 0.5, "providers": 3.0,
                 "deployments": 1.0}
    strict = mini_targets().model_copy(update={"indicators_verified_only": True})
    rows = {r["metric"]: r for r in build_industry_map(taxonomy(), portraits(), strict, programme)["indicator_table"]}
    assert rows["diagnosed_enterprises"]["value"] == 1
    assert (rows["enterprises"]["value"], rows["enterprises"]["status"]) == (2, "not_met")
    assert (rows["chain_leader_share"]["value"], rows["chain_leader_share"]["status"]) == (0.5, "met")
    assert rows["providers"]["value"] == 3
