"""Block-sparse wavefront step for any block pattern: only the non-zero blocks are multiplied.

A relaxed plan (skip connections, the input into several blocks, the
topologies between the stacked and the dense d-RNN) has a block-sparse
``W_hh``: block ``dst`` reads only the blocks ``src`` of its edges. The dense
engine multiplies the whole ``(N, G·N)`` matrix per step; here each block
row is one small product, and block rows of the same shape run as one
batched product:

* forward, grouped by **destination**: block ``dst`` gathers the states of
  all its sources into one row ``[h^{s_1}; h^{s_2}; …]`` (length ``K``, the
  sum of their widths) and multiplies it by its stacked weights
  ``(K, S·w_dst)``; destinations with the same ``(K, w_dst)`` form one
  ``(D, B, K) @ (D, K, S·w_dst)`` product;
* backward, grouped by **source**: block ``src`` gathers the pre-activation
  gradients of all blocks that read it and multiplies by the transposed
  blocks, so every source column is written by exactly one product;
* the weight gradient of all steps is one batched product per forward
  group, on the plan's blocks only (exact zeros elsewhere).

``S`` is the number of gate slots: ``G``, or 4 for an own-reset GRU, whose
candidate reads its own block inside the reset gate (slot 2) and the other
blocks outside it (slot 3), as :func:`numerics.engine.layer.split_reset`
does for the dense engine. The states, gates and cache are in the dense unit
layout, so the cache is the :class:`numerics.engine.params.LayerCache` of
:func:`numerics.engine.layer.layer_forward` and either backward accepts it.

A plan whose block graph without self-loops is acyclic (stacked, skip and
dense feed-forward plans) can also run in block order (the ``"blocks"``
schedule, :mod:`numerics.engine.blockorder`): each block over all steps, its
readings of other blocks one product over all steps, which at block widths of
tens of units costs far less than any wavefront; ``engine="auto"`` chooses
between them (:mod:`numerics.engine.select`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from numerics.engine.cells import cell_of, gate_scale
from numerics.engine.cost import schedule_cost
from numerics.engine.layer import folded_biases, layer_backward
from numerics.engine.params import LayerCache, LayerParams
from numerics.engine.protocol import DenseLayoutCache, Grads, Schedule, dense_backward, readout_states, runs_any_plan
from numerics.engine.units import reset_mask, unit_groups, unit_holds
from theory.layout import Plan, check_plan


@dataclass(frozen=True)
class _Group:
    """Block rows (forward) or block columns (backward) of one shape, run as one batched product.

    ``take`` are the gathered columns of the operand (``D·K``), ``put`` the
    written columns of the result (``D·M``), ``w`` the stacked blocks
    ``(D, K, M)``.
    """

    take: np.ndarray
    put: np.ndarray
    w: np.ndarray
    take_view: tuple[int, int, int, int] | None = None
    put_view: tuple[int, int, int, int] | None = None


def _regular(cols: np.ndarray, D: int, S: int, N: int) -> tuple[int, int, int, int] | None:
    """``(start, step, S, w)`` if column ``start + i·step + j·N + u`` is entry ``(i, j, u)`` of ``cols``, else None.

    Such columns are a strided view ``(D, B, S, w)`` of a ``(B, ·)`` array, so
    gathering or scattering them needs no index arrays.
    """
    w = len(cols) // (D * S)
    start = int(cols[0])
    step = int(cols[S * w]) - start if D > 1 else 0
    expect = start + (np.arange(D)[:, None, None] * step + np.arange(S)[None, :, None] * N
                      + np.arange(w)[None, None, :]).ravel()
    return (start, step, S, w) if step >= 0 and np.array_equal(cols, expect) else None


def _view(a: np.ndarray, spec: tuple[int, int, int, int], D: int) -> np.ndarray:
    """The columns ``spec`` (:func:`_regular`) of the 2-D array ``a (B, C)`` as a ``(D, B, S, w)`` view."""
    start, step, S, w = spec
    it = a.itemsize
    N = a.shape[1] // S if S > 1 else 0
    return np.lib.stride_tricks.as_strided(a[:, start:], shape=(D, a.shape[0], S, w),
                                           strides=(step * it, a.strides[0], N * it, it))


@dataclass(frozen=True)
class SparseProduct:
    """The recurrent product of a block pattern, forward and transposed, on its non-zero blocks.

    Attributes
    ----------
    slots : int
        Gate slots ``S`` of the pre-activation layout ``(B, S·N)``.
    forward_groups, backward_groups : tuple of _Group
    uncovered_rows, uncovered_cols : ndarray of int
        Pre-activation columns no block row writes, state columns no block
        column writes (both zeroed by the products).
    grad_runs : tuple of (int, int, int, int, int)
        ``(row0, row1, col0, a, b)``: rows ``row0:row1`` (one gate of one
        block) and columns ``a:b`` (adjacent source blocks read through the
        same slot) of ``W_hh``'s gradient are ``da[:, col0:col0 + row1 - row0]^T h[:, a:b]``;
        what :meth:`weight_grad` computes, one product each.
    """

    hidden_size: int
    slots: int
    forward_groups: tuple[_Group, ...]
    backward_groups: tuple[_Group, ...]
    uncovered_rows: np.ndarray
    uncovered_cols: np.ndarray
    grad_runs: tuple[tuple[int, int, int, int, int], ...]

    def forward(self, h: np.ndarray, out: np.ndarray) -> None:
        """``out = h @ W^T`` on the pattern: ``h (B, N)``, ``out (B, S·N)`` (sigmoid gates halved)."""
        self._apply(self.forward_groups, h, out)
        if len(self.uncovered_rows):
            out[:, self.uncovered_rows] = 0

    def transpose(self, da: np.ndarray, out: np.ndarray) -> None:
        """``out = da @ W`` on the pattern: ``da (B, S·N)`` unscaled gradients, ``out (B, N)``."""
        self._apply(self.backward_groups, da, out)
        if len(self.uncovered_cols):
            out[:, self.uncovered_cols] = 0

    @staticmethod
    def _apply(groups: tuple[_Group, ...], a: np.ndarray, out: np.ndarray) -> None:
        """One batched product per group: gather ``(D, B, K)``, multiply by ``(D, K, M)``, scatter ``(D, B, M)``.

        Regular columns (:func:`_regular`) are gathered and scattered through
        strided views; the rest through index arrays.
        """
        B = a.shape[0]
        for g in groups:
            D, K, M = g.w.shape
            if g.take_view is None:
                xs = np.take(a, g.take, axis=1).reshape(B, D, K).transpose(1, 0, 2)
            elif g.take_view[2] == 1:
                xs = _view(a, g.take_view, D)[:, :, 0]            # contiguous sources: no copy
            else:
                xs = np.empty((D, B, *_view(a, g.take_view, D).shape[2:]), dtype=a.dtype)
                np.copyto(xs, _view(a, g.take_view, D))
                xs = xs.reshape(D, B, K)
            y = np.matmul(xs, g.w)
            if g.put_view is None:
                out[:, g.put] = y.transpose(1, 0, 2).reshape(B, D * M)
            else:
                np.copyto(_view(out, g.put_view, D), y.reshape(_view(out, g.put_view, D).shape))

    def weight_grad(self, dah: np.ndarray, h: np.ndarray, gates: int) -> np.ndarray:
        """``Σ_t da_t^T h_{t-1}`` on the pattern's blocks, shape ``(G·N, N)``, exact zeros elsewhere.

        Parameters
        ----------
        dah : ndarray, shape (R, S·N)
            Pre-activation gradients of all steps (``R = T·B`` rows).
        h : ndarray, shape (R, N)
            The states each step read.
        gates : int
            ``G``.
        """
        N = self.hidden_size
        dw = np.zeros((gates * N, N), dtype=dah.dtype)
        # Column slices of the contiguous (R, ·) arrays are BLAS operands as they are: no gathered copies.
        for r0, r1, c0, a, b in self.grad_runs:
            dw[r0:r1, a:b] = dah[:, c0 : c0 + r1 - r0].T @ h[:, a:b]
        return dw


def sparse_product(plan: Plan, params: LayerParams) -> SparseProduct:
    """The block-sparse recurrent product of ``params`` on ``plan``'s pattern.

    Entries of ``params.weight_hh`` outside the plan's blocks are not read,
    so callers make sure they are zero (a masked network, or checked zeros).
    """
    check_plan(plan)
    N, G, L = plan.hidden_size, plan.gates, len(plan.blocks)
    own = reset_mask(plan) is not None
    S = 4 if own else G
    dt = params.dtype
    half = gate_scale(plan.cell, dt)
    spans = [plan.span(b) for b in range(L)]
    srcs: dict[int, list[int]] = {}
    for e in sorted(plan.recurrent, key=lambda e: (e.dst, e.src)):
        srcs.setdefault(e.dst, []).append(e.src)
    readers: dict[int, list[int]] = {}
    for d, ss in srcs.items():
        for s in ss:
            readers.setdefault(s, []).append(d)

    def slots_of(d: int, s: int) -> list[int]:
        """The slot each gate of edge ``s → d`` writes (own-reset GRU: cross reads leave the reset gate)."""
        return [0, 1, 3] if own and s != d else list(range(G))

    def cols(b: int) -> np.ndarray:
        return np.arange(*spans[b])

    def slot_cols(d: int) -> np.ndarray:
        return np.concatenate([k * N + cols(d) for k in range(S)])

    def block(d: int, s: int) -> np.ndarray:
        """``(w_s, S·w_d)``: edge ``s → d``'s weights, transposed, in d's slot layout (unscaled)."""
        (d0, d1), (s0, s1) = spans[d], spans[s]
        w = d1 - d0
        out = np.zeros((s1 - s0, S * w), dtype=dt)
        for gate, slot in enumerate(slots_of(d, s)):
            out[:, slot * w : (slot + 1) * w] = params.weight_hh[gate * N + d0 : gate * N + d1, s0:s1].T
        return out

    scale = {d: np.repeat(np.concatenate([half, half[2:3]]) if own else half, d1 - d0)
             for d, (d0, d1) in enumerate(spans)}
    # Forward: block rows grouped by (K, w_dst).
    fkeys: dict[tuple[int, int], list[int]] = {}
    for d, ss in srcs.items():
        fkeys.setdefault((sum(spans[s][1] - spans[s][0] for s in ss), spans[d][1] - spans[d][0]), []).append(d)
    fgroups = []
    for (_K, _w_d), ds in fkeys.items():
        w = np.stack([np.concatenate([block(d, s) for s in srcs[d]]) * scale[d] for d in ds])
        take, put = np.concatenate([cols(s) for d in ds for s in srcs[d]]), np.concatenate([slot_cols(d) for d in ds])
        fgroups.append(_Group(take, put, np.ascontiguousarray(w), _regular(take, len(ds), 1, N),
                              _regular(put, len(ds), S, N)))
    # Weight gradient: per block, gate and slot, its sources merged into runs of adjacent blocks.
    grad_runs = []
    for d, ss in srcs.items():
        d0, d1 = spans[d]
        for k in range(G):
            by_slot: dict[int, list[list[int]]] = {}
            for s in ss:
                by_slot.setdefault(slots_of(d, s)[k], []).append(list(spans[s]))
            for slot, runs in by_slot.items():
                merged: list[list[int]] = []
                for a, b in sorted(runs):
                    if merged and merged[-1][1] == a:
                        merged[-1][1] = b
                    else:
                        merged.append([a, b])
                grad_runs += [(k * N + d0, k * N + d1, slot * N + d0, a, b) for a, b in merged]
    # Backward: block columns grouped by (Σ S·w_dst, w_src); weights unscaled.
    bkeys: dict[tuple[int, int], list[int]] = {}
    for s, ds in readers.items():
        bkeys.setdefault((sum(S * (spans[d][1] - spans[d][0]) for d in ds), spans[s][1] - spans[s][0]), []).append(s)
    bgroups = []
    for (_, _), ss in bkeys.items():
        # Contraction order (slot, reader, unit): a source's readers are then one column range per slot.
        w = np.stack([np.concatenate([block(d, s).T.reshape(S, -1, block(d, s).shape[0])[j]
                                      for j in range(S) for d in readers[s]]) for s in ss])
        take = np.concatenate([j * N + cols(d) for s in ss for j in range(S) for d in readers[s]])
        put = np.concatenate([cols(s) for s in ss])
        bgroups.append(_Group(take, put, np.ascontiguousarray(w), _regular(take, len(ss), S, N),
                              _regular(put, len(ss), 1, N)))
    covered_rows = np.zeros(S * N, bool)
    for g in fgroups:
        covered_rows[g.put] = True
    covered_cols = np.zeros(N, bool)
    for g in bgroups:
        covered_cols[g.put] = True
    return SparseProduct(N, S, tuple(fgroups), tuple(bgroups), np.flatnonzero(~covered_rows),
                         np.flatnonzero(~covered_cols), tuple(grad_runs))


def sparse_forward(
    plan: Plan,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
    *,
    keep_cache: bool = True,
    product: SparseProduct | None = None,
) -> tuple[np.ndarray, LayerCache | None]:
    """Run the delayed layer multiplying only the plan's non-zero blocks per step.

    Parameters
    ----------
    plan : Plan
    params : LayerParams
        Zero outside the plan's pattern (not read there).
    x : ndarray, shape (T', B, I)
        The already zero-padded input.
    h0 : ndarray, shape (B, N)
    c0 : ndarray, shape (B, N), or None
    keep_cache : bool
        False for inference: gates and cell states go to reused buffers.
    product : SparseProduct, optional
        :func:`sparse_product` of ``plan`` and ``params`` if already built.
    Returns
    -------
    states : ndarray, shape (T', B, N)
    cache : LayerCache or None
        As :func:`numerics.engine.layer.layer_forward` returns it.
    """
    sp = sparse_product(plan, params) if product is None else product
    C = cell_of(plan.cell)
    T, B, I = x.shape
    N, G, S = plan.hidden_size, plan.gates, sp.slots
    dt = params.dtype
    x = np.ascontiguousarray(x)
    scale = np.repeat(gate_scale(plan.cell, dt), N)
    xw = (x.reshape(T * B, I) @ (params.weight_ih * scale[:, None]).T).reshape(T, B, G * N)
    b, b_hn = folded_biases(C, params.bias_ih, params.bias_hh)
    if b is not None:
        xw += b * scale
    groups, holds = unit_groups(plan), unit_holds(plan)
    last_hold = 0 if holds is None else int(holds.max(initial=0))
    Tk = T if keep_cache else min(T, 1)
    h = np.empty((T + 1, B, N), dtype=dt)
    h[0] = h0
    c = np.empty((T + 1 if keep_cache else 2, B, N), dtype=dt) if C.second_state else None
    gates = np.empty((Tk, B, G * N), dtype=dt) if C.keeps_gates else None
    inner = np.empty((Tk, B, N), dtype=dt) if C.keeps_gates else None
    gs, ins = (gates, inner) if C.keeps_gates else ([None] * Tk, [None] * Tk)
    hh = np.empty((B, S * N), dtype=dt) if S > G else None      # the own-reset slot outside the reset gate
    if c is not None:
        c[0] = 0 if c0 is None else c0
    c_prev = c_new = None
    target, finish, product = C.product_target, C.forward_pointwise, sp.forward
    for t in range(T):
        k = t if keep_cache else 0
        if c is not None:
            ci, co = (t, t + 1) if keep_cache else (t % 2, 1 - t % 2)
            c_prev, c_new = c[ci], c[co]
        h_prev, h_new, g = h[t], h[t + 1], gs[k]
        product(h_prev, target(g, h_new, hh))           # the step (numerics.engine.layer): product, then the cell
        finish(xw[t], h_prev, c_prev, g, c_new, ins[k], h_new, b_hn, groups, hh)
        if t < last_hold:
            held = holds > t
            h[t + 1][:, held] = h[t][:, held]
            if c is not None:
                c_new[:, held] = c_prev[:, held]
    if not keep_cache:
        return h[1:], None
    cache = LayerCache(plan.cell, params, x, h, c, gates, *C.inner_fields(inner), groups, holds, False,
                       reset_mask(plan))
    return h[1:], cache


def sparse_backward(
    product: SparseProduct,
    cache: LayerCache,
    dh_out: np.ndarray,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[np.ndarray, LayerParams, np.ndarray, np.ndarray | None]:
    """Backpropagation through time with the block-sparse product; ``W_hh``'s gradient on the pattern only.

    The same computation as :func:`numerics.engine.layer.layer_backward`
    (same arguments and returns, plus the ``product`` of the plan), except
    that each step's ``da W_hh`` multiplies only the non-zero blocks and
    the recurrent weight gradient is computed on the plan's blocks only, so
    it equals the dense gradient times the plan's mask.

    Parameters
    ----------
    product : SparseProduct
    cache : LayerCache
        From :func:`sparse_forward` (or any engine) on the same plan, not reversed.
    dh_out : ndarray, shape (T, B, N)
    dh_final, dc_final : ndarray, shape (B, N), optional
    Returns
    -------
    dx : ndarray, shape (T, B, I)
    grads : LayerParams
        ``weight_hh`` on the plan's blocks only. The block order also leaves
        the ``weight_ih`` rows of blocks the input does not feed at exact
        zero (the masked gradient); the wavefront computes them in full.
    dh0 : ndarray, shape (B, N)
    dc0 : ndarray, shape (B, N), or None
    """
    return layer_backward(cache, dh_out, dh_final, dc_final, product=product)


def sparse_density(plan: Plan) -> float:
    """Fraction of ``W_hh``'s entries inside the plan's blocks (1 for a dense plan)."""
    check_plan(plan)
    N = plan.hidden_size
    return sum(plan.blocks[e.dst].width * plan.blocks[e.src].width for e in plan.recurrent) / (N * N)


@dataclass(frozen=True)
class SparseCache(DenseLayoutCache):
    """Cache of the block-sparse wavefront: the dense-layout :class:`LayerCache` and the product, and their backward."""

    schedule: ClassVar[str] = "sparse"
    plan: Plan
    layer: LayerCache
    product: SparseProduct

    def backward(self, dy: np.ndarray, dh_final: np.ndarray | None, dc_final: np.ndarray | None,
                 masked: bool) -> Grads:
        """The block-sparse backward for a masked network (``W_hh``'s gradient on the blocks); else the dense one."""
        return dense_backward(self.plan, self.layer, dy, dh_final, dc_final, masked,
                              product=self.product if masked else None)


def sparse_run(plan: Plan, params: LayerParams, prepared: SparseProduct, x: np.ndarray, h0: np.ndarray,
               c0: np.ndarray | None, keep_cache: bool, full: bool) -> tuple[np.ndarray, SparseCache | None]:
    """:attr:`numerics.engine.protocol.Schedule.run` of the block-sparse wavefront."""
    states, cache = sparse_forward(plan, params, x, h0, c0, keep_cache=keep_cache, product=prepared)
    return ((states if full else readout_states(plan, states)),
            (SparseCache(plan, cache, prepared) if keep_cache else None))


SCHEDULE = Schedule(
    name="sparse",
    summary="all blocks of a step, multiplying only the plan's non-zero blocks (any plan, zeros outside it)",
    needs=runs_any_plan,
    on_plan=True,
    cost=lambda plan, batch, steps, backward: schedule_cost(plan, batch, steps, "sparse", backward),
    run=sparse_run,
    prepare=sparse_product,
)


__all__ = ["SCHEDULE", "SparseCache", "SparseProduct", "sparse_backward", "sparse_density", "sparse_forward",
           "sparse_product", "sparse_run"]
