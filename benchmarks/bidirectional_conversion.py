"""Convert a trained bidirectional Elman network to streaming d-RNNs; store the numbers.

Runs :func:`numerics.experiments.bidirectional.conversion_experiment` on the
sine-filter task and on sequence reversal and writes
``benchmarks/bidirectional_conversion.json``. Each task's result is written
as soon as it finishes, and a task already in the file (with the same
settings) is skipped, so an interrupted run resumes where it stopped. About
ten minutes on 2 busy cores::

    .venv/bin/python benchmarks/bidirectional_conversion.py            # both tasks
    .venv/bin/python benchmarks/bidirectional_conversion.py reversal   # one task
    .venv/bin/python benchmarks/bidirectional_conversion.py --force    # recompute
    .venv/bin/python benchmarks/bidirectional_conversion.py --png      # draw the stored tasks

``--png`` draws :func:`numerics.figures.bidirectional.plot_conversion` of each
stored task into ``benchmarks/bidirectional_conversion.<task>.png``.

The entry ``stacked`` (no training, seconds) measures the truncation error of
two stacked bidirectional tanh layers on random contractive networks against
the bound of claim ``bidir-approx-bound-stacked``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from numerics.experiments.bidirectional import conversion_experiment
from numerics.models.topology import truncation_error
from numerics.verify.claims.topology import stacked_bound, stacked_contractive_net

OUT = Path(__file__).resolve().parent / "bidirectional_conversion.json"

#: The runs: task parameters, delays of the directly trained d-RNNs and training settings.
#: Sized to finish in about ten minutes on a shared 2-core machine.
RUNS: dict[str, dict[str, Any]] = {
    "sine": {"task_kwargs": {"T": 16, "causal": 4, "acausal": 3, "scale": 1.0, "sizes": [2000, 300, 300],
                             "seed": 0},
             "delays": [0, 1, 2, 3, 4, 6, 8], "width": 24, "epochs": 80, "lr": 3e-3, "seed": 0},
    "reversal": {"task_kwargs": {"V": 4, "T": 8, "sizes": [2000, 300, 300], "seed": 0},
                 "delays": [0, 3, 5, 7, 10, 14], "width": 24, "epochs": 80, "lr": 3e-3, "seed": 0},
    "stacked": {"input_size": 2, "n1": 4, "n2": 4, "T": 40, "B": 8, "bias": True, "input_scale": 1.0,
                "rhos": [0.5, 0.8], "horizons": [0, 1, 2, 3, 4, 6, 8], "seeds": 10},
}


def stacked_rows(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Largest error over the steps with ``t + 2h < T``, over ``seeds`` random networks, next to the bound.

    Both layers share the horizon ``h``; ``ratio`` is the largest error/bound over the networks and
    ``one_layer`` the single-layer bound ``√n ρ^{h+1}`` of layer 1 for scale.
    """
    rows = []
    for rho in cfg["rhos"]:
        for h in cfg["horizons"]:
            errs, ratios, bounds = [], [], []
            for seed in range(cfg["seeds"]):
                c = {k: cfg[k] for k in ("input_size", "n1", "n2", "T", "B", "bias", "input_scale")}
                c.update(h=h, rho=rho, seed=seed)
                net = stacked_contractive_net(c)
                x = np.random.default_rng(seed + 1).normal(size=(cfg["T"], cfg["B"], cfg["input_size"]))
                err = float(truncation_error(net, x, h)[:cfg["T"] - 2 * h].max())
                bound = float(stacked_bound(net, rho, h))
                errs.append(err)
                bounds.append(bound)
                ratios.append(err / bound)
            rows.append({"rho": rho, "h": h, "latency": 4 * h + 1, "error_max": max(errs),
                         "error_median": float(np.median(errs)), "bound_min": min(bounds), "ratio_max": max(ratios),
                         "one_layer": float(np.sqrt(cfg["n1"]) * rho ** (h + 1))})
    return rows


def run_task(task: str) -> dict[str, Any]:
    """Run one task with the settings in :data:`RUNS`; the settings are stored with the result."""
    cfg = RUNS[task]
    t0 = time.perf_counter()
    if task == "stacked":
        return {"rows": stacked_rows(cfg), "settings": cfg, "seconds": time.perf_counter() - t0}
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
    if "--png" in args:
        from numerics.figures.bidirectional import plot_conversion

        for task in ("sine", "reversal"):
            if task in results:
                png = OUT.with_suffix(f".{task}.png")
                plot_conversion(results[task]).savefig(png, dpi=110)
                print(f"wrote {png}", file=sys.stderr)
        return 0
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
