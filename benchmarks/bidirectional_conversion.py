"""Convert a trained bidirectional Elman network to streaming d-RNNs; store the numbers.

Runs :func:`numerics.experiments.bidirectional.conversion_experiment` on the
sine-filter task and on sequence reversal and writes
``benchmarks/bidirectional_conversion.json``. A few minutes on 2 cores::

    .venv/bin/python benchmarks/bidirectional_conversion.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from numerics.experiments.bidirectional import conversion_experiment

OUT = Path(__file__).resolve().parent / "bidirectional_conversion.json"

#: The two runs: task, its parameters and the delays of the directly trained d-RNNs.
RUNS = {
    "sine": {"task_kwargs": {"T": 16, "causal": 4, "acausal": 3, "scale": 1.0, "sizes": [2000, 300, 300],
                             "seed": 0}, "delays": (0, 1, 2, 3, 4, 6, 8)},
    "reversal": {"task_kwargs": {"V": 4, "T": 8, "sizes": [2000, 300, 300], "seed": 0},
                 "delays": (0, 3, 5, 7, 10, 14)},
}


def main() -> int:
    results = {}
    for task, cfg in RUNS.items():
        t0 = time.perf_counter()
        results[task] = conversion_experiment(task, width=24, delays=cfg["delays"], epochs=80, lr=3e-3,
                                              seed=0, task_kwargs=cfg["task_kwargs"])
        results[task]["seconds"] = time.perf_counter() - t0
        print(f"{task}: {results[task]['seconds']:.0f} s", file=sys.stderr)
    OUT.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
