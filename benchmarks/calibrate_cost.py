"""Measure the calibration factors ``SCALE`` of the cost model behind ``engine="auto"``.

For every point of ``bench.py``'s schedules section and every schedule of the
registry (:func:`numerics.engine.registry.schedule_names`) that the
construction's delayed network supports (:meth:`DelayedRNN.schedules`), times the forward pass alone
(inference) and the backward pass (forward with cache plus backward, minus
the forward), interleaved round by round, best of N, and prints per
schedule, cell and pass the median of measured / modelled time over the
points, with the modelled time taken *without* calibration. These medians
are what ``numerics.engine.cost.SCALE`` records::

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/calibrate_cost.py --repeats 7

Run it on a quiet machine, one BLAS thread (it pins one with threadpoolctl).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from typing import Any

import numpy as np

from numerics import StackedRNN
from numerics.engine import cost
from numerics.engine.registry import schedule_names
from numerics.models import delayed_gru

POINTS = [(1, 16, 32, 50), (3, 64, 32, 100), (6, 256, 64, 200), (5, 24, 32, 100), (4, 32, 64, 50),
          (6, 16, 32, 200)]
#: The block-sparse engine is for plans outside the stacked structure: it is calibrated on skip-one-layer
#: plans (block l reads blocks l, l - 1 and l - 2), the plan of bench.py's sparse section among them.
SPARSE_POINTS = [(8, 64, 32, 100), (6, 32, 32, 100), (8, 16, 32, 100)]


def network(cell: str, L: int, n: int, sparse: bool) -> Any:
    """The construction's delayed network of an L-layer stacked one, or a skip-one-layer plan's network."""
    if sparse:
        from numerics import DelayedRNN
        from theory.layout import relaxed_plan

        idx = np.arange(L)
        below = idx[:, None] - idx[None, :]
        plan = relaxed_plan(cell, 8, [n] * L, (below >= 0) & (below <= 2), idx == 0, delay=L - 1)
        return DelayedRNN.random(plan, dtype=np.float32, seed=0)
    net = StackedRNN.random(8, [n] * L, cell=cell, dtype=np.float32, seed=0)
    return delayed_gru(net, "own") if cell == "gru" else net.to_delayed()


def uncalibrated(plan: Any, batch: int, steps: int, s: str, backward: bool) -> float:
    """The model's µs for one pass of ``s`` (the backward one if ``backward``) before its SCALE factor."""
    L, Tp = len(plan.blocks), steps + plan.delay
    s = cost.PRICED_AS.get(s, s)
    base, per_block = cost.CALL_US[s]
    fixed = 0.0 if backward else base + per_block * L
    return fixed + cost._pass_cost(plan, batch, Tp, s, backward)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--schedules", nargs="+", default=None, choices=schedule_names(),
                    help="default: every registry schedule the networks support")
    ap.add_argument("--sparse", action="store_true",
                    help="calibrate on skip-one-layer plans (outside the stacked structure) instead")
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    rng = np.random.default_rng(5)
    ratios: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for cell in ("elman", "lstm", "gru"):
        for L, n, B, T in SPARSE_POINTS if args.sparse else POINTS:
            d = network(cell, L, n, args.sparse)
            wanted = args.schedules or schedule_names()
            # A stacked plan is not what the block-sparse schedules are for (auto keeps them off it).
            runs = [s for s in d.schedules() if s in wanted and (args.sparse or s not in ("sparse", "blocks"))]
            x = rng.standard_normal((T, B, 8)).astype(np.float32)
            dy = rng.standard_normal((T, B, n)).astype(np.float32)
            best: dict[tuple[str, str], float] = defaultdict(lambda: float("inf"))
            for _ in range(args.repeats + 1):          # the first round warms up
                for s in runs:
                    t0 = time.perf_counter()
                    d(x, engine=s)
                    t1 = time.perf_counter()
                    _, c = d.forward(x, engine=s)
                    t2 = time.perf_counter()
                    d.backward(c, dy)
                    t3 = time.perf_counter()
                    best[s, "f"] = min(best[s, "f"], t1 - t0)
                    best[s, "fc"] = min(best[s, "fc"], t2 - t1)
                    best[s, "b"] = min(best[s, "b"], t3 - t2)
            for s in runs:
                fwd = 1e6 * best[s, "f"]
                bwd = 1e6 * (best[s, "fc"] + best[s, "b"] - best[s, "f"])
                ratios[s, cell, 0].append(fwd / uncalibrated(d.plan, B, T, s, False))
                ratios[s, cell, 1].append(bwd / uncalibrated(d.plan, B, T, s, True))
    print("schedule  cell   forward  backward   (median measured / uncalibrated model)")
    for s in schedule_names():
        for cell in ("elman", "lstm", "gru"):
            if not ratios[s, cell, 0]:
                continue
            f, b = (statistics.median(ratios[s, cell, k]) for k in (0, 1))
            print(f"{s:9s} {cell:6s} {f:7.2f}  {b:8.2f}")


if __name__ == "__main__":
    main()
