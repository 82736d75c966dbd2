"""The ``shuzhen`` command line (also ``flask --app survey_app ...``, through the ``flask.commands`` entry
points in ``pyproject.toml``), for bureaus that run a census by spreadsheet and for operators.

Exit codes are meant for scripts: 0 when everything worked, 1 when some input was refused (the refused
items are listed on stderr with their place), 2 for usage errors (click's own).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import click

from diagnostics.census import score_census, write_scores
from diagnostics.census_template import write_template
from diagnostics.questionnaire_loader import DefinitionInvalid, load_all, load_file, resolve
from diagnostics.settings import settings
from diagnostics.store import backup
from diagnostics.store import roster as roster_store
from diagnostics.store.db import downgrade, session_scope, upgrade
from diagnostics.store.demo_data import DEMO_PASSWORD, seed_demo
from flows.trigger import run_pipeline


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@click.group(help="Shuzhen (数诊): enterprise digital-maturity diagnostics. 企业数字化水平诊断平台。")
def cli() -> None:
    pass


# ------------------------------------------------------------------ questionnaires


@cli.group(help="Questionnaire definitions (questionnaires/*.yaml). 问卷定义。")
def questionnaire() -> None:
    pass


@questionnaire.command("check", help="Validate definition files; exit 1 listing every error.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def questionnaire_check(files: tuple[str, ...]) -> None:
    bad = 0
    for file in files:
        try:
            loaded = load_file(file)
        except DefinitionInvalid as exc:
            bad += 1
            for error in exc.errors:
                click.echo(str(error), err=True)
            continue
        n = len(loaded.definition.questions())
        click.echo(f"{file}: OK  {loaded.ref}  ({n} questions)")
    if bad:
        sys.exit(1)


@questionnaire.command("list", help="List the shipped questionnaires.")
def questionnaire_list() -> None:
    try:
        found = load_all()
    except DefinitionInvalid as exc:
        _fail(str(exc))
    for code, loaded in sorted(found.items()):
        q = loaded.definition
        click.echo(f"{code}\t{q.version}\t{loaded.content_hash[:12]}\t{len(q.questions())} questions\t{q.title.zh}")


@questionnaire.command("show", help="Show the normalised definition of CODE (or a file).")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON for other tools.")
def questionnaire_show(code: str, as_json: bool) -> None:
    try:
        loaded = resolve(code)
    except DefinitionInvalid as exc:
        _fail(str(exc))
    q = loaded.definition
    if as_json:
        payload: dict[str, Any] = {"code": q.code, "version": q.version, "content_hash": loaded.content_hash,
                                   "definition": q.model_dump(mode="json", exclude_none=True)}
        payload["questions"] = [
            {"id": qq.id, "type": qq.type, "text": qq.text.zh, "required": qq.required, "relevant": qq.relevant,
             "options": [{"code": o.code, "label": o.label.zh, "points": o.points} for o in qq.options],
             "bands": [b.model_dump(exclude_none=True) for b in qq.bands], "unit": qq.unit.zh if qq.unit else None,
             "formula": qq.formula, "max_points": qq.max_possible()}
            for qq in q.questions()]
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{q.title.zh}  {loaded.ref}")
    for dim in q.dimensions:
        weight = f"max {dim.max_points:g}" if dim.scored else "不计分"
        click.echo(f"  {dim.code}  {dim.title.zh}  ({weight})")
        for ind in dim.indicators:
            click.echo(f"    {ind.code}  {ind.title.zh}  max {ind.max_points:g} × {ind.weight:g}")
            for qq in ind.questions:
                click.echo(f"      {qq.id} [{qq.type}] {qq.text.zh}")
    for lv in sorted(q.levels, key=lambda v: v.level):
        gates = "; ".join(g.description.zh if g.description else g.id for g in lv.gates)
        click.echo(f"  level {lv.level}: ≥ {lv.min_score:g}" + (f"  gates: {gates}" if gates else ""))


@questionnaire.command("template", help="Write the census workbook (answers + codebook) for CODE.")
@click.argument("code")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
def questionnaire_template(code: str, out: str) -> None:

    try:
        loaded = resolve(code)
    except DefinitionInvalid as exc:
        _fail(str(exc))
    path = write_template(loaded.definition, out)
    click.echo(f"wrote {path}")


# ------------------------------------------------------------------ census scoring


@cli.command("score", help="Score a census file: one row per enterprise in, one row out.")
@click.option("--questionnaire", "questionnaire_ref", required=True, help="Shipped code or a definition file.")
@click.option("--answers", "answers_path", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
def score_cmd(questionnaire_ref: str, answers_path: str, out: str) -> None:

    try:
        loaded = resolve(questionnaire_ref)
        result = score_census(loaded.definition, answers_path)
    except DefinitionInvalid as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(str(exc))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in result.errors:
        click.echo(str(error), err=True)
    for clipped in write_scores(result.scored, out):
        click.echo(f"warning: {clipped.message()}", err=True)
    rejected = len({e.row for e in result.errors})
    click.echo(f"scored {len(result.scored)} rows with {loaded.ref}, rejected {rejected}; wrote {out}", err=True)
    if rejected:
        sys.exit(1)


# ------------------------------------------------------------------ database and demo


@cli.group(help="Database schema (Alembic). 数据库。")
def db() -> None:
    pass


@db.command("upgrade", help="Migrate the database at DATABASE_URL to the newest schema.")
@click.option("--revision", default="head")
def db_upgrade(revision: str) -> None:

    upgrade(settings.database_url, revision)
    click.echo(f"database at {_redact(settings.database_url)} is at {revision}")


@db.command("downgrade", help="Step the schema back (default: to empty).")
@click.option("--revision", default="base")
def db_downgrade(revision: str) -> None:

    downgrade(settings.database_url, revision)
    click.echo(f"database downgraded to {revision}")


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _file_folders() -> dict[str, Path]:
    """The folders a backup carries beside the database (add evidence uploads here when they land)."""
    return {"reports": settings.report_dir}


@cli.command("backup", help="Back up the database and the report folder into the new folder OUT "
                            "(consistent while the app runs). 备份数据库与文件。")
@click.argument("out", type=click.Path(file_okay=False))
def backup_cmd(out: str) -> None:
    try:
        report = backup.backup(settings.database_url, out, _file_folders())
    except FileExistsError as exc:
        _fail(str(exc))
    rows = sum(report.tables.values())
    click.echo(f"backed up {_redact(settings.database_url)}: {len(report.tables)} tables, {rows} rows, "
               f"{report.files} files, {report.bytes / 1e6:.1f} MB -> {report.path}", err=True)


@cli.command("restore", help="Replace the database and the report folder with the backup IN. 从备份恢复。")
@click.argument("source", metavar="IN", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the current data.")
def restore_cmd(source: str, yes: bool) -> None:
    if not (Path(source) / "manifest.json").exists():
        _fail(f"{source}: not a Shuzhen backup (no manifest.json)")
    if not yes:
        click.confirm(f"Replace every table of {_redact(settings.database_url)} and the report folder "
                      f"with {source}?", abort=True)
    report = backup.restore(settings.database_url, source, _file_folders())
    click.echo(f"restored {len(report.tables)} tables, {sum(report.tables.values())} rows, {report.files} files "
               f"from {source}", err=True)


@cli.command("demo", help="Seed a deterministic synthetic cluster (demo logins use password shuzhen-demo).")
@click.option("--enterprises", default=300, show_default=True, type=click.IntRange(1, 200_000))
@click.option("--seed", default=0, show_default=True, type=int)
def demo_cmd(enterprises: int, seed: int) -> None:
    # the web app takes ~1.5 s to import and only this command needs its password hashing
    from survey_app.accounts.passwords import hash_password  # noqa: PLC0415

    with session_scope() as session:
        summary = seed_demo(session, enterprises=enterprises, seed=seed, password_hasher=hash_password)
    if not summary.get("created"):
        click.echo(summary.get("message", "nothing to do"))
        return
    click.echo(f"seeded {summary['enterprises']} enterprises, {summary['submissions']} submissions, "
               f"{summary['users']} users")
    click.echo(f"logins (password {DEMO_PASSWORD}): admin, viewer, commissioner, enterprise1..3")


# ------------------------------------------------------------------ roster


@cli.command("import-enterprises", help="Import a bureau roster (CSV/XLSX); bad rows are listed, good rows import.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--cluster", "cluster_code", default=None, help="Cluster code the enterprises belong to.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def import_enterprises(file: str, cluster_code: str | None, dry_run: bool) -> None:
    with open(file, "rb") as handle:
        data = handle.read()
    name = file.rsplit("/", 1)[-1]
    with session_scope() as session:
        try:
            prev = roster_store.preview(session, data, name, cluster_code=cluster_code)
        except LookupError as exc:
            _fail(str(exc))
            return
        plan = prev.plan
        for error in plan.errors:
            click.echo(str(error), err=True)
        for planned in plan.rows:
            if planned.action == "update":
                fields = ", ".join(f"{c.field}: {c.old!r} -> {c.new!r}" for c in planned.changes)
                click.echo(f"row {planned.row.row} {planned.row.uscc} update: {fields}")
        counts = (f"create {plan.count('create')}, update {plan.count('update')}, unchanged {plan.count('unchanged')}, "
                  f"refused {len({e.row for e in plan.errors})}, skipped {len(plan.skipped)}")
        if dry_run:
            session.rollback()
            click.echo(f"dry run: would {counts}")
        else:
            record = roster_store.apply(session, prev, filename=name, actor="cli:import-enterprises")
            click.echo(f"import #{record.id}: {counts}")
    if plan.errors:
        sys.exit(1)


# ------------------------------------------------------------------ pipeline


@cli.group(help="The cluster pipeline (Prefect flows). 集群分析流水线。")
def pipeline() -> None:
    pass


_STAGE_LINE = re.compile(r"^(score|pipeline|[a-z_]+\[[^\]]+\]):")  # the stages' own progress lines (flows' runner.log)


class WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


class StageLinesOnly(logging.Filter):
    """Let through a flow's progress line per stage and any warning; drop Prefect's per-run chatter
    ("Beginning subflow run", "Finished in state Completed()", "View at ...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or bool(_STAGE_LINE.match(str(record.msg)))


def quiet_prefect_logs() -> None:
    """``make run`` output a person can read: task logs at WARNING, flow logs reduced to stage lines."""
    import prefect  # noqa: F401, PLC0415  (Prefect configures its loggers on import; adjust them after)

    task_runs = logging.getLogger("prefect.task_runs")
    task_runs.setLevel(logging.WARNING)
    if not any(isinstance(f, WarningsOnly) for f in task_runs.filters):
        task_runs.addFilter(WarningsOnly())  # Prefect may reset the level when a run starts; a filter stays
    for name in ("prefect.flow_runs", "prefect.flow_engine", "prefect.task_engine"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, StageLinesOnly) for f in logger.filters):
            logger.addFilter(StageLinesOnly())
    for name in ("prefect.server", "prefect.client", "prefect._internal", "uvicorn", "httpx", "docket"):
        logging.getLogger(name).setLevel(logging.WARNING)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The run's result in a few lines: what was scored, each cluster's run, how long each stage took."""
    scored = summary.get("score") or {}
    lines = [f"scored: {scored.get('assessments_written', 0)} assessments written "
             f"for {scored.get('pending', 0)} pending submissions"]
    for code, info in (summary.get("clusters") or {}).items():
        snaps = info.get("snapshots") or {}
        new = sorted(k for k, v in snaps.items() if v.get("new"))
        lines.append(f"{code}: run #{info.get('run_id')}, {len(snaps)} views"
                     + (f" ({len(new)} changed: {', '.join(new)})" if new else " (nothing changed)"))
    timings = summary.get("timings") or {}
    if timings:
        lines.append("seconds per stage: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return lines


@pipeline.command("run", help="Run the whole pipeline now (embedded Prefect unless PREFECT_API_URL is set).")
@click.option("--cluster", default=None, help="Cluster code; all clusters when omitted.")
@click.option("--json", "as_json", is_flag=True, help="Print the full run summary as JSON (for scripts).")
@click.option("--verbose", is_flag=True, help="Keep Prefect's own INFO logs (every task run).")
def pipeline_run(cluster: str | None, as_json: bool, verbose: bool) -> None:
    if not verbose:
        quiet_prefect_logs()
    summary = run_pipeline(cluster)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))
        return
    for line in summary_lines(summary):
        click.echo(line)


def main() -> None:
    cli(prog_name="shuzhen")


if __name__ == "__main__":
    main()

