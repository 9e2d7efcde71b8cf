"""What a plan asks of the engine, per unit: activation groups, holds, reset mask.

A :class:`theory.layout.Plan` speaks in blocks; the engine works on units.
These functions expand the block-level facts once, for every schedule that
works in the dense unit layout (:mod:`numerics.engine.dense`,
:mod:`numerics.engine.sparse`, :mod:`numerics.engine.blockorder`) and for the
dense-layout caches the others assemble on demand.
"""

from __future__ import annotations

import numpy as np

from numerics.engine.activations import ActGroup
from numerics.engine.cells import cell_of
from theory.layout import Plan, check_plan


def block_runs(plan: Plan) -> tuple[ActGroup, ...]:
    """Runs of consecutive blocks sharing an activation, over the block axis.

    ``ActGroup(name, first, stop)`` covers blocks ``first:stop``; empty for
    cells without a per-block activation (:attr:`numerics.engine.cells.Cell.activated`).
    """
    check_plan(plan)
    if not cell_of(plan.cell).activated:
        return ()
    runs: list[ActGroup] = []
    for l, act in enumerate(plan.activations):
        if runs and runs[-1].name == act:
            runs[-1] = runs[-1]._replace(stop=l + 1)
        else:
            runs.append(ActGroup(str(act), l, l + 1))
    return tuple(runs)


def unit_groups(plan: Plan) -> tuple[ActGroup, ...]:
    """The same runs over the unit axis: ``ActGroup(name, start, stop)`` covers units ``start:stop``."""
    return tuple(ActGroup(name, plan.span(a)[0], plan.span(b - 1)[1]) for name, a, b in block_runs(plan))


def unit_holds(plan: Plan) -> np.ndarray | None:
    """Holds per unit (steps a unit keeps its initial state), shape ``(N,)``, or ``None`` if nothing is held.

    Each block's ``hold`` repeated over its units.
    """
    check_plan(plan)
    if not any(plan.holds):
        return None
    return np.repeat(np.array(plan.holds), plan.widths)


def reset_mask(plan: Plan) -> np.ndarray | None:
    """Entries of a reset-gate cell's (GRU's) last-gate ``W_hn`` that the reset gate multiplies, bool ``(N, N)``.

    ``None`` for cells without a reset gate and for PyTorch's cell
    (``plan.gru_reset == "full"``: the reset gate multiplies all of
    ``W_hn h``); for ``"own"`` the plan's own-block (diagonal) recurrent
    edges, so each block's reading of the others is added outside the reset
    gate.
    """
    check_plan(plan)
    if not cell_of(plan.cell).reset_gate or plan.gru_reset == "full":
        return None
    m = np.zeros((plan.hidden_size,) * 2, dtype=bool)
    for e in plan.recurrent:
        if e.src == e.dst:
            a, b = plan.span(e.dst)
            m[a:b, a:b] = True
    return m


__all__ = [
    "block_runs",
    "reset_mask",
    "unit_groups",
    "unit_holds",
]
