"""The programme rules refuse what the notices refuse, and say which rule and which project is in the way."""

from __future__ import annotations

from datetime import date

from diagnostics.pilot import load_targets
from diagnostics.programme.config import ProgrammeRules
from diagnostics.programme.rules import Party, ProjectFacts, check_project, check_replication

SHANDONG = ProgrammeRules()  # the defaults are 工赋百景's (seed 001)
ACME = Party("浪潮工业互联网", provider_id=1)
KILN = Party("景德镇红叶陶瓷", enterprise_id=10, group="红叶集团")


def project(name: str, *parties: Party, year: int = 2025, invest: float | None = 150, pid: int | None = None,
            lead: str = "provider") -> ProjectFacts:
    landing = tuple(p.enterprise_id for p in parties if p.enterprise_id is not None)
    return ProjectFacts(name=name, year=year, lead_kind=lead, parties=parties, planned_investment_10k=invest,
                        started_on=date(year, 3, 1), ends_on=date(year + 1, 2, 28), landing_enterprise_ids=landing,
                        id=pid)


def test_a_second_project_for_a_manufacturer_in_the_same_year_is_refused_with_a_clear_message() -> None:
    first = project("窑炉智能控制", ACME, KILN, pid=1)
    second = project("釉料配方优化", Party("另一服务商", provider_id=2), KILN)
    errors = check_project(second, [first], SHANDONG)
    assert [e.rule for e in errors] == ["one_per_manufacturer"]
    assert errors[0].field == "members"
    assert "景德镇红叶陶瓷" in errors[0].message_zh and "窑炉智能控制" in errors[0].message_zh
    assert "2025" in errors[0].message_zh and "1个项目" in errors[0].message_zh
    assert "at most 1 project" in errors[0].message_en


def test_the_same_manufacturer_may_join_again_the_next_year_and_editing_a_project_does_not_count_itself() -> None:
    first = project("窑炉智能控制", ACME, KILN, pid=1)
    assert check_project(project("釉料配方优化", ACME, KILN, year=2026), [first], SHANDONG) == []
    assert check_project(project("窑炉智能控制（修改）", ACME, KILN, pid=1), [first], SHANDONG) == []


def test_a_provider_may_lead_three_projects_a_year_not_four() -> None:
    existing = [project(f"项目{k}", ACME, Party(f"企业{k}", enterprise_id=100 + k), pid=k) for k in range(3)]
    errors = check_project(project("第四个", ACME, Party("企业9", enterprise_id=109)), existing, SHANDONG)
    assert [e.rule for e in errors] == ["three_per_provider"]
    assert "浪潮工业互联网" in errors[0].message_zh and "3个项目" in errors[0].message_zh


def test_one_group_has_at_most_five_projects_a_year() -> None:
    existing = [project(f"项目{k}", Party(f"服务商{k}", provider_id=10 + k),
                        Party(f"红叶子公司{k}", enterprise_id=200 + k, group="红叶集团"), pid=k) for k in range(5)]
    errors = check_project(project("第六个", Party("服务商X", provider_id=99), KILN), existing, SHANDONG)
    assert [e.rule for e in errors] == ["five_per_group"]
    assert "红叶集团" in errors[0].message_zh


def test_investment_floor_members_duration_and_landing_site() -> None:
    small = project("小项目", ACME, KILN, invest=80)
    errors = {e.rule: e for e in check_project(small, [], SHANDONG)}
    assert set(errors) == {"min_investment"}
    assert "100万元" in errors["min_investment"].message_zh and "80万元" in errors["min_investment"].message_zh
    crowded = project("大联合体", ACME, KILN, Party("b", provider_id=2), Party("c", provider_id=3))
    assert [e.rule for e in check_project(crowded, [], SHANDONG)] == ["max_members"]
    long = ProjectFacts("两年项目", 2025, "provider", (ACME, KILN), 200, date(2025, 1, 1), date(2026, 12, 31), (10,))
    assert [e.rule for e in check_project(long, [], SHANDONG)] == ["max_duration"]
    nowhere = ProjectFacts("无落地", 2025, "provider", (ACME,), 200)
    assert [e.rule for e in check_project(nowhere, [], SHANDONG)] == ["min_landing"]
    led_by_firm = ProgrammeRules(lead_kinds=("provider",))
    assert [e.rule for e in check_project(project("企业牵头", ACME, KILN, lead="manufacturer"), [], led_by_firm)] \
        == ["lead_kind"]


def test_the_pilot_files_configure_the_rules() -> None:
    jdz = load_targets("jingdezhen-ceramics").programme
    assert jdz.rules.max_projects_per_manufacturer_per_year == 1
    assert jdz.rules.min_investment_10k is None  # Jingdezhen sets no floor: a small project passes
    assert check_project(project("小项目", ACME, KILN, invest=10), [], jdz.rules) == []
    assert {a.metric for a in jdz.acceptance} >= {"participants", "providers", "solutions", "reports"}


def test_the_shandong_file_is_what_the_checker_applies() -> None:
    shandong = load_targets("shandong-gongfu-2024").programme.rules
    first = project("窑炉智能控制", ACME, KILN, pid=1)
    second = project("釉料配方优化", Party("另一服务商", provider_id=2), KILN)
    refused = check_project(second, [first], shandong)
    assert [e.rule for e in refused] == ["one_per_manufacturer"]
    assert refused[0].message_zh == ("制造业企业“景德镇红叶陶瓷”2025年已参加项目“窑炉智能控制”；"
                                     "每家制造业企业每年最多参加1个项目。")
    assert check_project(project("釉料配方优化", ACME, KILN, year=2026), [first], shandong) == []
    small = check_project(project("小项目", ACME, KILN, invest=99), [], shandong)
    assert [e.rule for e in small] == ["min_investment"] and "不少于100万元" in small[0].message_zh
    assert [e.rule for e in check_project(project("企业牵头", ACME, KILN, lead="manufacturer"), [], shandong)] \
        == ["lead_kind"]  # 2024: a provider leads (seed 001 二)
    members = (Party("甲", enterprise_id=11), Party("乙", enterprise_id=12), Party("丙", enterprise_id=13))
    assert "max_members" in {e.rule for e in check_project(project("大联合体", ACME, *members), [], shandong)}


def test_a_replication_deploys_the_projects_own_solution_in_a_new_firm() -> None:
    assert check_replication(5, 5, enterprise_id=3, landed_enterprise_ids=[1, 2]) == []
    assert [e.rule for e in check_replication(5, 6, 3, [1])] == ["other_solution"]
    assert [e.rule for e in check_replication(5, 5, 1, [1])] == ["already_landed"]
    assert [e.rule for e in check_replication(None, 5, 3, [])] == ["no_solution"]
