"""The cells, pointwise: gate layout, forward from pre-activations, local derivatives, backward.

Every schedule (:mod:`numerics.engine.registry`) multiplies matrices in its
own order and layout; what happens to a step's pre-activations after the
products, and to its gradients before the next products, is the cell's and is
written once, here. Nothing in this module multiplies two matrices.

Conventions: units are the last axis, any number of leading axes (steps,
blocks, batch) is allowed, and functions write into the arrays they are given
so a loop over time allocates nothing. The sigmoid gates' pre-activations
arrive halved (:func:`gate_scale`), so one ``tanh`` over a step's whole gate
buffer computes every gate (:mod:`numerics.engine.activations`).

Elman  ``h_t = φ(a)``.

LSTM   gates ``[i; f; g; o]`` (PyTorch's order), ``c_t = σ(f) c_{t-1} + σ(i) tanh(g)``,
       ``h_t = σ(o) tanh(c_t)``.

GRU    gates ``[r; z; n]``, ``n = tanh(a_n^x + C h + r (D h + b_hn))``,
       ``h_t = (1 - z) n + z h_{t-1}``; ``D + C = W_hn`` and ``C = 0`` for
       PyTorch's cell (the own-reset cell reads other blocks outside the gate).

Holds (a held unit keeps its state) is not a cell's business:
the schedules zero a held unit's gradients around these functions.

Each cell is a :class:`Cell` object in :data:`CELLS`: its structure (gate
count, whether it carries a second state, whether a reset gate keeps the last
gate's input and hidden sides apart), its pointwise steps in the two layouts
the schedules use (the dense unit layout and the wavefront's padded block
layout) and what the cost model (:mod:`numerics.engine.cost`) knows of it.
The schedules ask the cell object and name no cell. One module per cell
(:mod:`~numerics.engine.cells.elman`, :mod:`~numerics.engine.cells.lstm`,
:mod:`~numerics.engine.cells.gru`) holds its kernels and its :class:`Cell`;
:mod:`~numerics.engine.cells.base` the protocol. Adding a cell means a new
module here with its :class:`Cell` and its line in :data:`CELLS`, its rows in
:data:`theory.layout.GATES` and :data:`theory.layout.GATE_NAMES` (and the
symbolic side in :mod:`theory`), and the oracle
(:mod:`numerics.verify.stepwise`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.engine.activations import ActGroup
from numerics.engine.cells.base import Cell, CellCosts, StepLocals, _split
from numerics.engine.cells.elman import (
    Elman,
    elman_backward,
    elman_forward,
    elman_forward_into,
    elman_local,
    elman_local_one,
)
from numerics.engine.cells.gru import GRU, gru_backward, gru_local, gru_pointwise
from numerics.engine.cells.lstm import LSTM, lstm_backward, lstm_local, lstm_pointwise
from theory.layout import GATES

#: Every cell, by name (the names of :data:`theory.layout.GATES`).
CELLS: dict[str, Cell] = {c.name: c for c in (Elman(), LSTM(), GRU())}

#: Gates (by index in PyTorch's order) that go through a sigmoid: LSTM i, f, o; GRU r, z.
SIGMOID_GATES: dict[str, tuple[int, ...]] = {name: c.sigmoid_gates for name, c in CELLS.items()}


def cell_of(name: str) -> Cell:
    """The :class:`Cell` named ``name`` (a checked cell name, e.g. ``plan.cell``)."""
    return CELLS[name]


def step_locals(cell: str, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None,
                inner: np.ndarray | None, activations: tuple[ActGroup, ...], take: Any) -> StepLocals:
    """:meth:`Cell.step_locals` of ``cell`` from a dense-layout pass (``gates (T, B, G·H)``)."""
    C = CELLS[cell]
    return C.step_locals(h, None if gates is None else _split(gates, C.gates), c, inner, activations, take)


def gate_scale(cell: str, dtype: np.dtype) -> np.ndarray:
    """Per-gate factor, shape ``(G,)``: 0.5 for the sigmoid gates of ``cell``, 1 elsewhere."""
    scale = np.ones(GATES[cell], dtype=dtype)
    scale[list(CELLS[cell].sigmoid_gates)] = 0.5
    return scale


__all__ = [
    "CELLS", "GRU", "LSTM", "SIGMOID_GATES", "Cell", "CellCosts", "Elman", "StepLocals", "cell_of", "elman_backward",
    "elman_forward", "elman_forward_into", "elman_local", "elman_local_one", "gate_scale", "gru_backward", "gru_local",
    "gru_pointwise", "lstm_backward", "lstm_local", "lstm_pointwise", "step_locals",
]
