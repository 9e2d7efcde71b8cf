"""The schedules a delayed layer can be computed by, named in one place.

A *schedule* is the order in which the single wide layer of a
:class:`numerics.models.delayed.DelayedRNN` is computed; every schedule gives
the same states and gradients up to summation order. This module is the seam
between the model, which asks for a schedule by name, and everything that
must iterate over all of them (the verification claims, the benchmarks, the
cost calibration, the contract tests): they take the names from here, and a
network says which of them can run it with
:meth:`numerics.models.delayed.DelayedRNN.schedules`.

``"auto"`` is not a schedule: it asks the model to choose one.
"""

from __future__ import annotations

#: Every schedule by name, in the order the tools list them.
#: ``"dense"`` multiplies the full recurrent matrix per step, ``"blocked"`` (the wavefront) all blocks of a
#: step in one batched product, ``"layers"`` block by block over all steps, ``"sparse"`` only the plan's
#: non-zero blocks.
SCHEDULES: tuple[str, ...] = ("dense", "blocked", "layers", "sparse")

#: The request that lets the model choose.
AUTO = "auto"


def schedule_names() -> tuple[str, ...]:
    """Every schedule's name, without ``"auto"``.

    Returns
    -------
    tuple of str
    """
    return SCHEDULES


__all__ = ["AUTO", "SCHEDULES", "schedule_names"]
