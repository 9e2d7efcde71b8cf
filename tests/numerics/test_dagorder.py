"""The block order of acyclic plans equals the dense engine and the sparse wavefront: states, cache, gradients."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numerics import DelayedRNN
from numerics.engine.blockorder import block_order, dag_backward, dag_forward, topological_blocks
from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.select import prefer_block_order
from numerics.engine.sparse import sparse_backward, sparse_forward, sparse_product
from numerics.engine.units import reset_mask, unit_groups, unit_holds
from numerics.testing import assert_gradients_match
from theory.layout import Plan, relaxed_plan
from theory.topologies import topology_patterns

TOL = {np.float64: (1e-9, 1e-11), np.float32: (2e-4, 2e-5)}
ACTS = ["tanh", "relu", "sigmoid", "identity"]


@st.composite
def acyclic_plans(draw: st.DrawFn) -> Plan:
    """Relaxed plans whose edges between different blocks follow a random order of the blocks (no cycle).

    Every cell (both GRU resets), random self-loops, input masks, unequal
    widths, mixed Elman activations and holds.
    """
    cell = draw(st.sampled_from(["elman", "lstm", "gru"]))
    L = draw(st.integers(1, 5))
    order = draw(st.permutations(range(L)))
    rank = np.empty(L, int)
    rank[list(order)] = np.arange(L)
    lower = np.array(draw(st.lists(st.booleans(), min_size=L * L, max_size=L * L))).reshape(L, L)
    rm = lower & (rank[:, None] > rank[None, :])          # dst reads src only if src comes first
    rm |= np.diag(draw(st.lists(st.booleans(), min_size=L, max_size=L)))
    im = np.array(draw(st.lists(st.booleans(), min_size=L, max_size=L)))
    widths = draw(st.lists(st.integers(1, 4), min_size=L, max_size=L))
    plan = relaxed_plan(cell, 3, widths, rm, im, delay=draw(st.integers(0, 3)),
                        readout=draw(st.lists(st.integers(0, L - 1), min_size=1, max_size=L, unique=True)),
                        activations=[ACTS[(i + draw(st.integers(0, 3))) % 4] for i in range(L)]
                        if cell == "elman" else "tanh")
    if cell == "gru":
        plan = replace(plan, gru_reset=draw(st.sampled_from(["full", "own"])))
    holds = draw(st.lists(st.integers(0, 3), min_size=L, max_size=L))
    return replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, holds)))


def _dense(plan: Plan, net: DelayedRNN, x: np.ndarray, h0: np.ndarray, c0: np.ndarray | None):
    return layer_forward(plan.cell, net.params, x, h0, c0, activations=unit_groups(plan), hold=unit_holds(plan),
                         reset_mask=reset_mask(plan))


def _inputs(plan: Plan, T: int, B: int, dtype: type, seed: int):
    rng = np.random.default_rng(seed)
    N = plan.hidden_size
    x = rng.standard_normal((T, B, 3)).astype(dtype)
    h0 = rng.standard_normal((B, N)).astype(dtype)
    c0 = rng.standard_normal((B, N)).astype(dtype) if plan.cell == "lstm" else None
    return rng, x, h0, c0


@settings(max_examples=80, deadline=None)
@given(plan=acyclic_plans(), T=st.integers(0, 5), B=st.integers(1, 3),
       dtype=st.sampled_from([np.float64, np.float32]), seed=st.integers(0, 1000), final=st.booleans())
def test_block_order_equals_dense_engine(plan: Plan, T: int, B: int, dtype: type, seed: int, final: bool) -> None:
    net = DelayedRNN.random(plan, dtype=dtype, seed=seed, scale=1.0)
    rtol, atol = TOL[dtype]
    rng, x, h0, c0 = _inputs(plan, T, B, dtype, seed)
    bo = block_order(plan, net.params)
    assert bo is not None
    sa, ca = _dense(plan, net, x, h0, c0)
    sb, cb = dag_forward(bo, net.params, x, h0, c0, plan_reset_mask=reset_mask(plan))
    np.testing.assert_allclose(sb, sa, rtol=rtol, atol=atol)
    for f in ("h", "c", "gates", "tanh_c", "hn"):
        if getattr(ca, f) is not None:
            np.testing.assert_allclose(getattr(cb, f), getattr(ca, f), rtol=rtol, atol=atol, err_msg=f)
    assert cb.activations == ca.activations
    assert (cb.hold is None) == (ca.hold is None) and (cb.hold is None or np.array_equal(cb.hold, ca.hold))
    s_inf, none = dag_forward(bo, net.params, x, h0, c0, keep_cache=False)
    assert none is None
    np.testing.assert_allclose(s_inf, sa, rtol=rtol, atol=atol)
    dh = rng.standard_normal(sa.shape).astype(dtype)
    dhf = rng.standard_normal(h0.shape).astype(dtype) if final else None
    dcf = rng.standard_normal(h0.shape).astype(dtype) if final and c0 is not None else None
    ra = layer_backward(ca, dh, dhf, dcf)
    m_ih, m_hh = plan.weight_ih_mask(), plan.weight_hh_mask()
    # Either backward on either forward's cache.
    for cache in (cb, ca):
        rb = dag_backward(bo, cache, dh, dhf, dcf)
        np.testing.assert_allclose(rb[0], ra[0], rtol=rtol, atol=atol)
        masks = {"weight_ih": m_ih, "weight_hh": m_hh}
        for k, a in ra[1].arrays().items():
            b = rb[1].arrays()[k]
            m = masks.get(k, True)
            np.testing.assert_allclose(b, a * m, rtol=rtol, atol=atol, err_msg=k)
            assert b.dtype == dtype
        assert not np.any(rb[1].weight_hh[~m_hh]) and not np.any(rb[1].weight_ih[~m_ih])
        np.testing.assert_allclose(rb[2], ra[2], rtol=rtol, atol=atol)
        if c0 is not None:
            np.testing.assert_allclose(rb[3], ra[3], rtol=rtol, atol=atol)
        else:
            assert rb[3] is None


@settings(max_examples=40, deadline=None)
@given(plan=acyclic_plans(), T=st.integers(0, 4), B=st.integers(1, 2), seed=st.integers(0, 1000))
def test_sparse_schedules_agree_through_the_network(plan: Plan, T: int, B: int, seed: int) -> None:
    """``engine="sparse"`` and ``engine="blocks"``: the same outputs and masked gradients as the dense engine."""
    net = DelayedRNN.random(plan, seed=seed, scale=1.0)
    rng, x, h, c = _inputs(plan, T, B, np.float64, seed)
    h0 = (h, c) if c is not None else h
    ya, ca = net.forward(x, h0, engine="dense")
    dy = rng.standard_normal(ya.shape)
    ra = net.backward(ca, dy, return_state_grads=True)
    for engine in ("sparse", "blocks"):
        yb, cb = net.forward(x, h0, engine=engine)
        assert cb.schedule == engine
        np.testing.assert_allclose(yb, ya, rtol=1e-9, atol=1e-11)
        rb = net.backward(cb, dy, return_state_grads=True)
        for k, a in ra[1].params.arrays().items():
            np.testing.assert_allclose(rb[1].params.arrays()[k], a, rtol=1e-9, atol=1e-11, err_msg=k)
    # Either backward accepts either forward's dense-layout cache.
    sp, bo = sparse_product(plan, net.params), block_order(plan, net.params)
    xp = np.concatenate([x, np.zeros((plan.delay, B, 3))])
    s_w, c_w = sparse_forward(plan, net.params, xp, h, c, product=sp)
    s_b, c_b = dag_forward(bo, net.params, xp, h, c, plan_reset_mask=reset_mask(plan))
    np.testing.assert_allclose(s_b, s_w, rtol=1e-9, atol=1e-11)
    ds = rng.standard_normal(s_w.shape)
    g_w = sparse_backward(sp, c_b, ds)
    g_b = dag_backward(bo, c_w, ds)
    np.testing.assert_allclose(g_b[0], g_w[0], rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(g_b[1].weight_hh, g_w[1].weight_hh, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(g_b[2], g_w[2], rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("cell,reset", [("elman", "full"), ("lstm", "full"), ("gru", "full"), ("gru", "own")])
def test_block_order_backward_finite_differences(cell: str, reset: str) -> None:
    """The block-order backward against central differences of a scalar loss (float64), holds included."""
    L = 4
    # Block order 2, 0, 3, 1 (not the index order): 0 reads 2; 3 reads 0 and 2; 1 reads 3 and 0.
    rm = np.eye(L, dtype=bool)
    for dst, src in ((0, 2), (3, 0), (3, 2), (1, 3), (1, 0)):
        rm[dst, src] = True
    rm[2, 2] = False                                      # a block without a self-loop
    plan = relaxed_plan(cell, 3, [2, 3, 2, 2], rm, np.array([True, False, True, False]), delay=2,
                        readout=[1, 3],
                        activations=["tanh", "sigmoid", "relu", "identity"] if cell == "elman" else "tanh")
    if cell == "gru":
        plan = replace(plan, gru_reset=reset)
    plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, [0, 1, 0, 2])))
    assert topological_blocks(plan) == (2, 0, 3, 1)
    net = DelayedRNN.random(plan, seed=4, scale=1.0)
    bo = block_order(plan, net.params)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((2, plan.hidden_size))
    c0 = rng.standard_normal((2, plan.hidden_size)) if cell == "lstm" else None
    w = rng.standard_normal((5, 2, plan.hidden_size))
    wf = rng.standard_normal((2, plan.hidden_size))

    def loss(p, xx: np.ndarray, hh: np.ndarray) -> float:
        s, cache = dag_forward(block_order(plan, p), p, xx, hh, c0)
        return float(np.sum(w * s) + np.sum(wf * cache.h[-1]))

    _s, cache = dag_forward(bo, net.params, x, h0, c0)
    dx, g, dh0, _dc0 = dag_backward(bo, cache, w, wf)
    masks = {"weight_hh": plan.weight_hh_mask(), "weight_ih": plan.weight_ih_mask()}
    assert assert_gradients_match(lambda p: loss(p, x, h0), net.params, g, masks=masks, samples=40) >= 65
    eps = 1e-6
    for i in [(0, 0, 0), (2, 1, 2), (4, 1, 1)]:
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        assert abs((loss(net.params, xp, h0) - loss(net.params, xm, h0)) / (2 * eps) - dx[i]) < 1e-6
    for i in [(0, 0), (1, 4), (0, 8)]:
        hp, hm = h0.copy(), h0.copy()
        hp[i] += eps
        hm[i] -= eps
        assert abs((loss(net.params, x, hp) - loss(net.params, x, hm)) / (2 * eps) - dh0[i]) < 1e-6


def test_topological_blocks() -> None:
    plans = topology_patterns(4, 4)
    assert topological_blocks(plans["stacked"]) == (0, 1, 2, 3)
    assert topological_blocks(plans["skip 1 layer"]) == (0, 1, 2, 3)
    rm = np.eye(3, dtype=bool)
    rm[0, 1] = rm[1, 2] = rm[2, 0] = True                 # a cycle through three blocks
    cyclic = relaxed_plan("elman", 1, [1, 1, 1], rm, np.ones(3, bool), delay=0)
    assert topological_blocks(cyclic) is None
    assert block_order(cyclic, DelayedRNN.random(cyclic).params) is None
    net = DelayedRNN.random(cyclic)
    assert "blocks" not in net.schedules() and "sparse" in net.schedules()
    with pytest.raises(ValueError, match="engine='blocks' needs a plan whose recurrent edges"):
        net.forward(np.zeros((1, 1, 1)), engine="blocks")


def test_auto_schedule_prefers_wide_or_few_blocks() -> None:
    skip = {L_w: topology_patterns(*L_w)["skip 1 layer"] for L_w in ((8, 64), (3, 4), (16, 8), (8, 8), (8, 16))}
    assert prefer_block_order(skip[8, 64]) and prefer_block_order(skip[3, 4])
    assert not prefer_block_order(skip[16, 8])
    assert prefer_block_order(skip[8, 8]) and not prefer_block_order(replace(skip[8, 16], cell="lstm"))
    plan = skip[8, 64]
    assert DelayedRNN.random(plan, dtype=np.float32).engine(batch=32, steps=100) == "blocks"
