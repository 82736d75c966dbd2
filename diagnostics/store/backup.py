"""Backup and restore of the database and the files beside it (reports, uploaded evidence).

A backup is a folder::

    OUT/manifest.json        what is inside: tables and row counts, every file with its SHA-256
    OUT/database.sqlite      SQLite: a copy made with SQLite's online backup API (consistent while
                             the app and the flows keep writing)
    OUT/tables/<name>.jsonl  PostgreSQL: every table, one JSON row per line, read in one REPEATABLE READ
                             transaction (one consistent snapshot, no pg_dump needed, restorable into
                             either backend)
    OUT/files/<folder>/...   the report and upload folders (unfinished ``.tmp`` files are skipped)

``restore`` puts a backup back: a SQLite copy over a SQLite database (online backup API again), or the
table dump into a freshly migrated database of either kind, with PostgreSQL sequences moved past the
restored ids; then the folders.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, LargeBinary, Table, delete, insert, select, text
from sqlalchemy.types import Date, DateTime

from diagnostics.store.db import make_engine, upgrade
from diagnostics.store.models import Base

FORMAT = 1


@dataclass
class BackupReport:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0


def _sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _encode(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decode(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for column in table.columns:
        value = out.get(column.name)
        if value is None:
            continue
        if isinstance(column.type, DateTime):
            out[column.name] = datetime.fromisoformat(value)
        elif isinstance(column.type, Date):
            out[column.name] = date.fromisoformat(value)
        elif isinstance(column.type, LargeBinary):
            out[column.name] = base64.b64decode(value)
    return out


def _copy_folders(folders: dict[str, Path], target: Path) -> dict[str, dict[str, str]]:
    listing: dict[str, dict[str, str]] = {}
    for name, folder in folders.items():
        listing[name] = {}
        if not folder.is_dir():
            continue
        for source in sorted(folder.rglob("*")):
            if not source.is_file() or source.suffix == ".tmp" or source.name.startswith("~$"):
                continue  # a workbook being written is not part of a consistent backup
            relative = source.relative_to(folder).as_posix()
            destination = target / name / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
            listing[name][relative] = _sha256(destination)
    return listing


def backup(url: str, out: str | Path, folders: dict[str, Path]) -> BackupReport:
    """Write a backup of the database at ``url`` and of ``folders`` into the new folder ``out``."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    report = BackupReport(out)
    engine = make_engine(url)
    backend = engine.dialect.name
    try:
        if engine.dialect.name == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(out / "database.sqlite")
            try:
                source.backup(target)  # the online backup API: a consistent copy while others write
            finally:
                target.close()
                source.close()
            copy = make_engine(f"sqlite:///{out / 'database.sqlite'}")
            report.tables = _counts(copy)
            copy.dispose()
        else:
            report.tables = _dump_tables(engine, out / "tables")
    finally:
        engine.dispose()
    files = _copy_folders(folders, out / "files")
    report.files = sum(len(v) for v in files.values())
    report.bytes = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    manifest = {"format": FORMAT, "backend": backend, "created": datetime.now().isoformat(),
                "tables": report.tables, "files": files}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return report


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: int(conn.scalar(select(text("count(*)")).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables}


def _dump_tables(engine: Engine, folder: Path) -> dict[str, int]:
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        for table in Base.metadata.sorted_tables:  # one snapshot for every table
            n = 0
            with (folder / f"{table.name}.jsonl").open("w", encoding="utf-8") as fh:
                primary = list(table.primary_key.columns)
                for row in conn.execute(select(table).order_by(*primary)).mappings():
                    fh.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")
                    n += 1
            counts[table.name] = n
    return counts


def restore(url: str, source: str | Path, folders: dict[str, Path]) -> BackupReport:
    """Replace the database at ``url`` and the contents of ``folders`` with the backup in ``source``."""
    source = Path(source)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{source}: unknown backup format {manifest.get('format')!r}")
    report = BackupReport(source, tables=dict(manifest["tables"]))
    engine = make_engine(url)
    try:
        if (source / "database.sqlite").exists() and engine.dialect.name == "sqlite":
            engine.dispose()
            backup_file = sqlite3.connect(source / "database.sqlite")
            target = sqlite3.connect(_sqlite_path(url))
            try:
                backup_file.backup(target)
            finally:
                target.close()
                backup_file.close()
        else:
            tables = source / "tables"
            if not tables.is_dir():  # a SQLite backup restored into PostgreSQL: read the copy's tables
                copy = make_engine(f"sqlite:///{source / 'database.sqlite'}")
                _dump_tables_sqlite(copy, tables := source / ".tables")
                copy.dispose()
            _load_tables(url, engine, tables)
    finally:
        engine.dispose()
    for name, folder in folders.items():
        saved = source / "files" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if saved.is_dir():
            shutil.copytree(saved, folder, dirs_exist_ok=True)
        report.files += len(manifest["files"].get(name, {}))
    return report


def _dump_tables_sqlite(engine: Engine, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            with (folder / f"{table.name}.jsonl").open("w", encoding="utf-8") as fh:
                for row in conn.execute(select(table)).mappings():
                    fh.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) + "\n")


def _load_tables(url: str, engine: Engine, folder: Path) -> None:
    upgrade(url)  # the schema comes from the migrations, as always
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))
        for table in Base.metadata.sorted_tables:
            path = folder / f"{table.name}.jsonl"
            if not path.exists():
                continue
            batch: list[dict[str, Any]] = []
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    batch.append(_decode(table, json.loads(line)))
                    if len(batch) >= 1000:
                        conn.execute(insert(table), batch)
                        batch = []
            if batch:
                conn.execute(insert(table), batch)
        if engine.dialect.name == "postgresql":  # the next id after the restored ones
            for table in Base.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and pk[0].type.python_type is int:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                        f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))
