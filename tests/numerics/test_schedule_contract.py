"""The contract every schedule of the registry keeps, checked against the dense schedule.

Each schedule named by :func:`numerics.engine.registry.schedule_names` that
can run a network (:meth:`numerics.models.delayed.DelayedRNN.schedules`)
must give the dense schedule's outputs, final states and gradients.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from numerics import DelayedRNN
from theory.layout import relaxed_plan

TOL = {np.float64: (1e-9, 1e-11), np.float32: (3e-4, 3e-5)}


def _stacked(L: int) -> np.ndarray:
    return np.eye(L, dtype=bool) | np.eye(L, k=-1, dtype=bool)


def _net(cell: str, kind: str, *, reset: str = "own", holds: tuple[int, ...] = (0, 0, 0),
         dtype: type = np.float64, seed: int = 0) -> DelayedRNN:
    """A masked three-block network: ``stacked`` (every schedule), ``skip`` (acyclic) or ``cyclic``."""
    L = 3
    rm = _stacked(L)
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


def _inputs(net: DelayedRNN, T: int, B: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    dt = net.dtype
    x = rng.standard_normal((T, B, net.input_size)).astype(dt)
    h = rng.standard_normal((B, net.hidden_size)).astype(dt)
    h0 = (h, rng.standard_normal((B, net.hidden_size)).astype(dt)) if net.cell == "lstm" else h
    dy = rng.standard_normal((T, B, net.output_size)).astype(dt)
    return x, h0, dy


def _grads(net: DelayedRNN, engine: str, x, h0, dy):
    y, cache = net.forward(x, h0, engine=engine)
    dx, g, dh0 = net.backward(cache, dy, return_state_grads=True)
    return y, dx, g.params.arrays(), dh0


def _assert_same(a, b, rtol: float, atol: float, what: str) -> None:
    ya, dxa, ga, dha = a
    yb, dxb, gb, dhb = b
    np.testing.assert_allclose(yb, ya, rtol=rtol, atol=atol, err_msg=f"{what}: outputs")
    np.testing.assert_allclose(dxb, dxa, rtol=rtol, atol=atol, err_msg=f"{what}: dx")
    for k in ga:
        np.testing.assert_allclose(gb[k], ga[k], rtol=rtol, atol=atol, err_msg=f"{what}: d{k}")
    for u, v in zip(np.atleast_1d(dha) if not isinstance(dha, tuple) else dha,
                    np.atleast_1d(dhb) if not isinstance(dhb, tuple) else dhb):
        np.testing.assert_allclose(v, u, rtol=rtol, atol=atol, err_msg=f"{what}: initial-state gradient")


CASES = [(cell, kind) for cell in ("elman", "lstm", "gru") for kind in ("stacked", "skip", "cyclic")]


@pytest.mark.parametrize(("cell", "kind"), CASES)
def test_in_place_parameter_edits_reach_every_schedule(cell: str, kind: str) -> None:
    """A notebook's ``net.params.weight_hh *= 0.5`` is seen by every schedule, including ones that ran before."""
    net = _net(cell, kind)
    x, h0, dy = _inputs(net, T=5, B=2)
    names = net.schedules()
    assert len(names) >= 2, names
    for name in names:                      # every schedule runs once, so whatever it keeps is built
        _grads(net, name, x, h0, dy)
    arrays = net.params.arrays()
    for k, edit in (("weight_hh", 0.5), ("weight_ih", -1.5), ("bias_ih", 0.25), ("bias_hh", 2.0)):
        a = arrays[k]
        if k.startswith("bias"):
            a += edit                       # in place: the network object is the same
        else:
            a *= edit
        ref = _grads(net, "dense", x, h0, dy)
        for name in names:
            _assert_same(ref, _grads(net, name, x, h0, dy), *TOL[np.float64], f"{name} after {k} edit")
