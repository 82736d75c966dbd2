"""Run Prefect's embedded API server (uvicorn), and end it when the process that started it is gone.

Prefect's embedded mode starts ``python -m uvicorn ... prefect.server.api.server:create_app`` as a child
and stops it from an ``atexit`` hook. A parent killed with SIGKILL runs no hook, so the server used to
live on for ever (one orphan per killed ``shuzhen pipeline run``). ``flows.embedded_server`` starts the
server through this script instead: ``python _server_guard.py PARENT_PID -m uvicorn ARGS...``. It
watches its parent: when the parent dies the child is re-parented (``getppid`` changes), and the server
is stopped (SIGTERM, uvicorn's graceful shutdown; a hard exit 5 s later if that hangs). Then it runs
uvicorn in this same process, so the pid Prefect holds is the server's and Prefect's own stop still works.

Standard library only, and run as a file (not ``-m flows...``): it must start fast and import nothing
of Shuzhen.
"""

import os
import runpy
import signal
import sys
import threading
import time

POLL_SECONDS = 0.5


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
    os._exit(1)


def main() -> None:
    parent = int(sys.argv[1])
    if sys.argv[2:4] != ["-m", "uvicorn"]:
        raise SystemExit(f"usage: {sys.argv[0]} PARENT_PID -m uvicorn ARGS...")
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()
    sys.argv = ["uvicorn", *sys.argv[4:]]
    sys.path.pop(0)  # this script's folder (flows/) must not shadow any module uvicorn or Prefect imports
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
