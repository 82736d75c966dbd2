"""All configuration, read from the environment in one place.

Nothing else in the project reads ``os.environ``: the web app, the flows and the CLI all take their
settings from ``settings`` so a deployment is described by its environment alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass
class Settings:
    """Defaults suit one developer's machine: SQLite in ``instance/`` and Prefect's embedded mode."""

    database_url: str = field(default_factory=lambda: _env(
        "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'shuzhen.db'}"))
    # no default: outside development the app refuses to start without a real key (survey_app.security);
    # in development a random key is made once and kept in instance/secret_key
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))
    # "production" (default), "development" (make run, flask --debug) or "testing"
    environment: str = field(default_factory=lambda: _env(
        "SHUZHEN_ENV", "development" if _env("FLASK_DEBUG", "") in ("1", "true") else "production"))
    # behind a TLS-terminating proxy: cookies only over HTTPS, and how many proxies to trust for
    # X-Forwarded-For/-Proto/-Host (0 = none: the client address is the socket's)
    secure_cookies: bool = field(default_factory=lambda: _env("SHUZHEN_SECURE_COOKIES", "0") == "1")
    proxy_hops: int = field(default_factory=lambda: int(_env("SHUZHEN_PROXY_HOPS", "0")))
    # ---- log-in throttling (survey_app/accounts/throttle.py) ----
    login_max_failures: int = field(default_factory=lambda: int(_env("SHUZHEN_LOGIN_MAX_FAILURES", "5")))
    login_lock_minutes: int = field(default_factory=lambda: int(_env("SHUZHEN_LOGIN_LOCK_MINUTES", "15")))
    # failures of one account from one address per window before that pair waits (other accounts on a
    # shared factory network are not affected)
    login_pair_limit: int = field(default_factory=lambda: int(_env("SHUZHEN_LOGIN_PAIR_LIMIT", "10")))
    # failures from one address per window (any names) after which each further try is slowed down
    login_address_limit: int = field(default_factory=lambda: int(_env("SHUZHEN_LOGIN_ADDRESS_LIMIT", "30")))
    login_address_delay: float = field(default_factory=lambda: float(_env("SHUZHEN_LOGIN_ADDRESS_DELAY", "1.0")))
    login_window_seconds: int = field(default_factory=lambda: int(_env("SHUZHEN_LOGIN_WINDOW_SECONDS", "900")))
    min_password_length: int = field(default_factory=lambda: int(_env("SHUZHEN_MIN_PASSWORD", "8")))
    # ---- input limits ----
    max_body_mb: int = field(default_factory=lambda: int(_env("SHUZHEN_MAX_BODY_MB", "20")))
    max_text_answer: int = field(default_factory=lambda: int(_env("SHUZHEN_MAX_TEXT_ANSWER", "2000")))
    max_field_chars: int = field(default_factory=lambda: int(_env("SHUZHEN_MAX_FIELD_CHARS", "100000")))
    # a number answer without its own ``max`` in the questionnaire file may not exceed this (1e12 is above
    # any staff count, device count or revenue in 万元 of a real enterprise, and far below float trouble)
    max_number_answer: float = field(default_factory=lambda: float(_env("SHUZHEN_MAX_NUMBER_ANSWER", "1e12")))
    questionnaire_dir: Path = field(default_factory=lambda: Path(_env(
        "SHUZHEN_QUESTIONNAIRES", str(ROOT / "questionnaires"))))
    report_dir: Path = field(default_factory=lambda: Path(_env(
        "SHUZHEN_REPORTS", str(ROOT / "instance" / "reports"))))
    # evidence files of site visits (by content hash) and uploaded rosters; outside the web root
    upload_dir: Path = field(default_factory=lambda: Path(_env(
        "SHUZHEN_UPLOADS", str(ROOT / "instance" / "uploads"))))
    prefect_api_url: str | None = field(default_factory=lambda: os.environ.get("PREFECT_API_URL") or None)
    trigger_pipeline_on_submit: bool = field(default_factory=lambda: _env(
        "SHUZHEN_TRIGGER_ON_SUBMIT", "0") == "1")
    session_minutes: int = field(default_factory=lambda: int(_env("SHUZHEN_SESSION_MINUTES", "120")))
    # the pilot whose targets apply to a cluster that names none (questionnaires/targets/<code>.yaml)
    default_pilot: str = field(default_factory=lambda: _env("SHUZHEN_PILOT", "jingdezhen-ceramics"))
    # the PostgreSQL database the test suite may wipe; unset, the suite runs on SQLite only
    test_database_url: str | None = field(default_factory=lambda: os.environ.get("TEST_DATABASE_URL") or None)
    # ---- the web server (gunicorn.conf.py) ----
    web_bind: str = field(default_factory=lambda: _env("SHUZHEN_WEB_BIND", "127.0.0.1:5000"))
    # one worker per core (a core is what a Python process can use), a few threads to overlap database waits
    web_workers: int = field(default_factory=lambda: int(_env("SHUZHEN_WEB_WORKERS", str(os.cpu_count() or 1))))
    web_threads: int = field(default_factory=lambda: int(_env("SHUZHEN_WEB_THREADS", "4")))
    # ---- the cluster pipeline (flows/) ----
    score_batch_size: int = field(default_factory=lambda: int(_env("SHUZHEN_SCORE_BATCH", "2500")))
    read_chunk_size: int = field(default_factory=lambda: int(_env("SHUZHEN_READ_CHUNK", "5000")))
    # firms per part of a cluster in the stages that would otherwise hold all of it at once: the portraits
    # stage reads and profiles a part at a time and spools each part's nested profiles to a file, which
    # the later stages read a part at a time; needs carries a part's weaknesses at a time; the working
    # set follows the part, not the cluster (60 000 firms at once: ~650 MB for needs alone; parts of
    # 10 000: +128 MB over what the lane held, of 2 500: +50 MB, in the same 1.4 s, bench/stage_memory.py)
    part_firms: int = field(default_factory=lambda: int(_env("SHUZHEN_PART_FIRMS", "2500")))
    report_batch_size: int = field(default_factory=lambda: int(_env("SHUZHEN_REPORT_BATCH", "200")))
    # which enterprises get a diagnosis workbook on each run: "shortlist" (pilot picks and near misses;
    # the rest are built on demand from the dashboard) or "all" (every portrait; unchanged ones are skipped)
    report_scope: str = field(default_factory=lambda: _env("SHUZHEN_REPORT_SCOPE", "shortlist"))
    # the survey and diagnosis report gives this many deep-survey firms a section of their own (highest
    # level and score first); every one of them is in its overview table, and each has its own workbook
    survey_sections: int = field(default_factory=lambda: int(_env("SHUZHEN_SURVEY_SECTIONS", "300")))
    # parallel batches (scoring, enterprise workbooks): processes on this machine, and the amount of work
    # (rows) below which starting them costs more than it saves (a spawned worker imports pandas & co., ~1 s)
    workers: int = field(default_factory=lambda: int(_env("SHUZHEN_WORKERS", str(os.cpu_count() or 1))))
    parallel_min_rows: int = field(default_factory=lambda: int(_env("SHUZHEN_PARALLEL_MIN", "20000")))
    # the young-generation threshold of Python's cycle collector in pipeline processes (0: Python's own,
    # 700). Stages allocate millions of small dicts beside large long-lived frames; at 700 the collector
    # ran 6 000 times and walked the whole heap 17 times while 60 000 portraits were read and built:
    # 11.4 s at 700, 7.6 s at 100 000. Python's rules for the older generations are left as they are.
    gc_young: int = field(default_factory=lambda: int(_env("SHUZHEN_GC_YOUNG", "100000")))
    # where Prefect runs those batches: "local" (this process, plus a process pool when it pays) or "dask"
    # (prefect-dask's DaskTaskRunner: the scheduler at SHUZHEN_DASK_ADDRESS, else a temporary local cluster
    # of SHUZHEN_WORKERS processes)
    task_runner: str = field(default_factory=lambda: _env("SHUZHEN_TASK_RUNNER", "local"))
    dask_address: str | None = field(default_factory=lambda: os.environ.get("SHUZHEN_DASK_ADDRESS") or None)
    # a Prefect server's process work pool (flows/deploy.py) and the code its workers run the flows from
    work_pool: str = field(default_factory=lambda: _env("SHUZHEN_WORK_POOL", "shuzhen"))
    flow_source: Path = field(default_factory=lambda: Path(_env("SHUZHEN_FLOW_SOURCE", str(ROOT))))
    # a "running" run whose process this host cannot check (another host, an older row) counts as
    # abandoned this many hours after its start (a run on this host is checked by its pid at once)
    pipeline_stale_hours: float = field(default_factory=lambda: float(_env("SHUZHEN_PIPELINE_STALE_HOURS", "12")))
    pipeline_cron: str = field(default_factory=lambda: _env("SHUZHEN_PIPELINE_CRON", "0 2 * * *"))
    pipeline_timezone: str = field(default_factory=lambda: _env("SHUZHEN_PIPELINE_TZ", "Asia/Shanghai"))

    def reload(self) -> None:
        """Re-read the environment (tests change it)."""
        fresh = Settings()
        self.__dict__.update(fresh.__dict__)


settings = Settings()
