"""``shuzhen pipeline run`` prints a line per stage and a short summary, not a JSON dump (issue 9)."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

import cli
from cli import StageLinesOnly, summary_lines

SUMMARY = {"score": {"pending": 180, "assessments_written": 180, "batches": 1},
           "clusters": {"jingdezhen-ceramics": {"run_id": 3, "snapshots": {
               "portraits": {"id": 1, "new": True}, "needs": {"id": 2, "new": False}}}},
           "timings": {"score": 2.54, "portraits": 1.7}}


def _record(msg: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("prefect.flow_runs", level, __file__, 1, msg, None, None)


def test_only_stage_lines_and_warnings_pass() -> None:
    keep = StageLinesOnly()
    assert keep.filter(_record("portraits[jingdezhen-ceramics]: 180 of 180 enterprises, snapshot 1"))
    assert keep.filter(_record("score: batch 1/1 done, 180/180 submissions"))
    assert not keep.filter(_record("Beginning subflow run 'handsome-salmon' for flow 'needs'"))
    assert not keep.filter(_record("Finished in state Completed()"))
    assert keep.filter(_record("Finished in state Failed()", logging.ERROR))


def test_summary_is_a_few_readable_lines() -> None:
    lines = summary_lines(SUMMARY)
    assert lines == ["scored: 180 assessments written for 180 pending submissions",
                     "jingdezhen-ceramics: run #3, 2 views (1 changed: portraits)",
                     "seconds per stage: score 2.5, portraits 1.7"]


def test_pipeline_run_prints_the_summary_and_json_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "run_pipeline", lambda cluster=None: SUMMARY)
    monkeypatch.setattr(cli, "quiet_prefect_logs", lambda: None)
    out = CliRunner().invoke(cli.cli, ["pipeline", "run"])
    assert out.exit_code == 0 and out.output.splitlines()[0].startswith("scored: 180") and "{" not in out.output
    dump = CliRunner().invoke(cli.cli, ["pipeline", "run", "--json"])
    assert dump.output.lstrip().startswith("{") and '"assessments_written": 180' in dump.output
