"""Which schedule ``engine="auto"`` runs: a cost model of per-step overhead against product cost.

A schedule's time is modelled as

    time ≈ (sequential steps) · (overhead per step) + (multiply-adds) / (rate)

with one overhead constant per schedule (Python and NumPy call overhead of
one step's matrix product and pointwise calls, in microseconds) and one
product rate (multiply-adds per microsecond, for float32 on one core of the
development machine, see benchmarks/RESULTS.md). The constants are
documented, not measured at run time, so the choice is deterministic and the
same on every run; they only need to be right in ratio, since the model only
compares schedules with each other. docs/experiments.md (Runtime) explains
the picture: the wavefront has the shorter critical path (``T + d`` steps),
the layer order the more efficient products (``L·T`` steps, hoisted input
projections, no zero or padded blocks).
"""

from __future__ import annotations

from theory._checks import check_choice, check_count
from theory.layout import Plan, check_plan

#: Overhead per sequential step, µs: one (batched) product and the cell's pointwise calls.
STEP_OVERHEAD_US: dict[str, dict[str, float]] = {
    "dense": {"elman": 6.0, "lstm": 20.0, "gru": 24.0},
    "blocked": {"elman": 9.0, "lstm": 24.0, "gru": 30.0},
    "layers": {"elman": 6.0, "lstm": 20.0, "gru": 24.0},
    "sparse": {"elman": 6.0, "lstm": 20.0, "gru": 24.0},
}
#: The sparse wavefront's extra overhead per batched product (one per shape of block row), µs:
#: a gather of the sources, the product and a scatter of the result.
SPARSE_GROUP_US: float = 12.0
#: Multiply-adds per µs of one small in-loop product ``(B, n) @ (n, G·n)``.
LOOP_RATE: float = 20_000.0
#: The wavefront's batched product ``(L, B, 2n) @ (L, 2n, G·n)`` runs a loop of small products in NumPy.
BATCHED_RATE: float = 12_000.0
#: Pointwise work, µs per state element per step (a few passes over memory).
POINTWISE_US: dict[str, float] = {"elman": 0.0015, "lstm": 0.006, "gru": 0.007}


def schedule_costs(plan: Plan, batch: int, steps: int, schedules: tuple[str, ...]) -> dict[str, float]:
    """Modelled time (µs) of one forward pass over ``steps`` input steps for each schedule.

    Parameters
    ----------
    plan : Plan
    batch : int
    steps : int
        ``T``; every schedule runs ``T + d`` steps of the delayed layer.
    schedules : tuple of str
        Among ``"dense"``, ``"blocked"`` (wavefront), ``"layers"`` and ``"sparse"``
        (block-sparse wavefront).

    Returns
    -------
    dict
        Schedule name to modelled microseconds.
    """
    check_plan(plan)
    check_count(batch, "batch")
    check_count(steps, "steps", minimum=0)
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, (tuple, list)):
        raise TypeError(f"schedules must be a tuple of names among {list(STEP_OVERHEAD_US)}; "
                        f"got {type(schedules).__name__}")
    if not schedules:
        raise ValueError("schedules must name at least one schedule; got an empty sequence")
    for i, s in enumerate(schedules):
        check_choice(s, tuple(STEP_OVERHEAD_US), f"schedules[{i}]")
    cell, G, N, L = plan.cell, plan.gates, plan.hidden_size, len(plan.blocks)
    Tp = steps + plan.delay
    n = max(plan.widths)
    pw = POINTWISE_US[cell] * batch * N
    out: dict[str, float] = {}
    for s in schedules:
        if s == "dense":
            out[s] = Tp * (STEP_OVERHEAD_US[s][cell] + batch * N * G * N / LOOP_RATE + pw)
        elif s == "blocked":
            out[s] = Tp * (STEP_OVERHEAD_US[s][cell] + L * batch * 2 * n * G * n / BATCHED_RATE
                           + POINTWISE_US[cell] * batch * L * n)
        elif s == "sparse":
            slots = 4 if (cell == "gru" and plan.gru_reset == "own") else G
            nnz = sum(plan.blocks[e.dst].width * plan.blocks[e.src].width for e in plan.recurrent)
            shapes = {(sum(plan.blocks[e.src].width for e in plan.recurrent if e.dst == d), plan.blocks[d].width)
                      for d in {e.dst for e in plan.recurrent}}
            out[s] = Tp * (STEP_OVERHEAD_US[s][cell] + SPARSE_GROUP_US * len(shapes)
                           + batch * slots * nnz / BATCHED_RATE + pw)
        elif s == "layers":
            total = 0.0
            for b in plan.blocks:
                k = max(Tp - int(b.hold), 0)
                total += k * (STEP_OVERHEAD_US[s][cell] + batch * b.width * G * b.width / LOOP_RATE
                              + POINTWISE_US[cell] * batch * b.width)
            out[s] = total
        else:
            raise ValueError(f"unknown schedule {s!r}")
    return out


def cheapest(plan: Plan, batch: int, steps: int, schedules: tuple[str, ...]) -> str:
    """The schedule with the smallest modelled time (ties go to the earlier name in ``schedules``)."""
    costs = schedule_costs(plan, batch, steps, schedules)
    return min(schedules, key=lambda s: costs[s])
