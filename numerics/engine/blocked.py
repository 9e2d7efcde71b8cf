"""Block-batched forward pass of a delayed network with the stacked structure.

A delayed network built from an ``L``-layer stacked network (docs/theory/theorem1.md) has a
block lower-bidiagonal ``W_hh``: block ``l`` reads only itself and block
``l - 1``, and the input feeds block 0 only. A dense step multiplies the
whole ``(N, N)`` matrix, most of it zeros. Here every block keeps the pair
``[s^l_{t-1}; s^{l-1}_{t-1}]`` in a working buffer of shape ``(L, B, 2n)``
(``n`` the largest block width, narrower blocks zero-padded), and one batched
product ``(L, B, 2n) @ (L, 2n, G·n)`` computes all blocks of a step at once:
``T + d`` batched steps instead of the dense ``(N, G·N)`` products (docs/theory/extensions.md,
Runtime).

Padded units never influence real ones: their rows in the padded weights are
zero and so are the weights that read them. The result is returned as the
same :class:`numerics.engine.layer.LayerCache` the dense engine produces, so the
backward pass is shared and the two engines are interchangeable.
"""

from __future__ import annotations

import numpy as np

from numerics.engine.activations import ActGroup, activate_, gate_scale
from numerics.engine.layer import gru_pointwise, lstm_pointwise
from numerics.engine.params import LayerCache, LayerParams
from numerics.engine.schedule import block_runs, reset_mask, unit_groups, unit_holds
from theory.layout import Plan, check_plan


def has_stacked_structure(plan: Plan) -> bool:
    """True if block ``l`` reads only blocks ``l`` and ``l - 1`` and the input feeds only block 0."""
    return all(e.dst in (e.src, e.src + 1) for e in plan.recurrent) and all(e.dst == 0 for e in plan.inputs)


def prefer_blocked(plan: Plan) -> bool:
    """The ``engine="auto"`` rule: block-batched if the structure allows it and it multiplies fewer numbers.

    A block-batched step costs ``L · 2n · G·n`` multiply-adds per batch item
    (``n`` the widest block), a dense step ``N · G·N``; with equal widths the
    block-batched step is ``L / 2`` times cheaper, with very unequal widths
    the padding can make it dearer.
    """
    check_plan(plan)
    if not has_stacked_structure(plan) or len(plan.blocks) < 2:
        return False
    n, L, N = max(plan.widths), len(plan.blocks), plan.hidden_size
    return L * 2 * n * n <= N * N


def _padded_weights(plan: Plan, p: LayerParams) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``Wcat (L, 2n, G·n)``, block 0's input weights ``(I, G·n)``, hidden-side bias ``(L, 1, G·n)``.

    ``Wcat[l] = [U_l; W_l]^T``: rows ``0:n`` read block ``l`` itself, rows
    ``n:2n`` read block ``l - 1``. Sigmoid gates (LSTM i, f, o; GRU r, z)
    are halved, as in the dense engine, so one ``tanh`` computes all gates.
    """
    L, n, G, N = len(plan.blocks), max(plan.widths), plan.gates, plan.hidden_size
    dt = p.dtype
    half = gate_scale(plan.cell, dt)
    wcat = np.zeros((L, 2 * n, G * n), dtype=dt)
    w_in = np.zeros((plan.input_size, G * n), dtype=dt)
    bias = None if p.bias_hh is None else np.zeros((L, 1, G * n), dtype=dt)
    for l in range(L):
        r0, r1 = plan.span(l)
        w = r1 - r0
        for g in range(G):
            rows = slice(g * N + r0, g * N + r1)
            cols = slice(g * n, g * n + w)
            wcat[l, :w, cols] = p.weight_hh[rows, r0:r1].T * half[g]
            if l > 0:
                s0, s1 = plan.span(l - 1)
                wcat[l, n : n + s1 - s0, cols] = p.weight_hh[rows, s0:s1].T * half[g]
            if l == 0:
                w_in[:, cols] = p.weight_ih[rows].T * half[g]
            if bias is not None:
                b = p.bias_hh[rows] if plan.cell == "gru" else p.bias_hh[rows] + p.bias_ih[rows]
                bias[l, 0, cols] = b * half[g]
    return wcat, w_in, bias


def _input_bias(plan: Plan, p: LayerParams) -> np.ndarray:
    """GRU only: input-side bias ``b_ih`` in the padded layout ``(L, 1, 3n)`` (r, z gates halved)."""
    L, n, N = len(plan.blocks), max(plan.widths), plan.hidden_size
    out = np.zeros((L, 1, 3 * n), dtype=p.dtype)
    if p.bias_ih is None:
        return out
    for l in range(L):
        r0, r1 = plan.span(l)
        for g, scale in enumerate(gate_scale("gru", p.dtype)):
            out[l, 0, g * n : g * n + r1 - r0] = p.bias_ih[g * N + r0 : g * N + r1] * scale
    return out


def blocked_forward(
    plan: Plan,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
) -> tuple[np.ndarray, LayerCache]:
    """Run the delayed layer with all blocks of a step in one batched product.

    The state after step ``t`` is stored as ``S[t]`` of shape
    ``(B, (L + 1)·n)``: slot 0 is a constant zero block and slot ``l + 1``
    holds block ``l`` (zero-padded to ``n``). The ``2n`` numbers block ``l``
    reads, ``[s^{l-1}; s^l]``, are then contiguous within each batch row,
    so the inputs of all blocks form one strided ``(L, B, 2n)`` view of
    ``S[t]`` (overlapping windows, no copy), and the new states are written
    straight into a strided view of ``S[t + 1]``.

    Parameters
    ----------
    plan : Plan
        Must satisfy :func:`has_stacked_structure`.
    params : LayerParams
        The dense delayed parameters; entries outside the stacked pattern
        are not read, so callers check the structure.
    x : ndarray, shape (T', B, I)
        The already zero-padded input (``T' = T + d``).
    h0 : ndarray, shape (B, N)
    c0 : ndarray, shape (B, N), or None

    Returns
    -------
    states : ndarray, shape (T', B, N)
    cache : LayerCache
        Identical in layout to :func:`numerics.engine.layer.layer_forward`'s.
    """
    cell = plan.cell
    T, B, I = x.shape
    L, n, G, N = len(plan.blocks), max(plan.widths), plan.gates, plan.hidden_size
    dt = params.dtype
    lstm, gru = cell == "lstm", cell == "gru"
    wcat, w_in, bias = _padded_weights(plan, params)
    # Additive terms of every step, set up for all steps at once: the hidden-side
    # bias of every block (LSTM/Elman: both biases) and block 0's input projection.
    A = np.empty((T, L, B, G * n), dtype=dt)
    xw0 = (np.ascontiguousarray(x).reshape(T * B, I) @ w_in).reshape(T, B, G * n)
    if gru:
        A[:] = 0
        # GRU: the input side stays apart (r multiplies only the hidden side's n part).
        X = np.broadcast_to(_input_bias(plan, params), (T, L, B, 3 * n)).copy()
        X[:, 0] += xw0
        if bias is not None:
            A[..., : 2 * n] = bias[..., : 2 * n]
        b_hn = None if bias is None else bias[:, :, 2 * n :]
    elif bias is not None:
        A[:, 1:] = bias[1:]
        np.add(xw0, bias[0], out=A[:, 0])
    else:
        A[:, 1:] = 0
        A[:, 0] = xw0
    S = np.zeros((T + 1, B, (L + 1) * n), dtype=dt)
    # Views made once (as_strided is slow to call per step): blocks[t] is (L, B, n),
    # pairs[t] is (L, B, 2n) with pairs[t][l] = [s^{l-1}; s^l] (overlapping windows of S[t]).
    blocks = S.reshape(T + 1, B, L + 1, n)[:, :, 1:].transpose(0, 2, 1, 3)
    item = S.itemsize
    pairs = np.lib.stride_tricks.as_strided(
        S, shape=(T + 1, L, B, 2 * n), strides=(S.strides[0], n * item, (L + 1) * n * item, item), writeable=False)
    C = np.zeros((T + 1, L, B, n), dtype=dt) if lstm else None
    E = np.empty((T, L, B, n), dtype=dt) if (lstm or gru) else None
    spans = [plan.span(l) for l in range(L)]
    for l, (r0, r1) in enumerate(spans):
        blocks[0, l, :, : r1 - r0] = h0[:, r0:r1]
        if lstm and c0 is not None:
            C[0, l, :, : r1 - r0] = c0[:, r0:r1]
    holds = np.array(plan.holds)
    last_hold = int(holds.max(initial=0))
    runs = block_runs(plan)
    # Weight rows 0:n read block l itself, n:2n block l-1; the pair view is [s^{l-1}; s^l].
    wpair = np.concatenate([wcat[:, n:], wcat[:, :n]], axis=1)
    mask = reset_mask(plan)
    if mask is not None:
        # Own-reset GRU: the candidate's own-block part (rows n:2n) stays in gate n, inside the
        # reset gate; its reading of block l-1 (rows 0:n) moves to a fourth column group, outside.
        cross = np.zeros((L, 2 * n, n), dtype=dt)
        cross[:, :n] = wpair[:, :n, 2 * n :]
        wpair = np.concatenate([wpair, cross], axis=2)
        wpair[:, :n, 2 * n : 3 * n] = 0
    tmp = np.empty((L, B, wpair.shape[2]), dtype=dt)
    for t in range(T):
        a = A[t]
        np.matmul(pairs[t], wpair, out=tmp)
        s_new = blocks[t + 1]
        if gru:
            a[..., : 2 * n] += tmp[..., : 2 * n]
            a[..., 2 * n :] = tmp[..., 2 * n : 3 * n]
            gru_pointwise(X[t], blocks[t], b_hn, a, E[t], s_new, None if mask is None else tmp[..., 3 * n :])
        else:
            a += tmp
            if lstm:
                lstm_pointwise(a, C[t], C[t + 1], E[t], s_new)
            else:
                for name, b0, b1 in runs:
                    src, dst = a[b0:b1], s_new[b0:b1]
                    if name == "tanh":
                        np.tanh(src, out=dst)      # straight into the state: no intermediate copy
                    elif name == "relu":
                        np.maximum(src, 0, out=dst)
                    else:
                        dst[...] = src
                        activate_(dst, (ActGroup(name, 0, n),))
        if t < last_hold:
            held = holds > t
            s_new[held] = blocks[t][held]
            if lstm:
                C[t + 1][held] = C[t][held]
    # Back to the dense layout (vectorised over time; one copy per block and gate).
    equal = all(w == n for w in plan.widths)
    # Equal widths (no padding): the dense states are a view of S, no copy.
    h = S[:, :, n:] if equal else np.empty((T + 1, B, N), dtype=dt)
    c = np.empty((T + 1, B, N), dtype=dt) if lstm else None
    gates = np.empty((T, B, G * N), dtype=dt) if (lstm or gru) else None
    inner = np.empty((T, B, N), dtype=dt) if (lstm or gru) else None
    S4 = S.reshape(T + 1, B, L + 1, n)
    for l, (r0, r1) in enumerate(spans):
        w = r1 - r0
        if not equal:
            h[:, :, r0:r1] = S4[:, :, l + 1, :w]
        if lstm:
            c[:, :, r0:r1] = C[:, l, :, :w]
        if gates is not None:
            inner[:, :, r0:r1] = E[:, l, :, :w]
            for g in range(G):
                gates[:, :, g * N + r0 : g * N + r1] = A[:, l, :, g * n : g * n + w]
    cache = LayerCache(cell, params, np.ascontiguousarray(x), h, c, gates, inner if lstm else None,
                       inner if gru else None, unit_groups(plan), unit_holds(plan), False, mask)
    return h[1:], cache


__all__ = ["blocked_forward", "has_stacked_structure", "prefer_blocked"]
