"""Convert a trained bidirectional Elman network to streaming d-RNNs; store the numbers (issue 11).

Runs :func:`numerics.experiments.bidirectional.conversion_experiment` on the
sine-filter task and on sequence reversal and writes
``benchmarks/bidirectional_conversion.json``. Each task's result is written
as soon as it finishes, and a task already in the file (with the same
settings) is skipped, so an interrupted run resumes where it stopped. About
ten minutes on 2 busy cores::

    .venv/bin/python benchmarks/bidirectional_conversion.py            # both tasks
    .venv/bin/python benchmarks/bidirectional_conversion.py reversal   # one task
    .venv/bin/python benchmarks/bidirectional_conversion.py --force    # recompute
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from numerics.experiments.bidirectional import conversion_experiment

OUT = Path(__file__).resolve().parent / "bidirectional_conversion.json"

#: The runs: task parameters, delays of the directly trained d-RNNs and training settings.
#: Sized to finish in about ten minutes on a shared 2-core machine.
RUNS: dict[str, dict[str, Any]] = {
    "sine": {"task_kwargs": {"T": 16, "causal": 4, "acausal": 3, "scale": 1.0, "sizes": [2000, 300, 300],
                             "seed": 0},
             "delays": [0, 1, 2, 3, 4, 6, 8], "width": 24, "epochs": 80, "lr": 3e-3, "seed": 0},
    "reversal": {"task_kwargs": {"V": 4, "T": 8, "sizes": [2000, 300, 300], "seed": 0},
                 "delays": [0, 3, 5, 7, 10, 14], "width": 24, "epochs": 80, "lr": 3e-3, "seed": 0},
}


def run_task(task: str) -> dict[str, Any]:
    """Run one task with the settings in :data:`RUNS`; the settings are stored with the result."""
    cfg = RUNS[task]
    t0 = time.perf_counter()
    res = conversion_experiment(task, width=cfg["width"], delays=tuple(cfg["delays"]), epochs=cfg["epochs"],
                                lr=cfg["lr"], seed=cfg["seed"], task_kwargs=cfg["task_kwargs"])
    res["settings"] = cfg
    res["seconds"] = time.perf_counter() - t0
    return res


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    force = "--force" in args
    tasks = [a for a in args if not a.startswith("--")] or list(RUNS)
    unknown = [t for t in tasks if t not in RUNS]
    if unknown:
        print(f"unknown task(s) {unknown}; choose from {list(RUNS)}", file=sys.stderr)
        return 2
    results: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    for task in tasks:
        if not force and results.get(task, {}).get("settings") == RUNS[task]:
            print(f"{task}: stored, skipped", file=sys.stderr)
            continue
        results[task] = run_task(task)
        OUT.write_text(json.dumps(results, indent=1) + "\n")
        print(f"{task}: {results[task]['seconds']:.0f} s, wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
