"""Prefect's embedded server dies with the process that started it (``flows/_server_guard.py``).

Without ``PREFECT_API_URL`` a flow run starts a temporary Prefect server as a child process
(``prefect.server.api.server.SubprocessASGIServer``) and relies on ``atexit`` to stop it; after a
SIGKILL (or the OOM killer) it was left running. ``install`` makes that child start through the guard
script, which stops the server as soon as its parent is gone. Prefect builds the command in a private
method; if a Prefect upgrade renames it, ``install`` logs a warning and changes nothing (the README
says how to find and stop an orphaned server by hand).
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import Any

from prefect.server.api import server as prefect_server

log = logging.getLogger("shuzhen.flows.embedded_server")
GUARD = Path(__file__).with_name("_server_guard.py")


def guarded(command: list[str], parent: int) -> list[str]:
    """The uvicorn command Prefect built, started through the guard watching ``parent``."""
    if command[1:3] != ["-m", "uvicorn"]:
        return command
    return [command[0], str(GUARD), str(parent), *command[1:]]


def install() -> None:
    """Make every embedded server this process starts end with it (idempotent)."""
    cls = prefect_server.SubprocessASGIServer
    original = getattr(cls, "_run_uvicorn_command", None)
    if original is None:
        log.warning("Prefect's embedded server cannot be guarded (no _run_uvicorn_command in this Prefect); "
                    "a killed run may leave it running: see the README")
        return
    if getattr(original, "shuzhen_guarded", False):
        return
    real_popen = subprocess.Popen

    def run_guarded(self: Any) -> subprocess.Popen[Any]:
        # Prefect calls ``subprocess.Popen`` (the module's attribute) inside the method; it is swapped for
        # the length of that call. Another thread starting a process meanwhile is unaffected: ``guarded``
        # rewrites only a ``python -m uvicorn`` command.
        def popen(args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
            return real_popen(guarded(list(args), os.getpid()), **kwargs)

        prefect_server.subprocess.Popen = popen  # type: ignore[assignment,misc]
        try:
            return original(self)
        finally:
            prefect_server.subprocess.Popen = real_popen  # type: ignore[misc]

    run_guarded.shuzhen_guarded = True  # type: ignore[attr-defined]
    cls._run_uvicorn_command = run_guarded  # type: ignore[method-assign]
