"""Layer-order schedule of a delayed network with the stacked structure: block by block over all steps.

The wavefront (:mod:`numerics.engine.blocked`) computes all blocks of one
step together: ``T + d`` sequential steps, but block ``l``'s reading of block
``l - 1`` is produced inside the loop, so it cannot be hoisted. Here the same
network is evaluated the other way round, exactly as the stacked network it
came from: block 0 over all steps, then block 1, and so on. Block ``l`` at
step ``t`` reads block ``l - 1``'s state after step ``t - 1``, which is known
for every ``t`` once block ``l - 1`` is done, so its input-from-below
projection is one ``(T·B, n_{l-1}) @ (n_{l-1}, G·n_l)`` product
(:func:`numerics.engine.layer.layer_forward` with block ``l - 1``'s shifted
states as input). ``L·(T + d)`` sequential steps, each a small
``(B, n) @ (n, G·n)`` product, and no zero blocks multiplied.

A held block (start schedule ``hold[l] = k``) keeps its initial state for
``k`` steps, so its layer simply starts at step ``k``. For GRU this is the
own-reset cell (``plan.gru_reset == "own"``): the reading of block ``l - 1``
lies outside the reset gate, exactly where a layer's input side is.

The forward pass returns a :class:`BlockCaches`; :func:`dense_cache` turns
it into the :class:`numerics.engine.params.LayerCache` the dense and
wavefront engines produce, so every schedule can be compared field by
field and the dense backward run on any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numerics.engine.activations import ActGroup
from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.params import LayerCache, LayerParams
from numerics.engine.schedule import reset_mask, unit_groups, unit_holds
from theory.layout import Plan


def supports_layer_order(plan: Plan) -> bool:
    """True if the plan can run in layer order.

    Block ``l`` reads only blocks ``l`` and ``l - 1``, the input feeds only
    block 0 and, for GRU, the reset gate multiplies only the block's own
    recurrent reading (``gru_reset == "own"``; PyTorch's full reset puts the
    reading of block ``l - 1`` inside the gate, which a layer's input side
    cannot express).
    """
    stacked = all(e.dst in (e.src, e.src + 1) for e in plan.recurrent) and all(e.dst == 0 for e in plan.inputs)
    return stacked and (plan.cell != "gru" or plan.gru_reset == "own")


def _rows(plan: Plan, l: int) -> np.ndarray:
    """Rows of block ``l`` in the dense ``(G·N, ·)`` weights, gate by gate."""
    r0, r1 = plan.span(l)
    N = plan.hidden_size
    return np.concatenate([np.arange(g * N + r0, g * N + r1) for g in range(plan.gates)])


def block_params(plan: Plan, params: LayerParams) -> tuple[LayerParams, ...]:
    """Each block as a layer: ``weight_ih`` reads the input (block 0) or block ``l - 1``.

    Returns
    -------
    tuple of LayerParams
        Block ``l``: ``weight_ih (G·n_l, I or n_{l-1})``, ``weight_hh (G·n_l, n_l)``,
        biases ``(G·n_l,)``.
    """
    out = []
    for l in range(len(plan.blocks)):
        rows = _rows(plan, l)
        r0, r1 = plan.span(l)
        w_hh = params.weight_hh[rows]
        if l == 0:
            w_ih = params.weight_ih[rows]
        else:
            s0, s1 = plan.span(l - 1)
            w_ih = w_hh[:, s0:s1]
        out.append(LayerParams(
            np.ascontiguousarray(w_ih), np.ascontiguousarray(w_hh[:, r0:r1]),
            None if params.bias_ih is None else params.bias_ih[rows],
            None if params.bias_hh is None else params.bias_hh[rows]))
    return tuple(out)


@dataclass(frozen=True)
class BlockCaches:
    """Cache of a layer-order forward pass.

    Attributes
    ----------
    plan : Plan
    params : LayerParams
        The dense delayed parameters.
    x : ndarray, shape (T', B, I)
        The zero-padded input.
    h0 : ndarray, shape (B, N)
    c0 : ndarray, shape (B, N), or None
    layers : tuple of LayerCache
        Block ``l``'s layer over steps ``hold[l] … T' - 1`` (``T' - hold[l]`` steps,
        possibly none).
    states : ndarray, shape (T', B, N)
        The dense states after each step.
    """

    plan: Plan
    params: LayerParams
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    layers: tuple[LayerCache, ...]
    states: np.ndarray


def _below_input(hs: np.ndarray, h0: np.ndarray, start_below: int, start: int, Tp: int) -> np.ndarray:
    """Block ``l - 1``'s states after steps ``start - 1 … T' - 2``, shape ``(T' - start, B, n)``.

    ``hs`` holds block ``l - 1``'s states after steps ``start_below … T' - 1``;
    before ``start_below`` the block held its initial state ``h0``.
    """
    if start > start_below:
        return hs[start - start_below - 1 : Tp - start_below - 1]
    n_pre = min(start_below + 1, Tp) - start
    pre = np.broadcast_to(h0, (n_pre, *h0.shape))
    return np.concatenate([pre, hs[: Tp - start - n_pre]])


def layer_order_forward(
    plan: Plan,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
    *,
    keep_cache: bool = True,
) -> tuple[np.ndarray, BlockCaches | None]:
    """Run the delayed layer block by block over all steps.

    Parameters
    ----------
    plan : Plan
        Must satisfy :func:`supports_layer_order`.
    params : LayerParams
        The dense delayed parameters; entries outside the stacked pattern are
        not read, so callers check that they are zero.
    x : ndarray, shape (T', B, I)
        The already zero-padded input.
    h0 : ndarray, shape (B, N)
    c0 : ndarray, shape (B, N), or None
    keep_cache : bool
        False for inference: no gates are stored and no cache is returned.

    Returns
    -------
    states : ndarray, shape (T', B, N)
    cache : BlockCaches, or None if not ``keep_cache``
    """
    Tp, B, _ = x.shape
    N = plan.hidden_size
    lstm = plan.cell == "lstm"
    states = np.empty((Tp, B, N), dtype=params.dtype)
    layers: list[LayerCache] = []
    inp, prev_hs, prev_start = np.ascontiguousarray(x), states[:0], 0
    for l, bp in enumerate(block_params(plan, params)):
        r0, r1 = plan.span(l)
        start = min(int(plan.blocks[l].hold), Tp)
        if l > 0:
            s0, s1 = plan.span(l - 1)
            inp = _below_input(prev_hs, h0[:, s0:s1], prev_start, start, Tp)
        elif start:
            inp = inp[start:]
        acts = (ActGroup(str(plan.activations[l]), 0, r1 - r0),) if plan.cell == "elman" else ()
        hs, lc = layer_forward(plan.cell, bp, inp, h0[:, r0:r1], None if c0 is None else c0[:, r0:r1],
                               activations=acts, keep_cache=keep_cache)
        states[:start, :, r0:r1] = h0[:, r0:r1]
        states[start:, :, r0:r1] = hs
        if keep_cache:
            layers.append(lc)
        prev_hs, prev_start = hs, start
    if not keep_cache:
        return states, None
    return states, BlockCaches(plan, params, x, h0, c0 if lstm else None, tuple(layers), states)


def dense_cache(bc: BlockCaches) -> LayerCache:
    """The :class:`LayerCache` the dense engine would have produced from the same pass.

    Gates at a held block's held steps (which the dense engine computes and
    then discards) are zero here; the backward pass never reads them.
    """
    plan, p = bc.plan, bc.params
    Tp, B, _ = bc.x.shape
    N, G = plan.hidden_size, plan.gates
    lstm, gru = plan.cell == "lstm", plan.cell == "gru"
    dt = p.dtype
    h = np.empty((Tp + 1, B, N), dtype=dt)
    h[0] = bc.h0
    h[1:] = bc.states
    c = np.empty((Tp + 1, B, N), dtype=dt) if lstm else None
    gates = np.zeros((Tp, B, G * N), dtype=dt) if (lstm or gru) else None
    inner = np.zeros((Tp, B, N), dtype=dt) if (lstm or gru) else None
    for l, lc in enumerate(bc.layers):
        r0, r1 = plan.span(l)
        s, n = Tp - lc.x.shape[0], r1 - r0
        if lstm:
            c0 = np.zeros((B, n), dtype=dt) if bc.c0 is None else bc.c0[:, r0:r1]
            c[: s + 1, :, r0:r1] = c0
            c[s + 1 :, :, r0:r1] = lc.c[1:]
        if gates is not None:
            inner[s:, :, r0:r1] = lc.tanh_c if lstm else lc.hn
            for g in range(G):
                gates[s:, :, g * N + r0 : g * N + r1] = lc.gates[..., g * n : (g + 1) * n]
    return LayerCache(plan.cell, p, np.ascontiguousarray(bc.x), h, c, gates, inner if lstm else None,
                      inner if gru else None, unit_groups(plan), unit_holds(plan), False, reset_mask(plan))


def layer_order_backward(
    bc: BlockCaches,
    ds: np.ndarray,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[np.ndarray, LayerParams, np.ndarray, np.ndarray | None]:
    """Backpropagation in layer order, top block first (inverse of :func:`layer_order_forward`).

    Block ``l``'s input gradient (with respect to block ``l - 1``'s shifted
    states) is added to the gradient arriving at block ``l - 1`` before that
    block runs, exactly as in a stacked network. Gradients are only computed
    on the plan's pattern: the dense weights' entries outside it get zero,
    which is the masked network's gradient (for an unmasked network use the
    dense backward on :func:`dense_cache`).

    Parameters
    ----------
    bc : BlockCaches
    ds : ndarray, shape (T', B, N)
        Gradient with respect to the states after each step.
    dh_final, dc_final : ndarray, shape (B, N), optional
        Gradient with respect to the final state (and LSTM cell state).

    Returns
    -------
    dx : ndarray, shape (T', B, I)
    grads : LayerParams
        Dense layout, zero outside the stacked pattern.
    dh0 : ndarray, shape (B, N)
    dc0 : ndarray, shape (B, N), or None
    """
    plan, p = bc.plan, bc.params
    Tp, B, I = bc.x.shape
    L, N = len(plan.blocks), plan.hidden_size
    lstm = plan.cell == "lstm"
    dt = p.dtype
    d_ih = np.zeros_like(p.weight_ih)
    d_hh = np.zeros_like(p.weight_hh)
    d_bih = None if p.bias_ih is None else np.zeros_like(p.bias_ih)
    d_bhh = None if p.bias_hh is None else np.zeros_like(p.bias_hh)
    dh0 = np.empty((B, N), dtype=dt)
    dc0 = np.zeros((B, N), dtype=dt) if lstm else None
    dx = np.zeros((Tp, B, I), dtype=dt)
    from_above, above_start = None, 0
    for l in range(L - 1, -1, -1):
        lc = bc.layers[l]
        r0, r1 = plan.span(l)
        s = Tp - lc.x.shape[0]
        # dH[j]: gradient of block l's state after step j - 1 (dH[0]: its initial state).
        dH = np.zeros((Tp + 1, B, r1 - r0), dtype=dt)
        dH[1:] = ds[:, :, r0:r1]
        if from_above is not None:
            dH[above_start : Tp] += from_above
        fh = None if dh_final is None else dh_final[:, r0:r1]
        fc = None if dc_final is None else dc_final[:, r0:r1]
        if s == Tp:
            # Held for every step: the final state is the initial state.
            dxl, gl = np.zeros((0, B, lc.x.shape[2]), dtype=dt), None
            dh0l = dH.sum(axis=0) + (0 if fh is None else fh)
            dc0l = fc
        else:
            dxl, gl, dh0l, dc0l = layer_backward(lc, dH[s + 1 :], fh, fc)
            dh0l = dh0l + dH[: s + 1].sum(axis=0)
        dh0[:, r0:r1] = dh0l
        if lstm and dc0l is not None:
            dc0[:, r0:r1] = dc0l
        if gl is not None:
            rows = _rows(plan, l)
            d_hh[rows, r0:r1] = gl.weight_hh
            if l == 0:
                d_ih[rows] = gl.weight_ih
            else:
                d_hh[rows, plan.span(l - 1)[0] : plan.span(l - 1)[1]] = gl.weight_ih
            if d_bih is not None:
                d_bih[rows] = gl.bias_ih
                d_bhh[rows] = gl.bias_hh
        if l == 0:
            dx[s:] = dxl
        from_above, above_start = dxl, s
    return dx, LayerParams(d_ih, d_hh, d_bih, d_bhh), dh0, dc0


__all__ = ["BlockCaches", "block_params", "dense_cache", "layer_order_backward", "layer_order_forward",
           "supports_layer_order"]
