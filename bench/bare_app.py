"""The ceiling for draft saves: a bare Flask + SQLAlchemy endpoint that inserts one row per POST.

    gunicorn -c gunicorn.conf.py 'bench.bare_app:create_app()'

No login, no CSRF, no templates, no questionnaire: what any save costs on this stack and this database
(``DATABASE_URL``, through ``diagnostics.settings`` and the project's engine, so SQLite gets the same
WAL and busy-timeout settings). ``bench/load.py`` drives it with the same users as the real app.
"""

from __future__ import annotations

import orjson
from flask import Flask, Response, request
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, insert

from diagnostics.settings import settings
from diagnostics.store.db import engine_for

metadata = MetaData()
saves = Table("bench_saves", metadata, Column("id", Integer, primary_key=True), Column("draft", String(64)),
              Column("answers", JSON))


def create_app() -> Flask:
    app = Flask(__name__)
    engine = engine_for(settings.database_url)  # the table is made by bench/load.py before the workers start

    @app.post("/save/<draft>")
    def save(draft: str) -> Response:
        with engine.begin() as conn:
            row = conn.execute(insert(saves).values(draft=draft, answers=request.form.to_dict()))
            row_id = row.inserted_primary_key
        return Response(orjson.dumps({"ok": True, "id": row_id[0] if row_id else None}), mimetype="application/json")

    return app
