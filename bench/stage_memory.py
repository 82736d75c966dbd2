"""Peak memory of each pipeline stage for one cluster, in one process.

    .venv/bin/python bench/stage_memory.py --keep DIR [--cluster CODE]

Runs the pipeline's stages for one cluster of a demo that ``bench/pipeline.py --keep DIR`` seeded,
directly (no Prefect) in this process with one worker (no lanes), every stage recomputed (``force``).
Before each stage the kernel's peak resident set is reset (``/proc/self/clear_refs``, Linux), so each
line shows what that stage alone took at its peak, and what it left resident. Prints plain lines.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flows  # noqa: F401  (Prefect's environment defaults, before Prefect itself is imported)

# isort: split
from diagnostics.settings import settings
from flows import pipeline
from flows.context import DIRECT

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the bench package, from a script

from bench.memory import resident, restart_peak  # noqa: E402

STAGES = ("run_score", "run_portraits", "run_needs", "run_industry_map", "run_shortlist", "run_reports",
          "run_research_report")


def measured(name: str, stage: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        restart_peak()  # the peak starts again from what is resident now
        start = resident()[1]
        t0 = time.perf_counter()
        out = stage(*args, **kwargs)
        peak, now = resident()
        print(f"{name.removeprefix('run_'):<16} start {start:>6} MB  peak {peak:>6} MB  end {now:>6} MB  "
              f"{time.perf_counter() - t0:6.1f} s", flush=True)
        return out
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", required=True, help="the folder of a bench/pipeline.py --keep run")
    parser.add_argument("--cluster", default="jingdezhen-ceramics")
    args = parser.parse_args()
    work = Path(args.keep)
    settings.database_url = f"sqlite:///{work / 'bench.db'}"
    settings.report_dir = work / "reports"
    settings.workers = 1
    for name in STAGES:
        setattr(pipeline, name, measured(name, getattr(pipeline, name)))
    print(f"cluster {args.cluster}, resident before the run: {resident()[1]} MB")
    pipeline.run_pipeline_stages(args.cluster, force=True, runner=DIRECT)


if __name__ == "__main__":
    main()
