# Two commands set everything up on a fresh machine:
#   make run   - venv, install, migrate, demo data, one pipeline run, then the web app on 127.0.0.1:5000
#   make test  - the same install plus Debian's Chromium for browser tests, then the whole suite
# Everything else here is what those two are made of.

VENV    ?= .venv
PY      := $(VENV)/bin/python
SHUZHEN := $(VENV)/bin/shuzhen
PORT    ?= 5000
DEMO_ENTERPRISES ?= 300
SUDO    := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 90
export DO_NOT_TRACK ?= 1
# a developer's machine: without SECRET_KEY the app makes a random one in instance/secret_key (production
# refuses to start without a strong key; see SECURITY.md)
export SHUZHEN_ENV ?= development

.PHONY: run test install fonts browser translations migrate demo pipeline web lint bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian's CJK fonts, so the research report's charts and the screenshots show Chinese.
fonts:
	@if [ ! -d /usr/share/fonts/opentype/noto ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	fi

# Debian's Chromium (never a downloaded browser) for the browser tests.
browser: fonts
	@if [ ! -x /usr/bin/chromium ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; \
	fi

translations: install
	if [ -d survey_app/translations ]; then $(VENV)/bin/pybabel compile -d survey_app/translations; fi

migrate: install
	$(SHUZHEN) db upgrade

demo: migrate
	$(SHUZHEN) demo --enterprises $(DEMO_ENTERPRISES)

pipeline: demo
	$(SHUZHEN) pipeline run

web: translations
	$(VENV)/bin/flask --app survey_app run --host 127.0.0.1 --port $(PORT)

run: install fonts translations pipeline web

# two test processes (pytest-xdist), a test file each at a time: the suite is mostly single-threaded
# Python, and half its time waits on subprocesses (Prefect's server, Chromium, workers)
TEST_WORKERS ?= 2
test: install browser translations
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/score.py

clean:
	rm -rf instance tests/artifacts
