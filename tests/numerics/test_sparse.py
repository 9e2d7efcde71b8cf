"""The block-sparse wavefront equals the dense engine: outputs, final states and every gradient."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import DelayedRNN
from numerics.engine.cost import schedule_costs
from numerics.engine.sparse import sparse_density, sparse_product
from numerics.testing import assert_gradients_match
from theory.layout import relaxed_plan
from theory.topologies import topology_patterns

TOL = {np.float64: (1e-9, 1e-11), np.float32: (2e-4, 2e-5)}
ACTS = ["tanh", "relu", "sigmoid", "identity"]


def _plan(cell: str, widths: list[int], rm: np.ndarray, im: np.ndarray, reset: str, holds: list[int]):
    L = len(widths)
    plan = relaxed_plan(cell, 3, widths, rm, im, delay=L - 1, readout=[L - 1],
                        activations=[ACTS[i % 4] for i in range(L)] if cell == "elman" else "tanh")
    if cell == "gru":
        plan = replace(plan, gru_reset=reset)
    return replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, holds)))


@st.composite
def _cases(draw: st.DrawFn) -> tuple:
    cell = draw(st.sampled_from(["elman", "lstm", "gru"]))
    L = draw(st.integers(1, 5))
    equal = draw(st.booleans())
    widths = [draw(st.integers(1, 4))] * L if equal else draw(st.lists(st.integers(1, 4), min_size=L, max_size=L))
    rm = np.array(draw(st.lists(st.booleans(), min_size=L * L, max_size=L * L))).reshape(L, L)
    im = np.array(draw(st.lists(st.booleans(), min_size=L, max_size=L)))
    reset = draw(st.sampled_from(["full", "own"]))
    holds = draw(st.lists(st.integers(0, 3), min_size=L, max_size=L))
    return cell, widths, rm, im, reset, holds


@settings(max_examples=60, deadline=None)
@given(case=_cases(), T=st.integers(0, 5), B=st.integers(1, 3), dtype=st.sampled_from([np.float64, np.float32]),
       seed=st.integers(0, 1000), final=st.booleans())
def test_sparse_equals_dense(case: tuple, T: int, B: int, dtype: type, seed: int, final: bool) -> None:
    cell, widths, rm, im, reset, holds = case
    net = DelayedRNN.random(_plan(cell, widths, rm, im, reset, holds), dtype=dtype, seed=seed, scale=1.0)
    rtol, atol = TOL[dtype]
    rng = np.random.default_rng(seed)
    N = net.hidden_size
    x = rng.standard_normal((T, B, 3)).astype(dtype)
    h = rng.standard_normal((B, N)).astype(dtype)
    h0 = (h, rng.standard_normal((B, N)).astype(dtype)) if cell == "lstm" else h
    ya, ca = net.forward(x, h0, engine="dense")
    yb, cb = net.forward(x, h0, engine="sparse")
    assert cb.schedule == "sparse"
    np.testing.assert_allclose(yb, ya, rtol=rtol, atol=atol)
    np.testing.assert_allclose(net(x, h0, engine="sparse"), ya, rtol=rtol, atol=atol)
    np.testing.assert_allclose(net.states(x, h0, engine="sparse"), ca.states, rtol=rtol, atol=atol)
    np.testing.assert_allclose(cb.layer.h[-1], ca.layer.h[-1], rtol=rtol, atol=atol)   # final state
    if cell == "lstm":
        np.testing.assert_allclose(cb.layer.c[-1], ca.layer.c[-1], rtol=rtol, atol=atol)
    dy = rng.standard_normal(ya.shape).astype(dtype)
    dhf = None
    if final:
        d = rng.standard_normal((B, N)).astype(dtype)
        dhf = (d, 0.5 * d) if cell == "lstm" else d
    ra = net.backward(ca, dy, dh_final=dhf, return_state_grads=True)
    rb = net.backward(cb, dy, dh_final=dhf, return_state_grads=True)
    np.testing.assert_allclose(rb[0], ra[0], rtol=rtol, atol=atol)
    m_ih, m_hh = net.plan.weight_ih_mask(), net.plan.weight_hh_mask()
    for k, a in ra[1].params.arrays().items():
        b = rb[1].params.arrays()[k]
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, err_msg=k)
    # Masked gradients are exact zeros outside the pattern.
    assert not np.any(rb[1].params.weight_hh[~m_hh]) and not np.any(rb[1].params.weight_ih[~m_ih])
    for a, b in zip(np.atleast_3d(ra[2]), np.atleast_3d(rb[2])):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


@pytest.mark.parametrize("cell,reset", [("elman", "full"), ("lstm", "full"), ("gru", "full"), ("gru", "own")])
def test_sparse_backward_finite_differences(cell: str, reset: str) -> None:
    """The sparse backward's gradients against central differences of a scalar loss (float64)."""
    L = 4
    idx = np.arange(L)
    below = idx[:, None] - idx[None, :]
    rm = (below == 0) | (below == 1) | (below == 2)
    rm[0, L - 1] = True
    plan = _plan(cell, [2, 3, 2, 2], rm, idx % 2 == 0, reset, [0, 1, 0, 2])
    net = DelayedRNN.random(plan, seed=4, scale=1.0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 2, 3))
    w = rng.standard_normal((4, 2, net.output_size))

    def loss(n: DelayedRNN, xx: np.ndarray) -> float:
        return float(np.sum(w * n.forward(xx, engine="sparse")[0]))

    _y, cache = net.forward(x, engine="sparse")
    dx, g = net.backward(cache, w)
    masks = {"weight_hh": net.plan.weight_hh_mask(), "weight_ih": net.plan.weight_ih_mask()}
    assert assert_gradients_match(lambda p: loss(net._with_params(p), x), net.params, g.params, masks=masks,
                                  samples=20) >= 45
    eps = 1e-6
    for i in [(0, 0, 0), (2, 1, 2), (3, 1, 1)]:
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        assert abs((loss(net, xp) - loss(net, xm)) / (2 * eps) - dx[i]) < 1e-6


def test_topology_patterns_run_sparse_and_auto_prefers_it_when_sparse() -> None:
    plans = topology_patterns(8, 64, 4)
    skip = DelayedRNN.random(plans["skip 1 layer"], dtype=np.float32)
    dense = DelayedRNN.random(plans["dense"], dtype=np.float32)
    assert sparse_density(plans["skip 1 layer"]) < 0.4 and sparse_density(plans["dense"]) == 1.0
    # 8 blocks of width 64 without cycles: the block order, priced as the block-sparse wavefront.
    assert skip.engine("auto", batch=32, steps=100) == "blocks"
    assert dense.engine("auto", batch=32, steps=100) == "dense"
    # The modelled cost of the sparse step grows with the number of non-zero blocks.
    c = [schedule_costs(plans[k], 32, 100, ("sparse",))["sparse"] for k in ("stacked", "skip 1 layer", "dense")]
    assert c[0] < c[1] < c[2]


def test_sparse_engine_needs_zeros_outside_the_plan() -> None:
    plan = topology_patterns(4, 2, 1)["skip 1 layer"]
    net = DelayedRNN.random(plan, masked=False)
    with pytest.raises(ValueError, match="engine='sparse' needs zero weights"):
        net.forward(np.zeros((2, 1, 1)), engine="sparse")
    assert net.engine("auto") != "sparse"


def test_regular_views_cover_equal_widths() -> None:
    """Equal widths and consecutive blocks gather and scatter through strided views, not index arrays."""
    plan = topology_patterns(8, 4, 2)["skip 1 layer"]
    lstm = replace(plan, cell="lstm")
    for p in (plan, lstm):
        sp = sparse_product(p, DelayedRNN.random(p).params)
        assert all(g.take_view is not None and g.put_view is not None
                   for g in sp.forward_groups + sp.backward_groups)
