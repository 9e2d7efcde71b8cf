"""Which schedule ``engine="auto"`` runs: a cost model of per-step overhead, products and pointwise work.

A schedule's time is modelled as a sum over its sequential steps,

    time ≈ Σ_steps [ overhead + (multiply-adds) / rate + (pointwise work) ]
           + (multiply-adds of the products hoisted out of the loop) / hoisted rate,

forward and, for training, backward. The terms per step:

- **overhead** (:data:`STEP_US`, µs): the Python and NumPy call overhead of
  one step's product and pointwise calls, per cell and schedule, forward and
  backward. Each cell's figures live on its object
  (:class:`numerics.engine.cells.CellCosts`); a cell without them is priced
  by the per-gate fallback of :func:`figures`. The wavefront runs ``T + d`` steps, the layer
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

**The choice** (:func:`numerics.engine.select.cheapest`). The layer order is exactly the stacked
network's computation, so it is the default wherever it is possible: another
schedule is taken only if its modelled time is below :data:`numerics.engine.select.MARGIN` times
the layer order's. The model's error between schedules is up to ~15% at
moderate widths (LSTM L=3 n=64: the wavefront modelled 6–8% cheaper,
measured 11–27% dearer; GRU L=4 n=32: the block-sparse forward modelled 10%
cheaper, measured 8% dearer), so a smaller predicted gain is no reason to
leave the stacked network's schedule. Without the layer order among the
candidates the cheapest modelled schedule is taken.

Each pass's modelled time is multiplied by a calibration factor
(:data:`SCALE`, per schedule, cell and pass): the per-term constants were
fitted under load and before the wavefront backward was rewritten, and
misjudged the schedules by different factors.

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

from typing import NamedTuple

from numerics.engine.cells import CELLS, cell_of
from theory._checks import check_choice, check_count
from theory.layout import Plan, check_plan

#: The schedules with their own measured figures (the block order is priced as one of them, :data:`PRICED_AS`).
PRICED: tuple[str, ...] = ("dense", "wavefront", "layers", "sparse")


def _measured(field: str) -> dict[str, dict[str, tuple[float, float]]]:
    """One figure of every cell's :class:`numerics.engine.cells.CellCosts`, by schedule and cell name."""
    return {s: {name: getattr(c.costs, field)[s] for name, c in CELLS.items()
                if c.costs is not None and s in getattr(c.costs, field)} for s in PRICED}


#: Overhead per sequential step (µs), ``(forward, backward)``, per schedule and cell (from the cell objects).
STEP_US: dict[str, dict[str, tuple[float, float]]] = _measured("step_us")
#: The sparse wavefront's extra overhead per batched product (one per shape of block row), µs:
#: a gather of the sources, the product and a scatter of the result.
SPARSE_GROUP_US: float = 12.0
#: Pointwise and memory work, µs per state element (batch × unit) per step, ``(forward, backward)``,
#: per schedule and cell (the dense backward writes fresh ``(T', B, G·N)`` arrays, the wavefront reuses
#: its scratch arrays).
POINTWISE_US: dict[str, dict[str, tuple[float, float]]] = _measured("pointwise_us")
#: Fixed cost of one contiguous inner run of a pointwise sweep, in units of one element's cost.
INNER_RUN: float = 48.0
#: Fixed cost per call (µs): ``(base, per block)``, forward only.
CALL_US: dict[str, tuple[float, float]] = {
    "dense": (40.0, 0.0), "wavefront": (60.0, 5.0), "layers": (10.0, 25.0), "sparse": (60.0, 10.0),
}
#: Calibration factor of each pass's modelled time, ``(forward, backward)``, per schedule and cell: the
#: median ratio measured / modelled over the six points of the benchmark's schedules grid (the block-sparse
#: engine: over skip-one-layer plans, see below), float32, one
#: BLAS thread, quiet machine, each pass timed as the benchmark does (inference forward alone; forward with
#: cache + backward, minus the forward), printed by ``benchmarks/calibrate_cost.py``. Measured after the
#: dense engine and the layer order took their arrays from the scratch pool too (they had paid a page fault
#: per page of fresh memory on every call). The per-term constants above were fitted earlier and misjudge
#: the schedules by different factors (0.5–1.0), which no common factor corrects.
#: The block-sparse engine is for plans outside the stacked structure: calibrated on skip-one-layer plans
#: (``calibrate_cost.py --sparse``). Its block order (acyclic plans) is priced as its wavefront, which the
#: factors absorb.
SCALE: dict[str, dict[str, tuple[float, float]]] = _measured("scale")
#: Schedules priced with another's constants: the block order (acyclic plans) as the block-sparse wavefront,
#: whose calibration factors were measured with the block order running where it was preferred.
PRICED_AS: dict[str, str] = {"blocks": "sparse"}
#: Multiply-adds per µs of the in-loop product of the dense engine and the layer order.
LOOP_RATE: float = 75_000.0
#: Multiply-adds per µs of the wavefront's and the sparse engine's batched products.
BATCHED_RATE: float = 60_000.0
#: Multiply-adds per µs of the products over all ``T·B`` rows at once (input projections, weight gradients).
HOISTED_RATE: float = 60_000.0


class Figures(NamedTuple):
    """A cell's figures on one schedule, each ``(forward, backward)``: step overhead, pointwise work, calibration."""

    step_us: tuple[float, float]
    pointwise_us: tuple[float, float]
    scale: tuple[float, float]


def figures(cell: str, schedule: str) -> Figures:
    """The cost figures of ``cell`` on ``schedule``: the cell's own, else the per-gate fallback.

    Parameters
    ----------
    cell : str
        A cell name (:data:`numerics.engine.cells.CELLS`).
    schedule : str
        A priced schedule (:data:`PRICED`) or one priced as another (:data:`PRICED_AS`).

    Returns
    -------
    Figures

    A cell without measured figures for a schedule (a new cell before
    ``benchmarks/calibrate_cost.py`` has measured it) is priced per gate
    from the measured cells: its step overhead and pointwise work are
    ``G`` times the mean, over the cells measured on that schedule, of their
    figure divided by their gate count (a step's NumPy calls and sweeps grow
    with the gate slices it touches), and its calibration factor is the mean
    of theirs. The choice stays deterministic and never fails for lack of a
    row.
    """
    check_choice(cell, sorted(CELLS), "cell")
    check_choice(schedule, (*PRICED, *PRICED_AS), "schedule")
    return _figures(cell, schedule)


def _figures(cell: str, schedule: str) -> Figures:
    """:func:`figures` without the argument checks (the model's inner loop)."""
    c = cell_of(cell)
    s = PRICED_AS.get(schedule, schedule)
    if c.costs is not None and all(s in f for f in c.costs):
        return Figures(c.costs.step_us[s], c.costs.pointwise_us[s], c.costs.scale[s])
    return _fallback(c.gates, s)


def _fallback(G: int, s: str) -> Figures:
    """The per-gate fallback of :func:`figures` for a cell of ``G`` gates on schedule ``s``."""
    measured = [m for m in CELLS.values() if m.costs is not None and all(s in f for f in m.costs)]

    def per_gate(field: str) -> tuple[float, float]:
        return tuple(G * sum(getattr(m.costs, field)[s][k] / m.gates for m in measured) / len(measured)
                     for k in (0, 1))

    scale = tuple(sum(m.costs.scale[s][k] for m in measured) / len(measured) for k in (0, 1))
    return Figures(per_gate("step_us"), per_gate("pointwise_us"), scale)


def _run(s: str, cell: str, N: int, n: int, L: int) -> int:
    """Contiguous run (numbers) a schedule's pointwise kernels sweep."""
    if s in ("dense", "sparse"):
        return N
    if s == "layers":
        return n
    return cell_of(cell).wave_run(n, L)      # the wavefront's kernels sweep per block or per gate slice


def _schedule_cost(plan: Plan, batch: int, steps: int, s: str, backward: bool) -> float:
    """Modelled µs of one schedule: forward, plus its backward pass if ``backward``, each calibrated."""
    s = PRICED_AS.get(s, s)
    L, Tp = len(plan.blocks), steps + plan.delay
    base, per_block = CALL_US[s]
    total = 0.0
    for k in ((0, 1) if backward else (0,)):
        fixed = (base + per_block * L) if k == 0 else 0.0
        total += _figures(plan.cell, s).scale[k] * (fixed + _pass_cost(plan, batch, Tp, s, bool(k)))
    return total


def _pass_cost(plan: Plan, B: int, Tp: int, s: str, bw: bool) -> float:
    """Uncalibrated modelled µs of one pass of schedule ``s`` over ``Tp`` steps (the backward one if ``bw``)."""
    cell, G, N, L, I = plan.cell, plan.gates, plan.hidden_size, len(plan.blocks), plan.input_size
    n = max(plan.widths)
    # The own-reset GRU's candidate splits W_hn in two (inside and outside the reset gate).
    Gh = cell_of(cell).slots(plan.gru_reset == "own")
    k = int(bw)
    fig = _figures(cell, s)
    over, e = fig.step_us[k], fig.pointwise_us[k]
    proj = (2 if bw else 1) * B * I * G                  # input projection; backward: dW_ih and dx
    total = 0.0
    if s == "layers":
        prev = I
        for blk in plan.blocks:
            steps_l, w = max(Tp - int(blk.hold), 0), blk.width
            pw = e * B * w * (1.0 + INNER_RUN / w)
            total += steps_l * (over + B * w * G * w / LOOP_RATE + pw)
            total += steps_l * B * ((2 * prev + w) if bw else prev) * G * w / HOISTED_RATE
            prev = w
        return total
    run = _run(s, cell, N, n, L)
    if s == "dense":
        units, macs = N, B * N * Gh * N
        rate = LOOP_RATE
    elif s == "wavefront":
        units, macs = L * n, L * B * 2 * n * Gh * n
        rate = BATCHED_RATE
    else:
        slots = Gh
        nnz = sum(plan.blocks[ed.dst].width * plan.blocks[ed.src].width for ed in plan.recurrent)
        shapes = {(sum(plan.blocks[ed.src].width for ed in plan.recurrent if ed.dst == d), plan.blocks[d].width)
                  for d in {ed.dst for ed in plan.recurrent}}
        units, macs = N, B * slots * nnz
        rate = BATCHED_RATE
        over += SPARSE_GROUP_US * len(shapes)
    total += Tp * (over + macs / rate + e * B * units * (1.0 + INNER_RUN / run))
    total += Tp * (proj * (N if s in ("dense", "sparse") else n) + (macs if bw else 0)) / HOISTED_RATE
    return total


def schedule_cost(plan: Plan, batch: int, steps: int, schedule: str, backward: bool = False) -> float:
    """Modelled µs of one schedule (forward, plus backward if ``backward``), checked arguments not re-checked.

    What each registry entry's :attr:`numerics.engine.protocol.Schedule.cost` calls with its own name.
    """
    return _schedule_cost(plan, batch, steps, schedule, bool(backward))


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
        Among ``"dense"``, ``"wavefront"``, ``"layers"``, ``"sparse"``
        (block-sparse wavefront) and ``"blocks"`` (block order).
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
        check_choice(s, (*STEP_US, *PRICED_AS), f"schedules[{i}]")
    return {s: _schedule_cost(plan, batch, steps, s, bool(backward)) for s in schedules}


__all__ = [
    "BATCHED_RATE",
    "CALL_US",
    "HOISTED_RATE",
    "INNER_RUN",
    "LOOP_RATE",
    "POINTWISE_US",
    "PRICED",
    "PRICED_AS",
    "SCALE",
    "SPARSE_GROUP_US",
    "STEP_US",
    "Figures",
    "figures",
    "schedule_cost",
    "schedule_costs",
]
