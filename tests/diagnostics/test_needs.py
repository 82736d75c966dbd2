"""Common needs on the mini cluster: every figure below is worked out by hand in the docstrings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from diagnostics.canonical import jsonable, jsonable_dict
from diagnostics.demo import synth_answers, synth_enterprises
from diagnostics.needs import NEED_COLUMNS, _carry, enterprise_scenario_needs, rank_needs
from diagnostics.portraits import ASSESSMENT_COLUMNS, ENTERPRISE_COLUMNS, build_portraits, feed_map
from diagnostics.questionnaire_loader import resolve
from diagnostics.recommend import weakness_feeds, weakness_key
from diagnostics.scoring import score_answers
from diagnostics.size_class import SIZE_ORDER, UNKNOWN
from diagnostics.taxonomy import Taxonomy, load_taxonomy
from tests.diagnostics.cluster_fixtures import portraits, questionnaire, taxonomy

FEEDS = feed_map({1: questionnaire()})
SME = resolve("sme-digital-2024-mfg").definition


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


def _reference_carry(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: dict[str, list[str]]
                     ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The rule as frame joins, one row per weakness (how ``needs._carry`` was written before it became
    columnar): the oracle the columnar version must match row for row."""
    frame = portraits[["enterprise_id", "weaknesses"]].explode("weaknesses").dropna(subset=["weaknesses"])
    weak = frame["weaknesses"].tolist()
    rows = pd.DataFrame({"enterprise_id": frame["enterprise_id"].astype(int).to_numpy(),
                         "key": [weakness_key(w) for w in weak], "severity": [float(w["severity"]) for w in weak],
                         "w": weak})
    first = rows.drop_duplicates("key")
    key_feed = pd.DataFrame([(k, f) for k, w in zip(first["key"], first["w"], strict=True)
                             for f in weakness_feeds(w, feeds)], columns=["key", "feed"])
    feed_scen = pd.DataFrame([(f, s.code, s.link) for f in key_feed["feed"].unique()
                              for s in taxonomy.scenarios_for(f)], columns=["feed", "scenario", "link"])
    ent_links = portraits[["enterprise_id", "chain_links"]].explode("chain_links").dropna(subset=["chain_links"])
    ent_links = ent_links.rename(columns={"chain_links": "link"}).astype({"enterprise_id": int})
    reach = rows[["enterprise_id", "key", "severity"]].merge(key_feed, on="key")
    placed = reach.merge(feed_scen, on="feed").merge(ent_links, on=["enterprise_id", "link"])
    size = portraits.set_index("enterprise_id")["size_class"].fillna(UNKNOWN)
    needs = placed.groupby(["enterprise_id", "scenario", "link"], sort=True)["severity"].max().reset_index()
    needs["size_class"] = size.reindex(needs["enterprise_id"]).to_numpy()
    sources = (placed.drop_duplicates(["enterprise_id", "scenario", "key"]).groupby(["scenario", "key"])
               .size().rename("enterprises").reset_index())
    hit = placed[["enterprise_id", "feed"]].drop_duplicates()
    lost = reach[["enterprise_id", "feed"]].drop_duplicates().merge(hit, how="left", indicator=True)
    unmapped = lost[lost["_merge"] == "left_only"].groupby("feed").size().rename("enterprises").reset_index()
    return needs[NEED_COLUMNS], sources, unmapped


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


def _synthetic(n: int) -> tuple[pd.DataFrame, Taxonomy, dict[str, list[str]]]:
    """A synthetic cluster of ``n`` firms (indicator and scenario weaknesses, firms in one to several
    links, every size class) with a feed that has no scenario in the map: (portraits, taxonomy, feeds)."""
    tax = load_taxonomy("nonferrous")
    synth = synth_enterprises(n, "nonferrous", [c.code for c in tax.chain_links], seed=n)
    ents = pd.DataFrame([{"enterprise_id": 10 + i, "uscc": e.uscc, "name": e.name, "industry_code": e.industry_code,
                          "region": e.region, "size_class": e.size_class, "chain_links": e.chain_links,
                          "tags": e.tags, "group_name": e.group_name, "pilot_willing": e.pilot_willing}
                         for i, e in enumerate(synth)])
    result = score_answers(SME, synth_answers(SME, np.array([e.maturity for e in synth]), seed=n))
    assess = pd.DataFrame([{"assessment_id": 100 + i, "enterprise_id": 10 + i, "questionnaire_code": SME.code,
                            "questionnaire_version_id": 1, "trusted": False, **{
                                k: v for k, v in result.record(i).items() if k in (
                                    "total", "level", "band_level", "dimension_scores", "indicator_scores",
                                    "scenario_levels")}} for i in range(n)])
    portraits = build_portraits(ents, assess, {1: SME}, tax, primary=SME.code)
    feeds = {**feed_map({1: SME}), f"{SME.code}:nowhere": ["no-such-scenario"]}
    portraits.loc[portraits.index[0], "weaknesses"].append(
        {"q": SME.code, "code": "nowhere", "score": 0.0, "target": 1.0, "severity": 1.0})
    return portraits, tax, feeds


@pytest.mark.parametrize("n", [1, 12, 400])
def test_the_columnar_carry_matches_the_frame_joins_row_for_row(n: int) -> None:
    """On a synthetic cluster of each size: the same needs, sources and unmapped counts."""
    portraits, tax, feeds = _synthetic(n)
    got, want = _carry(portraits, tax, feeds), _reference_carry(portraits, tax, feeds)
    assert len(got[0]) > (0 if n == 1 else n)
    for g, w in zip(got, want, strict=True):
        _same(g, w)
    assert "no-such-scenario" in set(got[2]["feed"])


def _reference_rank(portraits: pd.DataFrame, taxonomy: Taxonomy, feeds: dict[str, list[str]]) -> dict[str, Any]:
    """The figures of ``rank_needs`` from one frame of every (enterprise, scenario) need of the whole
    cluster, with pandas' own distinct counts and means (how it was written before it went through the
    cluster in parts): the oracle the tallies must match, ``common_share=0.4``, ``top=3``."""
    needs, sources, unmapped = _carry(portraits, taxonomy, feeds)
    n_all = len(portraits)
    in_link = (portraits[["enterprise_id", "chain_links"]].explode("chain_links").dropna()
               .groupby("chain_links")["enterprise_id"].nunique())
    size_n = portraits["size_class"].fillna(UNKNOWN).value_counts()

    def sizes(g: pd.DataFrame) -> dict[str, int]:
        counts = g.drop_duplicates("enterprise_id")["size_class"].value_counts()
        return {s: int(counts[s]) for s in SIZE_ORDER if counts.get(s, 0)}

    def ranked(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        rows = sorted(rows, key=lambda r: (-r["need_score"], -r["enterprises"], r[key]))
        return [{**r, "rank": i} for i, r in enumerate(rows, start=1)]

    scen = {s.code: s for s in taxonomy.scenarios}
    rows = []
    for key, g in needs.groupby("scenario"):
        code = str(key)
        s, base = scen[code], int(in_link.get(scen[code].link, 0))
        n, score = g["enterprise_id"].nunique(), g["severity"].sum()
        top_src = sources[sources["scenario"] == code].sort_values(["enterprises", "key"], ascending=[False, True])
        rows.append({"scenario": code, "name": s.name.model_dump(), "link": s.link, "activity": s.activity,
                     "enterprises": n, "share": n / n_all, "enterprises_in_link": base, "share_in_link": n / base,
                     "sizes": sizes(g), "severity_mean": g["severity"].mean(), "severity_max": g["severity"].max(),
                     "need_score": score, "intensity": score / base,
                     "common": bool(n / base >= 0.4 - 1e-9 and score / base >= -1e-9),
                     "sources": [{"code": k, "enterprises": int(v)} for k, v in
                                 zip(top_src["key"].head(5), top_src["enterprises"].head(5), strict=True)]})
    scenario_rows = ranked(jsonable(rows), "scenario")
    links = []
    for key, g in needs.groupby(["link", "enterprise_id"]).agg(severity=("severity", "max"), size_class=(
            "size_class", "first")).reset_index().groupby("link"):
        code = str(key)
        here = [r for r in scenario_rows if r["link"] == code]
        link, base = {c.code: c for c in taxonomy.chain_links}[code], int(in_link.get(code, 0))
        links.append({"link": code, "name": link.name.model_dump(), "position": link.position,
                      "enterprises": len(g), "enterprises_in_link": base, "share": len(g) / n_all,
                      "share_in_link": len(g) / base, "sizes": sizes(g), "severity_mean": g["severity"].mean(),
                      "need_score": g["severity"].sum(), "top_scenarios": [r["scenario"] for r in here[:3]],
                      "common": [r["scenario"] for r in here if r["common"]]})
    by_size = {}
    for size, g in needs.groupby(["size_class", "scenario"]).agg(enterprises=("enterprise_id", "nunique"), need_score=(
            "severity", "sum")).reset_index().groupby("size_class"):
        g = g.sort_values(["need_score", "enterprises", "scenario"], ascending=[False, False, True]).head(3)
        by_size[size] = [{"scenario": c, "name": scen[c].name.model_dump(), "link": scen[c].link, "enterprises": e,
                          "share_in_size": e / size_n[size], "need_score": v}
                         for c, e, v in zip(g["scenario"], g["enterprises"], g["need_score"], strict=True)]
    lost = sorted(zip(unmapped["feed"], unmapped["enterprises"], strict=True), key=lambda fn: (-fn[1], fn[0]))
    return jsonable_dict({
        "enterprises_with_needs": needs["enterprise_id"].nunique(), "scenarios": scenario_rows,
        "links": ranked(jsonable(links), "link"), "by_link": {r["link"]: [
            s["scenario"] for s in scenario_rows if s["link"] == r["link"]][:3] for r in links},
        "by_size": {s: by_size[s] for s in SIZE_ORDER if s in by_size},
        "unmapped": [{"feed": f, "enterprises": n} for f, n in lost],
        "common": [r["scenario"] for r in scenario_rows if r["common"]]})


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
@pytest.mark.parametrize("n", [12, 400])
def test_needs_ranked_in_parts_equal_the_whole_cluster_at_once(n: int, chunk: int) -> None:
    """``rank_needs`` carries a cluster ``chunk`` firms at a time and keeps only tallies: every figure
    equals the one computed from all the cluster's needs at once, for parts of one firm, of a few and of
    the whole cluster (so the snapshot's hash does not depend on the part size)."""
    portraits, tax, feeds = _synthetic(n)
    got = rank_needs(portraits, tax, feeds, common_share=0.4, top=3, chunk_firms=chunk)
    want = _reference_rank(portraits, tax, feeds)
    assert got["scenarios"] and got["links"] and got["by_size"] and got["unmapped"]
    assert {k: got[k] for k in want} == want
    assert got == rank_needs(portraits, tax, feeds, common_share=0.4, top=3, chunk_firms=n)


def test_an_empty_cluster_has_no_needs() -> None:
    empty = build_portraits(pd.DataFrame(columns=ENTERPRISE_COLUMNS), pd.DataFrame(columns=ASSESSMENT_COLUMNS),
                            {}, taxonomy(), primary=questionnaire().code)
    got = rank_needs(empty, taxonomy(), FEEDS)
    assert (got["assessed"], got["scenarios"], got["links"], got["unmapped"]) == (0, [], [], [])


def test_the_columnar_carry_matches_the_frame_joins_on_the_mini_cluster() -> None:
    p = portraits()
    for g, w in zip(_carry(p, taxonomy(), FEEDS), _reference_carry(p, taxonomy(), FEEDS), strict=True):
        _same(g, w)
