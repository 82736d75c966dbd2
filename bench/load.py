"""Web under load: the app under gunicorn, 50 simulated enterprises on loopback, and the bare ceiling.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--pg postgresql+psycopg://.../db]

For each database (a fresh SQLite file; and PostgreSQL when ``--pg`` names a scratch database, whose
schema is dropped and recreated) it seeds the demo, creates one login and one fully answered draft per
simulated enterprise, starts gunicorn with ``gunicorn.conf.py`` on a free loopback port, and runs:

1. **journeys** (``--seconds``): each user logs in, opens its enterprise page, resumes its draft, opens
   the page, autosaves a changed answer ``--saves`` times (``--think`` seconds apart, a brisk typist),
   opens the review page and submits; then the next account. Latency per step, p50/p95, errors.
2. **saturation** (``--burst`` seconds): every user autosaves back to back, no pause: saves/s;
3. **bare ceiling** (``--burst`` seconds, same users, same gunicorn settings, same database): a Flask +
   SQLAlchemy endpoint that inserts one row per POST (``bench/bare_app.py``): saves/s. Both servers run
   side by side and 2. and 3. alternate in ``--slices`` slices each, so both rates are measured under
   the same machine load (on a shared machine a sequential bare phase saw a different load).

Every save the server accepted must be stored: an accepted autosave is one whose answer revision went
up, and afterwards the sum of the drafts' revision increases must equal accepted saves plus submits;
for the bare endpoint, rows counted must equal 200 responses. Exits 1 on any 5xx, connection error or
lost save. The load generator is a bounded pool of threads (one per user, ``requests`` sessions) in
this process; on a 2-core machine it competes with the server for the cores, which the figures include.
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import bare_app  # noqa: E402
from diagnostics.store.db import make_engine, session_scope, upgrade  # noqa: E402
from diagnostics.store.demo_data import seed_demo  # noqa: E402
from diagnostics.store.models import QuestionnaireVersion, Submission, User  # noqa: E402

PASSWORD = "load-test-pw-1"


# ------------------------------------------------------------------ data


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare(url: str, accounts: int) -> list[tuple[str, int, str]]:
    """Demo data plus ``accounts`` logins, each with one complete draft; (username, enterprise, code)."""
    upgrade(url)
    engine = make_engine(url)
    pw = generate_password_hash(PASSWORD)  # werkzeug's default (scrypt), what the app verifies
    out: list[tuple[str, int, str]] = []
    with session_scope(engine) as s:
        seed_demo(s, enterprises=max(accounts, 300))
        rows = s.execute(select(Submission.enterprise_id, Submission.questionnaire_version_id, Submission.answers)
                         .where(Submission.status == "submitted").order_by(Submission.id)).all()
        seen: set[int] = set()
        codes = dict(s.execute(select(QuestionnaireVersion.id, QuestionnaireVersion.code)).all())
        for eid, vid, answers in rows:
            if eid in seen:
                continue
            seen.add(eid)
            name = f"load{len(out) + 1:05d}"
            s.add(User(username=name, password_hash=pw, role="enterprise", display_name=name, enterprise_id=eid))
            s.add(Submission(enterprise_id=eid, questionnaire_version_id=vid, status="draft", channel="self",
                             answers=answers))
            out.append((name, eid, codes[vid]))
            if len(out) == accounts:
                break
    engine.dispose()
    return out


def stored_revisions(url: str, enterprise_ids: list[int]) -> dict[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        got = dict(conn.execute(select(Submission.id, Submission.revision)
                                .where(Submission.enterprise_id.in_(enterprise_ids))).all())
    engine.dispose()
    return got


def bare_rows(url: str) -> int:
    engine = make_engine(url)
    bare_app.metadata.create_all(engine)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM bench_saves")).scalar_one()
    engine.dispose()
    return int(n)


# ------------------------------------------------------------------ gunicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


SECRET_KEY = secrets.token_urlsafe(48)


def start_server(app: str, url: str, workers: int, threads: int, log: Path, warm: str = "/login") -> Server:
    port = free_port()
    # a production-strength key (the app refuses a short one outside development), the same for every worker
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "SHUZHEN_WEB_BIND": f"127.0.0.1:{port}",
           "SHUZHEN_WEB_WORKERS": str(workers), "SHUZHEN_WEB_THREADS": str(threads),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), app]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited ({proc.returncode}); see {log}")
        try:
            # warm every worker (app import, first template compile) before anything is measured
            for _ in range(4 * workers):
                requests.get(f"{server.base}{warm}", timeout=30)
            return server
        except requests.RequestException:
            time.sleep(0.2)
    server.stop()
    raise SystemExit(f"gunicorn did not answer within 60 s; see {log}")


class PipelineLoop:
    """``python -m cli pipeline run`` (embedded Prefect) over and over on the same database while the users
    save, so the saves compete with the pipeline's reads and writes; records each run's exit and time."""

    def __init__(self, url: str, work: Path) -> None:
        self.env = {**os.environ, "DATABASE_URL": url, "SHUZHEN_REPORTS": str(work / "reports"),
                    "PREFECT_HOME": str(work / "prefect"), "SHUZHEN_ENV": "development",
                    "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.env.pop("PREFECT_API_URL", None)
        self.log = work / "pipeline.log"
        self.runs: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, name="pipeline-loop")

    def _loop(self) -> None:
        while not self._stop.is_set():
            t0 = time.perf_counter()
            with self.log.open("ab") as out:
                self._proc = subprocess.Popen([sys.executable, "-m", "cli", "pipeline", "run"], cwd=ROOT,
                                              env=self.env, stdout=out, stderr=subprocess.STDOUT)
                code = self._proc.wait()
            self.runs.append((code, time.perf_counter() - t0))

    def __enter__(self) -> PipelineLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Let the run in progress finish (a killed one would be a different test), then stop."""
        self._stop.set()
        self._thread.join()

    def failures(self) -> int:
        return sum(1 for code, _ in self.runs if code != 0)


# ------------------------------------------------------------------ HTML


class Forms(HTMLParser):
    """Every form of a page: action and fields (name -> value, radios as their options)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}, "radios": defaultdict(list)})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            form, kind, name = self.forms[-1], a.get("type", "text"), a["name"]
            if kind == "radio":
                form["radios"][name].append(a.get("value", ""))
                if "checked" in a:
                    form["fields"][name] = a.get("value", "")
            elif kind == "checkbox":
                if "checked" in a:
                    form["fields"].setdefault(name, [])
                    form["fields"][name].append(a.get("value", "y"))
            elif kind not in ("submit", "button", "file"):
                form["fields"][name] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1]["fields"][self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None

    def ending(self, suffix: str) -> dict[str, Any]:
        for form in self.forms:
            if re.search(suffix, form["action"]):
                return form
        raise LookupError(f"no form with action matching {suffix!r}")


# ------------------------------------------------------------------ load


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    errors: list[str] = field(default_factory=list)
    saves_accepted: int = 0
    saves_unknown: int = 0  # save requests that timed out: the server may or may not have stored them
    submits: int = 0
    journeys: int = 0
    drafts: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, step: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[step].append(seconds)
            self.statuses[status] += 1


class Failed(Exception):
    pass


def timed(tally: Tally, step: str, call: Any, *args: Any, ok: tuple[int, ...] = (200, 302),
          **kwargs: Any) -> requests.Response:
    start = time.perf_counter()
    try:
        resp: requests.Response = call(*args, timeout=30, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        with tally.lock:
            tally.errors.append(f"{step}: {type(exc).__name__}: {exc}")
            tally.statuses[-1] += 1
            if "save" in step or step == "submit":
                tally.saves_unknown += 1
        raise Failed(step) from exc
    tally.record(step, time.perf_counter() - start, resp.status_code)
    if resp.status_code not in ok:
        with tally.lock:
            tally.errors.append(f"{step}: HTTP {resp.status_code} {resp.url}")
        raise Failed(step)
    return resp


def login(http: requests.Session, base: str, tally: Tally, username: str) -> None:
    page = timed(tally, "login page", http.get, f"{base}/login")
    token = Forms(page.text).ending(r"/login")["fields"]["csrf_token"]
    timed(tally, "log in", http.post, f"{base}/login", data={"csrf_token": token, "username": username,
                                                              "password": PASSWORD, "next": ""}, ok=(302,))


def open_draft(http: requests.Session, base: str, tally: Tally, eid: int, code: str) -> tuple[str, dict[str, Any]]:
    """Enterprise page -> resume the draft -> its page; (page url, page form)."""
    home = timed(tally, "enterprise page", http.get, f"{base}/enterprises/{eid}")
    start = Forms(home.text).ending(rf"/questionnaires/{re.escape(code)}/start")
    moved = timed(tally, "resume draft", http.post, base + start["action"],
                  data={"csrf_token": start["fields"]["csrf_token"]}, ok=(302,))
    page_url = moved.headers["Location"]
    page_url = page_url if page_url.startswith("http") else base + page_url
    page = timed(tally, "open page", http.get, page_url)
    return page_url, Forms(page.text).ending(r"/pages/\d+$")


def toggled(form: dict[str, Any], k: int) -> dict[str, Any]:
    """The page's fields with one single-choice answer changed (alternating between two options)."""
    data = dict(form["fields"])
    name, values = next((n, v) for n, v in form["radios"].items() if len(v) >= 2)
    data[name] = values[k % 2] if data.get(name) != values[k % 2] else values[(k + 1) % 2]
    return data


def autosave(http: requests.Session, url: str, tally: Tally, form: dict[str, Any], k: int, step: str) -> None:
    data = toggled(form, k)
    posted = int(data["revision"])
    resp = timed(tally, step, http.post, url + "/autosave", data=data)
    body = resp.json()
    if body.get("ok") and int(body["revision"]) > posted:
        with tally.lock:
            tally.saves_accepted += 1
    form["fields"] = {**data, "revision": str(body.get("revision", posted))}


def pause(think: float) -> None:
    time.sleep(think * random.uniform(0.5, 1.5))


def journey(base: str, tally: Tally, account: tuple[str, int, str], saves: int, think: float) -> None:
    """One respondent: log in, open the draft, change answers (each change autosaved), review, submit;
    a pause of about ``think`` seconds before each step (reading, typing)."""
    username, eid, code = account
    http = requests.Session()
    try:
        login(http, base, tally, username)
        pause(think)
        url, form = open_draft(http, base, tally, eid, code)
        tally.drafts.add(int(re.search(r"/submissions/(\d+)/", url).group(1)))  # type: ignore[union-attr]
        for k in range(saves):
            pause(think)
            autosave(http, url, tally, form, k, "autosave")
        pause(think)
        sid = re.search(r"/submissions/(\d+)/", url).group(1)  # type: ignore[union-attr]
        review = timed(tally, "review", http.get, f"{base}/submissions/{sid}/review")
        pause(think)
        submit = Forms(review.text).ending(r"/submit$")
        # the respondent ticks the truthfulness commitment the review page asks for before submitting
        timed(tally, "submit", http.post, base + submit["action"], data={**submit["fields"], "commitment": "yes"},
              ok=(302,))
        with tally.lock:
            tally.submits += 1
            tally.journeys += 1
    except Failed:
        pass
    finally:
        http.close()


def run_journeys(base: str, accounts: list[tuple[str, int, str]], users: int, seconds: float, saves: int,
                 think: float, ramp: float) -> Tally:
    tally = Tally()
    todo: queue.Queue[tuple[str, int, str]] = queue.Queue()
    for a in accounts:
        todo.put(a)
    stop = time.monotonic() + seconds

    def user(i: int) -> None:
        time.sleep(ramp * i / users)  # users arrive over ``ramp`` seconds, not all in the same instant
        while time.monotonic() < stop:
            try:
                account = todo.get_nowait()
            except queue.Empty:
                return
            journey(base, tally, account, saves, think)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tally


def run_burst(base: str, accounts: list[tuple[str, int, str]], users: int, seconds: float, bare_base: str,
              slices: int) -> tuple[Tally, float, Tally, float]:
    """Every user saves back to back, alternating between the app's autosave and the bare endpoint in
    ``2 * slices`` slices of ``seconds / slices`` each (app first); (app tally, app seconds, bare tally,
    bare seconds). Interleaving puts both under the same machine load, so their ratio does not move with
    what else the machine is doing, as it did when the bare phase ran after the app phase."""
    tally, bare = Tally(), Tally()
    ready = threading.Barrier(users + 1)
    phase: list[str] = ["setup"]  # "app", "bare" or "stop", set by the timer below

    def user(i: int) -> None:
        http = requests.Session()
        plain = requests.Session()
        form: dict[str, Any] = {}
        url = ""
        try:
            login(http, base, tally, accounts[i][0])
            url, form = open_draft(http, base, tally, accounts[i][1], accounts[i][2])
            tally.drafts.add(int(re.search(r"/submissions/(\d+)/", url).group(1)))  # type: ignore[union-attr]
        except Failed:
            pass
        ready.wait()
        k = 0
        while (now := phase[0]) != "stop":
            try:
                if now == "bare":
                    timed(bare, "bare save", plain.post, f"{bare_base}/save/user{i}",
                          data={"q": str(k), "user": str(i)})
                    with bare.lock:
                        bare.saves_accepted += 1
                elif form:
                    autosave(http, url, tally, form, k, "autosave (burst)")
                else:
                    time.sleep(0.05)  # this user could not open its draft; the others go on
            except Failed:
                pass
            k += 1
        http.close()
        plain.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    ready.wait()
    spent = {"app": 0.0, "bare": 0.0}
    for j in range(2 * slices):
        which = "app" if j % 2 == 0 else "bare"
        phase[0] = which
        begin = time.monotonic()
        time.sleep(seconds / slices)
        spent[which] += time.monotonic() - begin
    phase[0] = "stop"
    for t in threads:
        t.join()
    return tally, spent["app"], bare, spent["bare"]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def report(label: str, tally: Tally) -> None:
    for step, values in tally.latencies.items():
        print(f"  {label:<9}{step:<18}{len(values):>7}{statistics.median(values) * 1000:>9.0f}{pct(values, .95):>9.0f}")
    every = [v for values in tally.latencies.values() for v in values]
    if every:
        print(f"  {label:<9}{'all requests':<18}{len(every):>7}{statistics.median(every) * 1000:>9.0f}"
              f"{pct(every, .95):>9.0f}")


def server_errors(tally: Tally) -> int:
    return sum(n for status, n in tally.statuses.items() if status >= 500 or status < 0)


def run_backend(name: str, url: str, args: argparse.Namespace, work: Path) -> bool:
    per_journey = max((args.saves + 3) * args.think, 1.0)
    accounts_needed = args.users * (int(args.seconds / per_journey) + 3)
    t0 = time.perf_counter()
    accounts = prepare(url, accounts_needed)
    print(f"\n[{name}] {len(accounts)} logins with drafts prepared in {time.perf_counter() - t0:.1f} s; "
          f"gunicorn {args.workers} workers x {args.threads} threads; {args.users} users")
    log = work / f"gunicorn-{name}.log"
    ok = True
    rows_before = bare_rows(url)  # creates the table first: two workers creating it at once race on PostgreSQL
    server = start_server("survey_app:create_app()", url, args.workers, args.threads, log)
    bare_server = start_server("bench.bare_app:create_app()", url, args.workers, args.threads, log, warm="/nothing")
    try:
        before = stored_revisions(url, [a[1] for a in accounts])
        pipeline: PipelineLoop | None = None
        if args.pipeline:
            with PipelineLoop(url, work) as pipeline:
                tally = run_journeys(server.base, accounts[args.users:], args.users, args.seconds, args.saves,
                                     args.think, args.ramp)
        else:
            tally = run_journeys(server.base, accounts[args.users:], args.users, args.seconds, args.saves, args.think,
                                 args.ramp)
        if args.no_burst:
            burst, elapsed, bare, bare_elapsed = Tally(), 1.0, Tally(), 1.0
        else:
            burst, elapsed, bare, bare_elapsed = run_burst(server.base, accounts[:args.users], args.users, args.burst,
                                                           bare_server.base, args.slices)
    finally:
        server.stop()
        bare_server.stop()
    after = stored_revisions(url, [a[1] for a in accounts])
    drafts = tally.drafts | burst.drafts
    stored = sum(after.get(sid, 0) - before.get(sid, 0) for sid in drafts)
    accepted = tally.saves_accepted + tally.submits + burst.saves_accepted
    print(f"  {'':<9}{'step':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}")
    report("journeys", tally)
    report("burst", burst)
    app_rate = burst.saves_accepted / elapsed
    errors = server_errors(tally) + server_errors(burst)
    other = sum(n for s, n in {**tally.statuses}.items() if 400 <= s < 500) + sum(
        n for s, n in burst.statuses.items() if 400 <= s < 500)
    print(f"  journeys completed: {tally.journeys}, autosaves accepted {tally.saves_accepted}, submits {tally.submits}")
    print(f"  5xx/connection errors: {errors}; 4xx: {other}" + (f"; first: {(tally.errors + burst.errors)[:3]}"
                                                                  if tally.errors or burst.errors else ""))
    unknown = tally.saves_unknown + burst.saves_unknown
    lost = accepted - stored
    print(f"  saves accepted {accepted} (autosaves + submits), stored {stored} (revision increases), "
          f"{unknown} timed out: {'none lost' if lost <= 0 and stored - accepted <= unknown else f'LOST {lost}'}")
    ok &= errors == 0 and lost <= 0 and stored - accepted <= unknown
    if pipeline is not None:
        print(f"  pipeline runs during the journeys: {len(pipeline.runs)} ("
              + ", ".join(f"exit {c} in {t:.0f} s" for c, t in pipeline.runs) + f"); log {pipeline.log}")
        ok &= pipeline.failures() == 0 and bool(pipeline.runs)
        if pipeline.failures():
            print(pipeline.log.read_text(errors="replace")[-3000:])
    if args.no_burst:
        return ok

    rows = bare_rows(url) - rows_before
    report("bare", bare)
    bare_lost = bare.saves_accepted - rows
    bare_rate = bare.saves_accepted / bare_elapsed
    bare_errors = server_errors(bare)
    print(f"  bare endpoint: {bare_rate:.0f} saves/s, 5xx/connection errors {bare_errors}, accepted "
          f"{bare.saves_accepted}, stored {rows}; app and bare interleaved in {args.slices} slices each of "
          f"{args.burst / args.slices:.1f} s")
    ok &= bare_errors == 0 and bare_lost <= 0 and rows - bare.saves_accepted <= bare.saves_unknown
    autosave_p95 = pct(tally.latencies.get("autosave", []), .95)
    print(f"  RESULT {name}: draft saves {app_rate:.0f}/s vs bare {bare_rate:.0f}/s = {app_rate / bare_rate:.2f} "
          f"(target >= 0.5); journey autosave p95 {autosave_p95:.0f} ms (target < 150); errors {errors + bare_errors}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="journeys phase")
    parser.add_argument("--burst", type=float, default=20, help="saturation and bare phases, each")
    parser.add_argument("--slices", type=int, default=5,
                        help="the saturation and bare phases alternate in this many slices each")
    parser.add_argument("--saves", type=int, default=10, help="autosaves per journey")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a user's autosaves")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which the journey users arrive")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--pg", help="a scratch PostgreSQL database URL (its public schema is dropped)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--pipeline", action="store_true",
                        help="run `shuzhen pipeline run` back to back during the journeys (a failed run fails)")
    parser.add_argument("--no-burst", action="store_true", help="skip the saturation and bare phases")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shuzhen-load-"))
    ok = True
    try:
        if not args.skip_sqlite:
            ok &= run_backend("sqlite", f"sqlite:///{work / 'load.db'}", args, work)
        if args.pg:
            reset_postgres(args.pg)
            ok &= run_backend("postgres", make_url(args.pg).render_as_string(hide_password=False), args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
