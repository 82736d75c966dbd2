"""The browser's skip logic (static/skip.js on the compiled JSON trees) agrees with the server's."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from diagnostics.answers import visible_questions
from diagnostics.field.skip_ast import skip_program
from diagnostics.questionnaire_loader import load_file

ROOT = Path(__file__).resolve().parents[2]
SKIP_JS = ROOT / "survey_app" / "static" / "skip.js"
MINI = ROOT / "tests" / "survey_app" / "fixtures" / "questionnaires" / "mini.yaml"
SME = ROOT / "questionnaires" / "sme-digital-2024-mfg.yaml"

RUNNER = """
const skip = require(process.argv[1]);
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(input.answers.map(a => skip.visible(input.program, a))));
"""

MINI_ANSWERS: list[dict[str, Any]] = [
    {}, {"has_erp": True}, {"has_erp": False, "erp_years": 3}, {"devices": 10}, {"devices": 0, "devices_online": 0},
    {"devices": 10, "devices_online": 5, "has_erp": True, "net": ["A", "B"]}, {"devices": "12"}, {"net": ["N"]},
]


def _browser_visible(program: dict[str, Any], answers: list[dict[str, Any]]) -> list[set[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    out = subprocess.run([node, "-e", RUNNER, str(SKIP_JS)], input=json.dumps({"program": program, "answers": answers}),
                         capture_output=True, text=True, check=True, timeout=30)
    return [set(v) for v in json.loads(out.stdout)]


def _answer_sets(q: Any) -> list[dict[str, Any]]:
    """Every question answered with its first, then its last option or a small and a large number."""
    sets: list[dict[str, Any]] = [{}]
    for pick in (0, -1):
        answers: dict[str, Any] = {}
        for qq in q.questions():
            if qq.formula:
                continue
            if qq.type in ("single",):
                answers[qq.id] = qq.options[pick].code
            elif qq.type == "level":
                answers[qq.id] = int(qq.options[pick].code)
            elif qq.type == "multi":
                answers[qq.id] = [qq.options[pick].code]
            elif qq.type == "yesno":
                answers[qq.id] = pick == 0
            elif qq.type == "number":
                answers[qq.id] = 0 if pick == 0 else 50
        sets.append(answers)
    return sets


@pytest.mark.parametrize("path", [MINI, SME], ids=["mini", "sme"])
def test_browser_and_server_show_the_same_questions(path: Path) -> None:
    q = load_file(path).definition
    answers = (MINI_ANSWERS if path == MINI else []) + _answer_sets(q)
    program = json.loads(json.dumps(skip_program(q)))  # what the page carries
    browser = _browser_visible(program, answers)
    server = [visible_questions(q, a) for a in answers]
    assert browser == server
    assert len({frozenset(s) for s in server}) > 1  # the answer sets do switch questions on and off
    if path == MINI:
        assert "erp_years" in browser[1] and "erp_years" not in browser[2]
        assert "devices_online" in browser[3] and "devices_online" not in browser[4]
