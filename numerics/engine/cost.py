"""Which schedule ``engine="auto"`` runs: a cost model of per-step overhead, products and pointwise work.

A schedule's time is modelled as a sum over its sequential steps,

    time ≈ Σ_steps [ overhead + (multiply-adds) / rate + (pointwise work) ]
           + (multiply-adds of the products hoisted out of the loop) / hoisted rate,

forward and, for training, backward. The terms per step:

- **overhead** (:data:`STEP_US`, µs): the Python and NumPy call overhead of
  one step's product and pointwise calls, per cell and schedule, forward and
  backward. The wavefront (``"blocked"``) runs ``T + d`` steps, the layer
  order ``≈ L·T``, the dense and block-sparse engines ``T + d``.
- **products**: the step's multiply-adds at :data:`STEP_RATE` — the dense
  engine multiplies the whole ``(N, G·N)`` matrix, zeros included; the
  wavefront ``L`` products ``(B, 2n) @ (2n, G·n)`` (``n`` the widest block,
  narrower ones zero-padded); the layer order one ``(B, n) @ (n, G·n)`` per
  block step. The input projections (and, in the backward pass, the weight
  gradients and the input gradient) are hoisted out of the loop and run at
  :data:`HOISTED_RATE`.
- **pointwise work**: :data:`POINTWISE_US` µs per state element (batch ×
  unit) per step, times ``1 + INNER_US / w`` where ``w`` is the contiguous
  run the elementwise kernels sweep (``N`` for the dense engine, the block
  width otherwise): NumPy pays a fixed cost for every inner run, so a sweep
  over rows of 16 numbers is several times dearer per element than one over
  rows of 1024.
- a fixed cost per call (:data:`CALL_US`: preparing the padded weights,
  buffers, per-block parameter slices).

Training (``backward=True``) adds the backward pass of the same schedule:
the engines' backward passes mirror their forward loops (the block-sparse
engine's backward is priced like the dense one's loop with its own product).

The constants were fitted to float32 timings on one core of the development
machine (``benchmarks/bench.py``'s schedules section, interleaved best-of-N;
see benchmarks/RESULTS.md). They are documented constants, not measured at
run time, so the choice is deterministic; they only need to be right in
ratio, since the model only compares schedules with each other. The picture
(docs/experiments.md, Runtime): the wavefront has the shorter critical path
(``T + d`` steps instead of ``L·T``) and wins where per-step overhead
dominates (narrow layers, several of them); the layer order has the more
efficient products (hoisted input projections, no zero or padded blocks) and
wins for wide layers; the dense engine's single ``(B, N) @ (N, G·N)``
product and its long pointwise rows win for very narrow blocks.
"""

from __future__ import annotations

from theory._checks import check_choice, check_count
from theory.layout import Plan, check_plan

#: Overhead per sequential step (µs), ``(forward, backward)``, per schedule and cell.
STEP_US: dict[str, dict[str, tuple[float, float]]] = {
    "dense": {"elman": (4.0, 5.0), "lstm": (13.0, 12.0), "gru": (16.0, 14.0)},
    "blocked": {"elman": (5.0, 7.0), "lstm": (14.0, 16.0), "gru": (20.0, 20.0)},
    "layers": {"elman": (4.0, 5.0), "lstm": (13.0, 12.0), "gru": (16.0, 14.0)},
    "sparse": {"elman": (6.0, 6.0), "lstm": (20.0, 14.0), "gru": (24.0, 16.0)},
}
#: Fixed cost per call (µs): ``(base, per block)``.
CALL_US: dict[str, tuple[float, float]] = {
    "dense": (40.0, 0.0), "blocked": (60.0, 5.0), "layers": (10.0, 25.0), "sparse": (60.0, 10.0),
}
#: The sparse wavefront's extra overhead per batched product (one per shape of block row), µs:
#: a gather of the sources, the product and a scatter of the result.
SPARSE_GROUP_US: float = 12.0
#: Multiply-adds per µs of the small in-loop products (one ``(B, k) @ (k, m)`` or a batch of them).
STEP_RATE: float = 40_000.0
#: Multiply-adds per µs of the products over all ``T·B`` rows at once (input projections, weight gradients).
HOISTED_RATE: float = 60_000.0
#: Pointwise work, µs per state element (batch × unit) per step, ``(forward, backward)``.
POINTWISE_US: dict[str, tuple[float, float]] = {
    "elman": (0.0006, 0.0010), "lstm": (0.0025, 0.0040), "gru": (0.0030, 0.0045),
}
#: Fixed cost of one contiguous inner run of a pointwise sweep, in units of one element's cost.
INNER_US: float = 16.0


def _pointwise(cell: str, elements: float, run: int, backward: bool) -> float:
    """Pointwise µs for ``elements`` state elements swept in contiguous runs of ``run`` numbers."""
    return POINTWISE_US[cell][int(backward)] * elements * (1.0 + INNER_US / max(run, 1))


def _schedule_cost(plan: Plan, batch: int, steps: int, s: str, backward: bool) -> float:
    """Modelled µs of one schedule: forward, plus its backward pass if ``backward``."""
    cell, G, N, L, I = plan.cell, plan.gates, plan.hidden_size, len(plan.blocks), plan.input_size
    B, Tp = batch, steps + plan.delay
    n = max(plan.widths)
    # The own-reset GRU's candidate splits W_hn in two (inside and outside the reset gate).
    Gh = G + (1 if (cell == "gru" and plan.gru_reset == "own") else 0)
    passes = (False, True) if backward else (False,)
    base, per_block = CALL_US[s]
    total = base + per_block * L
    for bw in passes:
        over = STEP_US[s][cell][int(bw)]
        if s == "dense":
            total += Tp * (over + B * N * Gh * N / STEP_RATE + _pointwise(cell, B * N, N, bw))
            total += Tp * B * I * G * N / HOISTED_RATE * (2 if bw else 1)
            if bw:
                total += Tp * B * Gh * N * N / HOISTED_RATE          # dW_hh over the whole matrix
        elif s == "blocked":
            total += Tp * (over + L * B * 2 * n * Gh * n / STEP_RATE + _pointwise(cell, B * L * n, n, bw))
            total += Tp * B * I * G * n / HOISTED_RATE * (2 if bw else 1)
            if bw:
                total += Tp * B * L * 2 * n * Gh * n / HOISTED_RATE
        elif s == "sparse":
            slots = 4 if (cell == "gru" and plan.gru_reset == "own") else G
            nnz = sum(plan.blocks[e.dst].width * plan.blocks[e.src].width for e in plan.recurrent)
            shapes = {(sum(plan.blocks[e.src].width for e in plan.recurrent if e.dst == d), plan.blocks[d].width)
                      for d in {e.dst for e in plan.recurrent}}
            total += Tp * (over + SPARSE_GROUP_US * len(shapes) + B * slots * nnz / STEP_RATE
                           + _pointwise(cell, B * N, N, bw))
            if bw:
                total += Tp * B * slots * nnz / HOISTED_RATE
        elif s == "layers":
            prev_width = I
            for b in plan.blocks:
                k = max(Tp - int(b.hold), 0)
                w = b.width
                total += k * (over + B * w * G * w / STEP_RATE + _pointwise(cell, B * w, w, bw))
                # Forward: the input projection; backward: its weight and input gradients and dW_hh.
                total += k * B * ((2 * prev_width + w) if bw else prev_width) * G * w / HOISTED_RATE
                prev_width = w
        else:
            raise ValueError(f"unknown schedule {s!r}")
    return total


def schedule_costs(plan: Plan, batch: int, steps: int, schedules: tuple[str, ...],
                   backward: bool = False) -> dict[str, float]:
    """Modelled time (µs) of one pass over ``steps`` input steps for each schedule.

    Parameters
    ----------
    plan : Plan
    batch : int
    steps : int
        ``T``; every schedule runs ``T + d`` steps of the delayed layer.
    schedules : tuple of str
        Among ``"dense"``, ``"blocked"`` (wavefront), ``"layers"`` and ``"sparse"``
        (block-sparse wavefront).
    backward : bool
        False: the forward pass alone (inference); True: forward and backward
        (training).

    Returns
    -------
    dict
        Schedule name to modelled microseconds.
    """
    check_plan(plan)
    check_count(batch, "batch")
    check_count(steps, "steps", minimum=0)
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, (tuple, list)):
        raise TypeError(f"schedules must be a tuple of names among {list(STEP_US)}; "
                        f"got {type(schedules).__name__}")
    if not schedules:
        raise ValueError("schedules must name at least one schedule; got an empty sequence")
    for i, s in enumerate(schedules):
        check_choice(s, tuple(STEP_US), f"schedules[{i}]")
    return {s: _schedule_cost(plan, batch, steps, s, bool(backward)) for s in schedules}


def cheapest(plan: Plan, batch: int, steps: int, schedules: tuple[str, ...], backward: bool = False) -> str:
    """The schedule with the smallest modelled time (ties go to the earlier name in ``schedules``)."""
    costs = schedule_costs(plan, batch, steps, schedules, backward)
    return min(schedules, key=lambda s: costs[s])


__all__ = ["CALL_US", "HOISTED_RATE", "INNER_US", "POINTWISE_US", "SPARSE_GROUP_US", "STEP_RATE", "STEP_US",
           "cheapest", "schedule_costs"]
