"""Shipped definitions load and are consistent; malformed ones are refused with precise locations."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from diagnostics.questionnaire_loader import FAST_LOADER, DefinitionInvalid, load_all, parse_text, shipped_files
from diagnostics.taxonomy import ELEMENT_KINDS, load_taxonomy, shipped_taxonomies

MINI: dict[str, Any] = {
    "code": "mini", "version": "1", "title": {"zh": "迷你", "en": "Mini"}, "max_score": 10,
    "dimensions": [{
        "code": "base", "title": "基础", "max_points": 10,
        "indicators": [{
            "code": "net", "title": "网络", "max_points": 10,
            "questions": [
                {"id": "q1", "type": "multi", "text": "网络", "options": [
                    {"code": "A", "label": "有线", "points": 5}, {"code": "B", "label": "无线", "points": 5}]},
                {"id": "q2", "type": "number", "text": "设备数", "relevant": "selected(q1, 'A')",
                 "bands": [{"min": 0, "max": 10, "points": 0}]},
            ],
        }],
    }],
    "levels": [{"level": 1, "name": "一级", "min_score": 5}],
}


def errors_of(data: dict) -> list[str]:
    with pytest.raises(DefinitionInvalid) as exc:
        parse_text(yaml.safe_dump(data, allow_unicode=True), "bad.yaml")
    return [str(e) for e in exc.value.errors]


def test_every_shipped_questionnaire_loads() -> None:
    files = shipped_files()
    assert {p.name for p in files} >= {"sme-digital-2024-mfg.yaml"}
    found = load_all()
    assert set(found) >= {"sme-digital-2024-mfg", "ceramics-module", "nonferrous-module"}
    for loaded in found.values():
        assert len(loaded.content_hash) == 64
        assert loaded.definition.levels


def test_sme_table_structure_is_the_2024_manufacturing_table() -> None:
    sme = load_all()["sme-digital-2024-mfg"].definition
    scored = {d.code: d.max_points for d in sme.dimensions if d.scored}
    assert scored == {"foundation": 50, "management": 30, "results": 20}
    scen = sme.scenario_questions()
    assert len(scen) == 16 and sum(s.binding for s in scen) == 10
    assert {lv.level: lv.min_score for lv in sme.levels} == {1: 20, 2: 40, 3: 60, 4: 80}
    assert sme.source is not None and sme.source.reconstructed  # honest about reconstructed figures


def test_taxonomies_reach_the_pilot_scale() -> None:
    assert set(shipped_taxonomies()) >= {"ceramics", "nonferrous"}
    ceramics = load_taxonomy("ceramics")
    assert len([s for s in ceramics.scenarios if s.typical]) >= 21
    assert ceramics.element_type_count() >= 55
    assert {a.code for a in ceramics.activities} >= {"rd_design", "production", "om_service", "management",
                                                     "supply_chain"}
    for kind in ELEMENT_KINDS:
        assert ceramics.elements(kind), kind
    assert len(load_taxonomy("nonferrous").scenarios) >= 21


def test_every_feed_resolves_to_taxonomy_scenarios() -> None:
    found = load_all()
    for loaded in found.values():
        q = loaded.definition
        taxonomies = [q.taxonomy] if q.taxonomy else ["ceramics", "nonferrous"]
        for code in taxonomies:
            tax = load_taxonomy(code)
            for ind in q.indicators():
                for feed in ind.feeds:
                    assert tax.scenarios_for(feed), f"{q.code}: {ind.code} feeds '{feed}' unknown to {code}"


def test_content_hash_ignores_formatting_but_not_content() -> None:
    text = yaml.safe_dump(MINI, allow_unicode=True)
    a = parse_text(text)
    b = parse_text("# a comment\n" + yaml.safe_dump(MINI, allow_unicode=True, indent=4))
    assert a.content_hash == b.content_hash
    changed = copy.deepcopy(MINI)
    changed["dimensions"][0]["indicators"][0]["questions"][0]["options"][0]["points"] = 4
    changed["dimensions"][0]["indicators"][0]["questions"][0]["options"][1]["points"] = 6
    assert parse_text(yaml.safe_dump(changed, allow_unicode=True)).content_hash != a.content_hash


def test_duplicate_option_codes_are_located() -> None:
    bad = copy.deepcopy(MINI)
    bad["dimensions"][0]["indicators"][0]["questions"][0]["options"][1]["code"] = "A"
    assert errors_of(bad) == ["bad.yaml: dimensions[0].indicators[0].questions[0]: duplicate option code(s): A"]


def test_unknown_field_and_missing_field_are_named() -> None:
    bad = copy.deepcopy(MINI)
    del bad["dimensions"][0]["indicators"][0]["title"]
    bad["dimensions"][0]["indicators"][0]["titel"] = "typo"
    errs = errors_of(bad)
    assert "bad.yaml: dimensions[0].indicators[0].title: required field is missing" in errs
    assert "bad.yaml: dimensions[0].indicators[0].titel: unknown field (misspelt?)" in errs


def test_bad_expression_and_unknown_question_are_located() -> None:
    bad = copy.deepcopy(MINI)
    bad["dimensions"][0]["indicators"][0]["questions"][1]["relevant"] = "__import__('os').system('ls')"
    errs = errors_of(bad)
    assert len(errs) == 1 and errs[0].startswith("bad.yaml: dimensions[0].indicators[0].questions[1].relevant:")
    bad["dimensions"][0]["indicators"][0]["questions"][1]["relevant"] = "q9 == 'A'"
    assert "unknown question id(s): q9" in errors_of(bad)[0]


def test_points_that_do_not_add_up_are_refused() -> None:
    bad = copy.deepcopy(MINI)
    bad["dimensions"][0]["indicators"][0]["max_points"] = 12
    errs = errors_of(bad)
    assert any("indicators[0].max_points: max_points is 12 but its questions can give at most 10" in e for e in errs)
    assert any("dimensions[0].max_points: max_points is 10 but its indicators add up to 12" in e for e in errs)


def test_gate_must_name_a_real_indicator_and_bands_must_not_overlap() -> None:
    bad = copy.deepcopy(MINI)
    bad["levels"][0]["gates"] = [{"id": "g1", "kind": "indicator", "code": "nope", "at_least": 1}]
    bad["dimensions"][0]["indicators"][0]["questions"][1]["bands"] = [
        {"min": 0, "max": 10, "points": 0}, {"min": 5, "max": 20, "points": 0}]
    errs = errors_of(bad)
    assert any(e.startswith("bad.yaml: dimensions[0].indicators[0].questions[1].bands:") and "overlap" in e
               for e in errs)


def test_gate_reference_error_path() -> None:
    bad = copy.deepcopy(MINI)
    bad["levels"][0]["gates"] = [{"id": "g1", "kind": "indicator", "code": "nope", "at_least": 1}]
    assert errors_of(bad) == ["bad.yaml: levels[0].gates[0].code: no indicator 'nope'"]


def test_wrong_type_for_question_is_explained() -> None:
    bad = copy.deepcopy(MINI)
    bad["dimensions"][0]["indicators"][0]["questions"][0]["type"] = "rating"
    errs = errors_of(bad)
    assert errs[0].startswith("bad.yaml: dimensions[0].indicators[0].questions[0].type:")


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    with pytest.raises(DefinitionInvalid) as exc:
        parse_text("code: x\nversion: [1\n", "broken.yaml")
    assert "line" in exc.value.errors[0].path
    assert exc.value.errors[0].path == "line 3, column 1"
    assert exc.value.errors[0].message.startswith("YAML syntax: expected ',' or ']'")


def test_every_definition_file_reads_the_same_through_the_fast_yaml_loader() -> None:
    """libyaml's loader must give what the pure-Python safe loader gives, or a definition would change
    its content hash (and its stored versions) depending on how PyYAML was built."""
    root = Path(__file__).resolve().parents[2] / "questionnaires"
    files = sorted(root.rglob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=FAST_LOADER) == yaml.safe_load(text), path.name  # noqa: S506
