"""The schedules a delayed layer can be computed by, named in one place.

A *schedule* is the order in which the single wide layer of a
:class:`numerics.models.delayed.DelayedRNN` is computed; every schedule gives
the same states and gradients up to summation order. Each is one module
defining a :class:`numerics.engine.protocol.Schedule` (what it supports, its
modelled cost, what it prepares from the weights, its forward, whose cache
carries its backward), listed here once. This module is the seam between the
model, which asks for a schedule by name (through
:mod:`numerics.engine.select`), and everything that must iterate over all of
them (the verification claims, the benchmarks, the cost calibration, the
contract tests): they take the names from here, and a network says which of
them can run it with :meth:`numerics.models.delayed.DelayedRNN.schedules`.

``"auto"`` is not a schedule: it asks :mod:`numerics.engine.select` to choose one.
"""

from __future__ import annotations

from numerics.engine import blockorder, dense, layerorder, sparse, wavefront
from numerics.engine.protocol import Schedule

#: Every schedule by name, in the order the tools list them.
REGISTRY: dict[str, Schedule] = {s.name: s for s in (
    dense.SCHEDULE,        # the whole (N, G·N) recurrent matrix per step
    wavefront.SCHEDULE,    # the wavefront: all blocks of a step in one batched product
    layerorder.SCHEDULE,   # block by block over all steps, like the stacked network
    sparse.SCHEDULE,       # the block-sparse wavefront: only the plan's non-zero blocks
    blockorder.SCHEDULE,   # the block order: each block over all steps, plans without cycles between blocks
)}

#: Every schedule's name.
SCHEDULES: tuple[str, ...] = tuple(REGISTRY)

#: Older names still accepted, to the schedule they name.
ALIASES: dict[str, str] = {a: s.name for s in REGISTRY.values() for a in s.aliases}

#: The request that lets the model choose.
AUTO = "auto"


def schedule_names() -> tuple[str, ...]:
    """Every schedule's name, without ``"auto"`` or the aliases.

    Returns
    -------
    tuple of str
    """
    return SCHEDULES


def get_schedule(name: str) -> Schedule:
    """The schedule called ``name`` (an alias such as ``"blocked"`` names the wavefront).

    Raises
    ------
    ValueError
        If no schedule has that name.
    """
    s = REGISTRY.get(ALIASES.get(name, name)) if isinstance(name, str) else None
    if s is None:
        raise ValueError(f"schedule must be one of {list(SCHEDULES)} (or an alias {list(ALIASES)}); got {name!r}")
    return s


__all__ = ["ALIASES", "AUTO", "REGISTRY", "SCHEDULES", "get_schedule", "schedule_names"]
