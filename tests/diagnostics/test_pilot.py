"""Pilot target files: the shipped figures match the seed notices; mistakes are reported with a path."""

from __future__ import annotations

from datetime import date

import pytest

from diagnostics.pilot import PilotPeriod, add_months, indicator_table, load_targets, parse_targets, targets_for_cluster
from diagnostics.questionnaire_loader import DefinitionInvalid
from diagnostics.settings import settings
from diagnostics.taxonomy import shipped_taxonomies


def test_jingdezhen_targets_are_the_seed_figures():
    t = load_targets("jingdezhen-ceramics")
    mins = {x.metric: x.min for x in t.targets if x.min is not None}
    assert mins["scenarios"] == 21 and mins["element_types"] == 55 and mins["enterprises"] == 30
    assert mins["chain_leader_share"] == 0.10 and mins["providers"] == 12 and mins["solutions"] == 22
    assert t.shortlist.size == 30 and t.shortlist.min_chain_leader_share == 0.10
    assert t.taxonomy == "ceramics" and t.taxonomy in shipped_taxonomies()
    assert all(x.source for x in t.targets if x.min is not None)  # every promised figure says where it is from


def test_shaoguan_targets():
    t = load_targets("shaoguan-nonferrous")
    mins = {x.metric: x.min for x in t.targets if x.min is not None}
    # guide 5.(1): 15 firms diagnosed; 5.(2): 10 firms transformed (participants, recorded by the programme)
    assert mins["diagnosed_enterprises"] == 15 and mins["enterprises"] == 10 and mins["solutions"] == 3
    assert t.shortlist.size == 10


def test_errors_name_the_file_and_path():
    text = """
code: p
title: 试点
taxonomy: ceramics
questionnaire: q
targets:
  - {metric: scenarioz, min: 21}
  - {metric: coverage, min: 80}
shortlist:
  size: 5
  min_per_size: {huge: 1}
colour: red
"""
    with pytest.raises(DefinitionInvalid) as exc:
        parse_targets(text, "p.yaml")
    found = {(e.file, e.path) for e in exc.value.errors}
    assert found == {("p.yaml", "targets[0]"), ("p.yaml", "targets[1]"), ("p.yaml", "shortlist"),
                     ("p.yaml", "colour")}
    messages = " | ".join(e.message for e in exc.value.errors)
    assert "unknown metric 'scenarioz'" in messages and "write 0.1 for 10 %" in messages
    assert "unknown size class(es) huge" in messages and "unknown field" in messages


def test_size_minimums_cannot_exceed_the_list():
    text = ("code: p\ntitle: t\ntaxonomy: x\nquestionnaire: q\n"
            "shortlist: {size: 3, min_per_size: {small: 2, large: 2}}\n")
    with pytest.raises(DefinitionInvalid, match="adds up to 4, more than size 3"):
        parse_targets(text, "p.yaml")


def test_indicator_table_status_and_order():
    t = parse_targets("code: p\ntitle: t\ntaxonomy: x\nquestionnaire: q\nshortlist: {size: 3}\ntargets:\n"
                      "  - {metric: coverage, min: 1.0}\n  - {metric: scenarios, min: 21}\n  - {metric: providers}\n",
                      "p.yaml")
    rows = indicator_table(t, {"scenarios": 21, "coverage": 0.875, "solutions": 4})
    assert [(r["metric"], r["value"], r["target"], r["status"]) for r in rows] == [
        ("coverage", 0.875, 1.0, "not_met"), ("scenarios", 21, 21, "met"), ("providers", None, None, "no_data"),
        ("solutions", 4, None, "no_target")]
    providers = rows[2]
    assert providers["value_text"] == {"zh": "暂无数据", "en": "no data"}
    assert all(r["counts"]["zh"] for r in rows)  # every metric says what it counts


def test_the_pilot_period_gives_the_deadline_in_a_stated_order():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)  # the 31st of a shorter month: its last day
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 14) == date(2027, 1, 15)
    first_project = date(2025, 3, 1)
    assert PilotPeriod().due(first_project) == (None, "none")  # no length: no deadline, whatever was recorded
    assert PilotPeriod(months=12).due(None) == (None, "none")
    assert PilotPeriod(months=12).due(first_project) == (date(2026, 3, 1), "first_project")
    assert PilotPeriod(months=12, start=date(2024, 7, 1)).due(first_project) == (date(2025, 7, 1), "start")
    assert PilotPeriod(months=12, start=date(2024, 7, 1), deadline=date(2026, 3, 31)).due(first_project) == (
        date(2026, 3, 31), "file")
    # the shipped pilots: Shaoguan's guide gives a one-year cultivation period, Jingdezhen's a two-year budget
    assert load_targets("shaoguan-nonferrous").period.months == 12
    assert load_targets("jingdezhen-ceramics").period.months == 24
    with pytest.raises(DefinitionInvalid, match="period.months"):
        parse_targets("code: p\ntitle: t\ntaxonomy: x\nquestionnaire: q\nshortlist: {size: 3}\n"
                      "period: {months: 0}\n", "p.yaml")


def test_shandong_is_a_province_wide_programme_file_with_the_notices_rules():
    t = load_targets("shandong-gongfu-2024")
    assert t.scope == "province" and t.taxonomy is None and t.shortlist is None and t.targets == []
    rules = t.programme.rules
    # seed 001 二 and 二.(四), 三.(二), 三.(四): 1 per manufacturer, 3 per provider, 5 per group, ≥ 100万元,
    # a provider leads, acceptance at half-year and one year
    assert (rules.max_projects_per_manufacturer_per_year, rules.max_projects_per_provider_per_year,
            rules.max_projects_per_group_per_year, rules.min_investment_10k) == (1, 3, 5, 100)
    assert rules.lead_kinds == ("provider",) and rules.acceptance_checkpoints == ("half_year", "one_year")
    with pytest.raises(DefinitionInvalid, match="province-wide programme"):
        targets_for_cluster("shandong-gongfu-2024")  # no taxonomy, map or shortlist to run a cluster on


def test_a_cluster_file_needs_its_taxonomy_and_shortlist_and_a_province_file_has_neither():
    with pytest.raises(DefinitionInvalid, match="needs taxonomy and shortlist"):
        parse_targets("code: p\ntitle: t\nquestionnaire: q\n", "p.yaml")
    with pytest.raises(DefinitionInvalid, match="has no shortlist or cluster targets"):
        parse_targets("code: p\nscope: province\ntitle: t\nquestionnaire: q\nshortlist: {size: 3}\n", "p.yaml")
    assert parse_targets("code: p\nscope: province\ntitle: t\nquestionnaire: q\n", "p.yaml").programme.rules


def test_a_cluster_inside_the_province_programme_follows_its_rules(tmp_path, monkeypatch):
    shipped = settings.questionnaire_dir / "targets"
    (tmp_path / "targets").mkdir()
    for name in ("shandong-gongfu-2024.yaml", "jingdezhen-ceramics.yaml"):
        (tmp_path / "targets" / name).write_text((shipped / name).read_text(encoding="utf-8"), encoding="utf-8")
    cluster_file = ("code: {code}\ntitle: 淄博陶瓷集群\ntaxonomy: ceramics\nquestionnaire: sme-digital-2024-mfg\n"
                    "shortlist: {{size: 10}}\nprogramme_from: {source}\n")
    (tmp_path / "targets" / "zibo-ceramics.yaml").write_text(
        cluster_file.format(code="zibo-ceramics", source="shandong-gongfu-2024"), encoding="utf-8")
    (tmp_path / "targets" / "wrong.yaml").write_text(
        cluster_file.format(code="wrong", source="jingdezhen-ceramics"), encoding="utf-8")
    monkeypatch.setattr(settings, "questionnaire_dir", tmp_path)
    load_targets.cache_clear()
    try:
        zibo = targets_for_cluster("zibo-ceramics")
        assert zibo.programme == load_targets("shandong-gongfu-2024").programme
        assert zibo.programme.rules.min_investment_10k == 100 and zibo.quotas.size == 10
        with pytest.raises(DefinitionInvalid, match="not a province-wide programme file"):
            targets_for_cluster("wrong")
    finally:
        load_targets.cache_clear()
