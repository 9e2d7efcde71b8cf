"""Small masked delayed networks and their gradients, shared by the schedule contract and the cell tests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from numerics import DelayedRNN
from theory.layout import relaxed_plan


def masked_net(cell: str, kind: str, *, reset: str = "own", holds: tuple[int, ...] = (0, 0, 0),
               dtype: type = np.float64, seed: int = 0) -> DelayedRNN:
    """A masked three-block network: ``stacked`` (every schedule), ``skip`` (acyclic) or ``cyclic``.

    Elman blocks get three different activations (tanh, relu, sigmoid); the
    ``skip`` and ``cyclic`` plans have unequal widths ``[4, 3, 4]``.
    """
    rm = np.eye(3, dtype=bool) | np.eye(3, k=-1, dtype=bool)
    im = np.array([True, False, False])
    if kind == "skip":
        rm[2, 0] = True
    elif kind == "cyclic":
        rm[0, 2] = True
        im[1] = True
    acts = ["tanh", "relu", "sigmoid"] if cell == "elman" else "tanh"
    plan = relaxed_plan(cell, 3, [4, 3, 4] if kind != "stacked" else [4, 4, 4], rm, im, delay=2,
                        readout=[1, 2], activations=acts)
    if cell == "gru":
        plan = replace(plan, gru_reset=reset)
    plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, holds)))
    return DelayedRNN.random(plan, dtype=dtype, seed=seed, scale=1.0)


def random_inputs(net: DelayedRNN, T: int, B: int, seed: int = 1) -> tuple[np.ndarray, object, np.ndarray]:
    """``x (T, B, I)``, initial states (a pair for an LSTM) and ``dy (T, B, O)`` in the network's dtype."""
    rng = np.random.default_rng(seed)
    dt = net.dtype
    x = rng.standard_normal((T, B, net.input_size)).astype(dt)
    h = rng.standard_normal((B, net.hidden_size)).astype(dt)
    h0 = (h, rng.standard_normal((B, net.hidden_size)).astype(dt)) if net.cell == "lstm" else h
    dy = rng.standard_normal((T, B, net.output_size)).astype(dt)
    return x, h0, dy


def run_grads(net: DelayedRNN, engine: str, x: np.ndarray, h0: object, dy: np.ndarray) -> tuple:
    """``(y, dx, parameter gradients by name, initial-state gradients)`` of one pass on ``engine``."""
    y, cache = net.forward(x, h0, engine=engine)
    dx, g, dh0 = net.backward(cache, dy, return_state_grads=True)
    return y, dx, g.params.arrays(), dh0


__all__ = ["masked_net", "random_inputs", "run_grads"]
