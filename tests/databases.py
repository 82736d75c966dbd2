"""PostgreSQL databases beside the test database (a pytest-xdist worker's own, the Prefect server's)."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text


def sibling_database(url: str, name: str) -> str:
    """``url`` with its database named ``name``, made on the same server when it does not exist yet."""
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
