"""Bulk reads and writes below the ORM: raw JSON text in, COPY / executemany out.

At 100 000 rows the ORM's per-row work (building objects, a ``json.dumps`` per JSON column per row
through the type's bind processor, compiling parameters) costs more than the scoring itself. Here JSON
columns travel as text: read with a ``CAST(... AS TEXT)`` and decoded by ``orjson`` (a C parser, several
times faster than ``json``); written as text serialised once by ``orjson`` and handed to the driver.
PostgreSQL gets ``COPY ... FROM STDIN`` (psycopg 3), the fastest way into a table; SQLite gets one
DBAPI ``executemany``. Both run on the session's own connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Table, Text, cast
from sqlalchemy.orm import Session


def json_text(column: Any) -> Any:
    """A JSON column selected as its text (labelled with the column's name), for ``loads``: the column
    type's own result processor would run the stdlib ``json.loads`` on every value."""
    return cast(column, Text).label(column.key)


def loads(text: str | bytes | None) -> Any:
    """One JSON value (``None`` for SQL NULL)."""
    return None if text is None else orjson.loads(text)


def dumps(value: Any) -> str:
    """JSON text for a JSON column (compact; NaN becomes null, as the column cannot hold it anyway)."""
    return orjson.dumps(value).decode()


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order; JSON columns already as text); returns the count.

    PostgreSQL: ``COPY`` in text format, which parses JSON text into ``jsonb`` server-side. Others:
    ``executemany`` of one parameterised INSERT.
    """
    conn = session.connection()
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        raw: Any = conn.connection.driver_connection  # psycopg 3's Connection (COPY is driver-level)
        n = 0
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n
    batch = [tuple(_sqlite_value(v) for v in r) for r in rows]
    if batch:
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", batch)
    return len(batch)


def _sqlite_value(value: Any) -> Any:
    """Datetimes as SQLAlchemy's SQLite type stores them (always with microseconds), so reads agree."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
