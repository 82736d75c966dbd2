"""What the browser tests share: Debian's Chromium (never a downloaded browser), its flags, the screen
sizes, and the app served on a free loopback port in a thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import ViewportSize
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
# without the background-networking flags Chromium keeps dialling Google's hosts, which this closed network
# refuses, many at a time
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def require_chromium() -> None:
    """Skip (before any data is seeded) on a machine without Debian's Chromium."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed; the project's setup installs it")


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """``app`` on a free port of 127.0.0.1 in a thread (threaded: the page and its fetches overlap)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
