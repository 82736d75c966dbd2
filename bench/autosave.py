"""CPU of one autosave against the bare insert, in process (Flask's test client: no HTTP, no load generator).

    .venv/bin/python bench/autosave.py [--n 500] [--profile] [--pg postgresql+psycopg://.../scratch]

Seeds the demo in a fresh SQLite file (or a scratch PostgreSQL database, whose schema is dropped), creates
one enterprise login with a complete draft (the same as ``bench/load.py``), logs in through the login
form, opens the first page, then autosaves ``--n`` times a changed single-choice answer (alternating between
two options, so every save writes) and posts ``--n`` times to ``bench/bare_app.py``'s endpoint against the
same database. Prints CPU milliseconds per request (``time.process_time``: the server's own work, which
is what bounds throughput on a loaded machine) and wall milliseconds, each the best of ``--rounds``;
``--profile`` prints the top of a cProfile of the autosaves.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bare_app  # noqa: E402
from bench.load import PASSWORD, Forms, prepare, reset_postgres, toggled  # noqa: E402
from diagnostics.settings import settings  # noqa: E402
from diagnostics.store.db import make_engine  # noqa: E402
from survey_app import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="autosaves (and bare inserts) to time")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the autosaves")
    parser.add_argument("--pg", help="a scratch PostgreSQL database (its schema is dropped and recreated)")
    parser.add_argument("--top", type=int, default=40, help="lines of the profile to print")
    parser.add_argument("--rounds", type=int, default=5,
                        help="time --n requests this many times and keep the best (a loaded machine's noise)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shuzhen-autosave-"))
    url = args.pg or f"sqlite:///{work / 'autosave.db'}"
    if args.pg:
        reset_postgres(url)
    settings.database_url = url
    try:
        (username, eid, code), = prepare(url, 1)
        app = create_app({"DATABASE_URL": url})
        client = app.test_client()
        page = client.get("/login")
        token = Forms(page.text).ending(r"/login")["fields"]["csrf_token"]
        client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD, "next": ""})
        home = client.get(f"/enterprises/{eid}")
        start = Forms(home.text).ending(rf"/questionnaires/{code}/start")
        moved = client.post(start["action"], data={"csrf_token": start["fields"]["csrf_token"]})
        page_url = moved.headers["Location"]
        form = Forms(client.get(page_url).text).ending(r"/pages/\d+$")

        def save(k: int) -> None:
            data = toggled(form, k)
            resp = client.post(page_url + "/autosave", data=data)
            body = resp.get_json()
            if resp.status_code != 200 or not body.get("ok"):
                raise SystemExit(f"autosave {k} failed: {resp.status_code} {body}")
            form["fields"] = {**data, "revision": str(body["revision"])}

        for k in range(20):  # warm: compiled definition, templates, the form class
            save(k)
        profiler = cProfile.Profile() if args.profile else None
        rounds = 1 if profiler else args.rounds
        app_cpu = app_wall = float("inf")
        for _ in range(rounds):
            c0, w0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            for k in range(args.n):
                save(k)
            if profiler:
                profiler.disable()
            app_cpu, app_wall = min(app_cpu, time.process_time() - c0), min(app_wall, time.perf_counter() - w0)

        engine = make_engine(url)
        bare_app.metadata.create_all(engine)
        engine.dispose()
        bare = bare_app.create_app().test_client()
        data = toggled(form, 0)
        for _ in range(20):
            bare.post("/save/warm", data=data)
        bare_cpu = bare_wall = float("inf")
        for _ in range(rounds):
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(args.n):
                if bare.post("/save/d1", data=data).status_code != 200:
                    raise SystemExit("bare insert failed")
            bare_cpu, bare_wall = min(bare_cpu, time.process_time() - c0), min(bare_wall, time.perf_counter() - w0)

        backend = "PostgreSQL" if args.pg else "SQLite"
        print(f"{backend}, {args.n} requests each, best of {rounds}{' (under cProfile)' if profiler else ''}")
        print(f"autosave: {app_cpu / args.n * 1000:.2f} ms CPU, {app_wall / args.n * 1000:.2f} ms wall per request")
        print(f"bare    : {bare_cpu / args.n * 1000:.2f} ms CPU, {bare_wall / args.n * 1000:.2f} ms wall per request")
        print(f"CPU ratio bare/autosave: {bare_cpu / app_cpu:.2f} (the ceiling of the throughput ratio on "
              "a CPU-bound server)")
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
