"""Convert a trained bidirectional Elman network to streaming d-RNNs; store the numbers.

Runs :func:`numerics.experiments.bidirectional.conversion_experiment` on the
sine-filter task and on sequence reversal, once per training seed (the task
data are the same for every seed, so the spread is that of training), and
writes ``benchmarks/bidirectional_conversion.json``. Each ``(task, seed)``
result is written as soon as it finishes, and one already in the file (with
the same settings) is skipped, so an interrupted run resumes where it
stopped. About ten minutes per seed and task on 2 busy cores::

    .venv/bin/python benchmarks/bidirectional_conversion.py            # every task and seed
    .venv/bin/python benchmarks/bidirectional_conversion.py reversal   # one task
    .venv/bin/python benchmarks/bidirectional_conversion.py --force    # recompute
    .venv/bin/python benchmarks/bidirectional_conversion.py --png      # draw the stored tasks

A task's entry holds ``settings``, ``runs`` (seed → the record of
``conversion_experiment``) and ``summary`` (mean, min, max and standard
deviation over the stored seeds of every score, per horizon and per delay;
see :func:`summarise`). A record of the older single-seed layout whose
settings match seed 0 is moved into ``runs`` instead of being recomputed.

``--png`` draws :func:`numerics.figures.bidirectional.plot_conversion` of each
stored task into ``benchmarks/bidirectional_conversion.<task>.png``.

The entry ``stacked`` (no training, seconds) measures the truncation error of
two stacked bidirectional tanh layers on random contractive networks against
the bound of claim ``bidir-approx-bound-stacked``; the entry ``deep`` (no
training, about a minute) does the same for ``L = 1 … 4`` layers against the
bound ``E_L`` of claim ``bidir-approx-bound-deep``.

Training is many small matrix products: with a multi-threaded BLAS on busy
cores, threads fight over them (the first seed-0 run took nine minutes per
task that way). Run with ``OMP_NUM_THREADS=1`` (and under ``nice``) for about
15 seconds per task and seed.
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
from numerics.verify.claims.topology_bounds import (
    deep_bound,
    deep_contractive_net,
    stacked_bound,
    stacked_contractive_net,
)

OUT = Path(__file__).resolve().parent / "bidirectional_conversion.json"

#: The runs: task parameters, delays of the directly trained d-RNNs and training settings.
#: Sized to finish in about ten minutes per (task, seed) on a shared 2-core machine.
RUNS: dict[str, dict[str, Any]] = {
    "sine": {"task_kwargs": {"T": 16, "causal": 4, "acausal": 3, "scale": 1.0, "sizes": [2000, 300, 300],
                             "seed": 0},
             "delays": [0, 1, 2, 3, 4, 6, 8], "width": 24, "epochs": 80, "lr": 3e-3, "seeds": [0, 1, 2, 3, 4]},
    "reversal": {"task_kwargs": {"V": 4, "T": 8, "sizes": [2000, 300, 300], "seed": 0},
                 "delays": [0, 3, 5, 7, 10, 14], "width": 24, "epochs": 80, "lr": 3e-3, "seeds": [0, 1, 2, 3, 4]},
    "stacked": {"input_size": 2, "n1": 4, "n2": 4, "T": 40, "B": 8, "bias": True, "input_scale": 1.0,
                "rhos": [0.5, 0.8], "horizons": [0, 1, 2, 3, 4, 6, 8], "seeds": 10},
    "deep": {"input_size": 2, "width": 4, "layers": [1, 2, 3, 4], "T": 60, "B": 8, "bias": True, "input_scale": 1.0,
             "rhos": [0.5, 0.8], "horizons": [0, 1, 2, 4, 8], "seeds": 10},
}

#: Entries that need no training: the function computing their rows.
UNTRAINED = ("stacked", "deep")


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


def seed_settings(task: str, seed: int) -> dict[str, Any]:
    """The settings of one ``(task, seed)`` run, in the layout the single-seed file stored them."""
    cfg = {k: v for k, v in RUNS[task].items() if k != "seeds"}
    cfg["seed"] = seed
    return cfg


def deep_rows(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """``L`` stacked bidirectional layers, all of width ``width`` and horizon ``h``, every contracted norm ``ρ``.

    Per ``(L, ρ, h)``: the largest error over the steps with ``t + L h < T`` and over ``seeds`` random
    networks (``error_max``, and the median over networks), the bound ``E_L`` of each network from its
    own norms (``bound_min``), the largest error/bound (``ratio_max``) and the median constant
    ``C = E_L / ρ^{h+1}`` (``constant``).
    """
    rows = []
    for L in cfg["layers"]:
        for rho in cfg["rhos"]:
            for h in cfg["horizons"]:
                errs, bounds, ratios = [], [], []
                for seed in range(cfg["seeds"]):
                    c = {"input_size": cfg["input_size"], "widths": [cfg["width"]] * L, "horizons": [h] * L,
                         "rhos": [rho] * L, "bias": cfg["bias"], "input_scale": cfg["input_scale"], "seed": seed}
                    net = deep_contractive_net(c)
                    x = np.random.default_rng(seed + 1).normal(size=(cfg["T"], cfg["B"], cfg["input_size"]))
                    err = float(truncation_error(net, x, [h] * L)[:cfg["T"] - L * h].max())
                    bound = deep_bound(net)
                    errs.append(err)
                    bounds.append(bound)
                    ratios.append(err / bound)
                rows.append({"layers": L, "rho": rho, "h": h, "latency": 2 * L * h + L - 1, "error_max": max(errs),
                             "error_median": float(np.median(errs)), "bound_min": min(bounds),
                             "ratio_max": max(ratios), "constant": float(np.median(bounds)) / rho ** (h + 1)})
    return rows


def run_task(task: str, seed: int = 0) -> dict[str, Any]:
    """Run one task (one seed for the trained tasks) with the settings in :data:`RUNS`; they are stored too."""
    cfg = RUNS[task]
    t0 = time.perf_counter()
    if task in UNTRAINED:
        rows = stacked_rows(cfg) if task == "stacked" else deep_rows(cfg)
        return {"rows": rows, "settings": cfg, "seconds": time.perf_counter() - t0}
    cfg = seed_settings(task, seed)
    res = conversion_experiment(task, width=cfg["width"], delays=tuple(cfg["delays"]), epochs=cfg["epochs"],
                                lr=cfg["lr"], seed=seed, task_kwargs=cfg["task_kwargs"])
    res["settings"] = cfg
    res["seconds"] = time.perf_counter() - t0
    return res


def _spread(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "min": float(a.min()), "max": float(a.max()), "std": float(a.std()),
            "n": int(a.size)}


def summarise(runs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Mean, min, max and standard deviation (ddof 0) over seeds of every score in ``runs``.

    Parameters
    ----------
    runs : dict
        Seed (as a string) → record of ``conversion_experiment``; all of one task.

    Returns
    -------
    dict
        ``task``, ``metric``, ``lookahead_needed``, ``seeds`` (sorted),
        ``bidirectional`` (metric → spread), ``converted`` (one row per
        horizon: ``h``, ``latency``, ``lookahead``, ``units`` and a spread
        per score) and ``drnn`` (one row per delay, the same). A spread is
        ``{"mean", "min", "max", "std", "n"}``.
    """
    seeds = sorted(runs, key=int)
    recs = [runs[s] for s in seeds]
    first = recs[0]
    scores = ["nmse", "mse"] if first["metric"] == "nmse" else ["accuracy", "cross_entropy"]
    out: dict[str, Any] = {"task": first["task"], "metric": first["metric"],
                           "lookahead_needed": first["lookahead_needed"], "seeds": [int(s) for s in seeds],
                           "bidirectional": {k: _spread([r["bidirectional"][k] for r in recs]) for k in scores}}
    conv = []
    for i, row in enumerate(first["converted"]):
        entry = {k: row[k] for k in ("h", "latency", "lookahead", "units")}
        for k in [*scores, "state_error_max", "state_error_mean"]:
            entry[k] = _spread([r["converted"][i][k] for r in recs])
        conv.append(entry)
    drnn = []
    for i, row in enumerate(first["drnn"]):
        entry = {k: row[k] for k in ("delay", "latency", "lookahead", "width", "parameters")}
        for k in scores:
            entry[k] = _spread([r["drnn"][i][k] for r in recs])
        drnn.append(entry)
    out["converted"], out["drnn"] = conv, drnn
    return out


def _migrate(task: str, entry: dict[str, Any]) -> dict[str, Any]:
    """A task entry in the multi-seed layout; a single-seed record matching seed 0 becomes ``runs["0"]``."""
    if "runs" in entry:
        return entry
    runs = {}
    if entry.get("settings") == seed_settings(task, 0):
        runs["0"] = entry
    return {"settings": RUNS[task], "runs": runs}


def _store(task: str, update: Any) -> None:
    """Re-read the file, apply ``update(results)`` and write it back (another writer may have added a task)."""
    results: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    update(results)
    tmp = OUT.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1) + "\n")
    tmp.replace(OUT)


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
            if task in results and results[task].get("summary"):
                png = OUT.with_suffix(f".{task}.png")
                plot_conversion(results[task]["summary"]).savefig(png, dpi=110)
                print(f"wrote {png}", file=sys.stderr)
        return 0
    for task in (t for t in tasks if t in UNTRAINED):
        if force or results.get(task, {}).get("settings") != RUNS[task]:
            res = run_task(task)
            _store(task, lambda r, task=task, res=res: r.__setitem__(task, res))
            print(f"{task}: {res['seconds']:.0f} s, wrote {OUT}", file=sys.stderr)
        else:
            print(f"{task}: stored, skipped", file=sys.stderr)
    trained = [t for t in tasks if t not in UNTRAINED]
    for task in trained:  # move old single-seed records in first, so seed 0 is not recomputed
        _store(task, lambda r, task=task: r.__setitem__(task, _migrate(task, r.get(task, {}))))
    # seed-major order: if the run is stopped early every task has the same number of seeds
    for seed in max((RUNS[t]["seeds"] for t in trained), key=len, default=[]):
        for task in trained:
            if seed not in RUNS[task]["seeds"]:
                continue
            stored = json.loads(OUT.read_text())[task]["runs"].get(str(seed), {})
            if not force and stored.get("settings") == seed_settings(task, seed):
                print(f"{task} seed {seed}: stored, skipped", file=sys.stderr)
                continue
            res = run_task(task, seed)

            def update(r: dict[str, Any], task: str = task, seed: int = seed, res: dict[str, Any] = res) -> None:
                entry = _migrate(task, r.get(task, {}))
                entry["settings"] = RUNS[task]
                entry["runs"][str(seed)] = res
                entry["summary"] = summarise(entry["runs"])
                r[task] = entry

            _store(task, update)
            print(f"{task} seed {seed}: {res['seconds']:.0f} s, wrote {OUT}", file=sys.stderr)
    for task in trained:  # a summary also when every seed was already stored
        def resum(r: dict[str, Any], task: str = task) -> None:
            if r[task]["runs"]:
                r[task]["summary"] = summarise(r[task]["runs"])
        _store(task, resum)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
