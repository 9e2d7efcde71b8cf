"""Every rule of ``engine="auto"``, and the check of an explicit ``engine=`` request, in one place.

:class:`numerics.models.delayed.DelayedRNN` hands its plan, whether it is
masked and whether its weights are zero outside the plan, and gets back the
name of the schedule to run (:func:`resolve`). The rules, in order:

1. An unmasked network that trains runs ``"dense"``: every weight gets a
   gradient, and only the dense schedule's backward gives them all without
   converting another schedule's cache first.
2. Candidates: the layer order where the plan allows it (first: on a tie it
   is exactly the stacked network's computation); ``"dense"``; the wavefront
   if :func:`prefer_wavefront`; the block-sparse wavefront for multi-block
   plans outside the stacked structure (on a stacked plan its block order is
   the layer order's computation and its wavefront the wavefront's, each
   with more overhead).
3. :func:`cheapest` by the modelled cost each schedule declares
   (:attr:`numerics.engine.protocol.Schedule.cost`), keeping the layer order
   unless another is below :data:`MARGIN` times its cost.
4. Where the block-sparse wavefront wins and the plan has no cycle between
   blocks, the block order runs instead if :func:`prefer_block_order`
   (priced alike; the rule is measured, see its docstring).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from numerics.engine.cells import cell_of
from numerics.engine.registry import ALIASES, AUTO, REGISTRY, SCHEDULES, get_schedule
from theory._checks import check_choice, check_count
from theory.layout import Plan, check_plan

#: Another schedule replaces the layer order only if its modelled time is below this fraction of the layer order's.
#: The cost model's error between schedules is up to ~15% at moderate widths (numerics.engine.cost), so a
#: smaller predicted gain is no reason to leave the stacked network's schedule.
MARGIN: float = 0.85

#: Every name ``engine=`` accepts.
REQUESTS: tuple[str, ...] = (AUTO, *SCHEDULES, *ALIASES)


def prefer_wavefront(plan: Plan) -> bool:
    """Whether ``"auto"`` considers the wavefront: the stacked structure, and fewer multiply-adds than dense.

    A wavefront step costs ``L · 2n · G·n`` multiply-adds per batch item
    (``n`` the widest block), a dense step ``N · G·N``; with equal widths the
    wavefront step is ``L / 2`` times cheaper, with very unequal widths the
    padding can make it dearer.
    """
    check_plan(plan)
    if get_schedule("wavefront").needs(plan) is not None or len(plan.blocks) < 2:
        return False
    n, L, N = max(plan.widths), len(plan.blocks), plan.hidden_size
    return L * 2 * n * n <= N * N


def prefer_block_order(plan: Plan) -> bool:
    """Whether ``"auto"`` runs an acyclic ``plan`` in block order rather than as the block-sparse wavefront.

    The block order runs ``L·T`` small steps instead of ``T`` wide ones, so
    its Python and NumPy call overhead grows with the number of blocks ``L``
    while the multiply-adds it saves grow with their width. Measured
    (fwd+bwd, one BLAS thread, B = 32, T = 100, skip plans; block order /
    wavefront): Elman 0.4–0.75 up to 8 blocks of any width, 1.6–2.6 for
    16–32 blocks of width 4–16; LSTM 0.8–0.9 with 3–4 blocks, 1.1–1.9 for
    8–16 blocks of width 4–32, about 0.6 for 8 blocks of width 64. Gated
    steps make about three times the NumPy calls of an ungated (one-gate,
    Elman) step, so they need wider blocks to pay.
    """
    L = len(plan.blocks)
    mean_width = plan.hidden_size / L
    return L <= 4 or mean_width >= 48 or (cell_of(plan.cell).gates == 1 and L <= 8)


def cheapest(plan: Plan, batch: int, steps: int, schedules: tuple[str, ...], backward: bool = False) -> str:
    """The layer order unless another of ``schedules`` is modelled faster by a clear margin.

    Parameters
    ----------
    plan : Plan
    batch, steps : int
    schedules : tuple of str
        Registry names.
    backward : bool
        Price the forward and backward pass (training), else the forward alone.

    Returns
    -------
    str
        ``"layers"`` if it is among ``schedules`` and no other schedule's
        modelled time is below :data:`MARGIN` times its own; otherwise the
        schedule with the smallest modelled time (ties go to the earlier
        name). Deterministic: the constants are fixed.
    """
    check_plan(plan)
    check_count(batch, "batch")
    check_count(steps, "steps", minimum=0)
    if isinstance(schedules, (str, bytes)) or not isinstance(schedules, (tuple, list)) or not schedules:
        raise TypeError(f"schedules must be a non-empty tuple of names among {list(SCHEDULES)}; got {schedules!r}")
    costs = {s: get_schedule(s).cost(plan, batch, steps, bool(backward)) for s in schedules}
    best = min(schedules, key=lambda s: costs[s])
    if "layers" in costs and costs[best] >= MARGIN * costs["layers"]:
        return "layers"
    return best


@lru_cache(maxsize=256)
def _need(plan: Plan, name: str) -> str | None:
    return REGISTRY[name].needs(plan)


def runnable(plan: Plan, on_plan: bool) -> tuple[str, ...]:
    """The schedules that run ``plan``, given whether its weights are zero outside the plan's blocks."""
    return tuple(s for s in SCHEDULES if _need(plan, s) is None and (on_plan or not REGISTRY[s].on_plan))


@lru_cache(maxsize=1024)
def choose(plan: Plan, masked: bool, on_plan: bool, batch: int, steps: int, training: bool) -> str:
    """``engine="auto"``'s schedule (the rules of this module's docstring); kept per arguments."""
    if training and not masked:
        return "dense"
    ok = runnable(plan, on_plan)
    stacked = "wavefront" in ok
    options = tuple(s for s, want in (
        ("layers", "layers" in ok),
        ("dense", True),
        ("wavefront", stacked and prefer_wavefront(plan)),
        ("sparse", "sparse" in ok and len(plan.blocks) > 1 and not stacked),
    ) if want)
    best = cheapest(plan, batch, steps, options, backward=training)
    if best == "sparse" and "blocks" in ok and prefer_block_order(plan):
        return "blocks"
    return best


def resolve(plan: Plan, engine: str, *, masked: bool, on_plan: Callable[[], bool], batch: int = 32,
            steps: int = 100, training: bool = True) -> str:
    """The schedule a request runs: ``engine`` checked against the plan, or ``"auto"``'s choice.

    Parameters
    ----------
    plan : Plan
    engine : str
        ``"auto"``, a schedule name or an alias.
    masked : bool
        The network's weights are zero outside the plan by construction.
    on_plan : callable
        ``on_plan()`` tells whether the weights are zero outside the plan
        (called only when it matters and ``masked`` does not settle it).
    batch, steps : int
    training : bool
        ``"auto"`` prices the backward pass too.

    Returns
    -------
    str
        A registry name.

    Raises
    ------
    ValueError
        If the named schedule cannot run this plan or these weights.
    """
    check_choice(engine, REQUESTS, "engine")
    check_count(batch, "batch")
    check_count(steps, "steps", minimum=0)
    if engine == AUTO:
        return choose(plan, bool(masked), bool(masked) or bool(on_plan()), batch, steps, bool(training))
    s = get_schedule(engine)
    need = _need(plan, s.name)
    if need is not None:
        raise ValueError(f"engine={engine!r} needs {need}; use 'dense' or 'auto'")
    if s.on_plan and not (masked or on_plan()):
        raise ValueError(f"engine={engine!r} needs zero weights outside the plan's blocks (a masked network, or "
                         "checked zeros); use 'dense' or 'auto'")
    return s.name


__all__ = ["MARGIN", "REQUESTS", "cheapest", "choose", "prefer_block_order", "prefer_wavefront", "resolve",
           "runnable"]
