"""Block order for any plan whose block graph is acyclic: each block over all steps, one after the other.

The wavefronts (:mod:`numerics.engine.sparse`, :mod:`numerics.engine.wavefront`)
compute all blocks of one step together, so a block's reading of another
block is produced inside the loop over time. If the recurrent edges between
*different* blocks form a directed acyclic graph (stacked, skip and dense
feed-forward plans do; self-loops are allowed), the blocks can instead run
one at a time in a topological order, like the layers of a stacked network:
when block ``l`` runs, every block it reads is finished, so its readings of
them at all ``T`` steps are known and become one ``(T·B, Σ n_src) @ (·, G·n_l)``
product before its loop. The loop then multiplies only the block's own
``(n_l, G·n_l)`` self block per step. Backward runs the blocks in reverse
order: when block ``l`` runs, every block that reads it is finished, so the
gradients it receives through them are again one product per edge, and the
weight gradients of all steps are one product per edge after the loops.

The forward pass fills the dense :class:`numerics.engine.params.LayerCache`
of :func:`numerics.engine.layer.layer_forward` (every step computed, held
states copied afterwards, exactly as the dense engine does), so any backward
accepts it and :func:`dag_backward` accepts any engine's cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from numerics.engine.activations import ActGroup
from numerics.engine.cells import cell_of, gate_scale
from numerics.engine.cost import schedule_cost
from numerics.engine.layer import folded_biases
from numerics.engine.params import LayerCache, LayerParams
from numerics.engine.protocol import (
    DenseLayoutCache,
    Grads,
    Schedule,
    dense_backward,
    mask_grads,
    readout_states,
    state_grad,
)
from numerics.engine.units import reset_mask, unit_groups
from theory.layout import Plan, check_plan


def topological_blocks(plan: Plan) -> tuple[int, ...] | None:
    """The blocks in an order where every block comes after the blocks it reads, or None if there is none.

    Self-loops are ignored; any other cycle of recurrent edges makes the
    block order impossible (a block would need a state not computed yet).
    Among the ready blocks the lowest index goes first, so a stacked plan
    keeps its natural order.
    """
    check_plan(plan)
    L = len(plan.blocks)
    preds: list[set[int]] = [set() for _ in range(L)]
    for e in plan.recurrent:
        if e.src != e.dst:
            preds[e.dst].add(e.src)
    order: list[int] = []
    done: set[int] = set()
    while len(order) < L:
        ready = [b for b in range(L) if b not in done and preds[b] <= done]
        if not ready:
            return None
        order.append(ready[0])
        done.add(ready[0])
    return tuple(order)


@dataclass(frozen=True)
class _Block:
    """One block's weights, cut from the dense parameters once.

    ``rows`` are the block's rows in the dense ``(G·N, ·)`` layout (gate-major);
    ``srcs`` the other blocks it reads. Forward weights are transposed with the
    sigmoid gates halved, backward ones are the plain rows.
    """

    index: int
    span: tuple[int, int]
    rows: np.ndarray
    hold: int
    fed: bool
    acts: tuple[ActGroup, ...]
    srcs: tuple[int, ...]
    src_cols: np.ndarray            # the sources' columns, in the order of ``srcs``
    hull: tuple[int, int] | None    # columns of sources and self if they are one range of whole blocks
    w_ih_t: np.ndarray | None       # (I, G·w), scaled; None if the input does not feed the block
    bias: np.ndarray | None         # (G·w,), scaled; a reset gate's b_hn stays inside it
    b_hn: np.ndarray | None         # (w,)
    whh_t: np.ndarray | None        # (w, G·w), scaled self block; None without a self-loop
    cross_t: np.ndarray | None      # (Σ w_src, G·w), scaled readings of the other blocks
    w_ih: np.ndarray                # (G·w, I)
    whh: np.ndarray                 # (G·w, w)
    cross: np.ndarray | None        # (G·w, Σ w_src)


@dataclass(frozen=True)
class BlockOrder:
    """A plan's blocks in topological order with their weights (build once per weights with :func:`block_order`).

    ``inside`` is True for a reset-gate cell with ``gru_reset="full"``
    (PyTorch's GRU), whose last gate's readings of other blocks lie inside the
    reset gate; for the own-reset cell and the other cells they join the
    input side.
    """

    cell: str
    hidden_size: int
    order: tuple[int, ...]
    blocks: tuple[_Block, ...]
    inside: bool


def block_order(plan: Plan, params: LayerParams) -> BlockOrder | None:
    """The block order of ``params`` on ``plan``, or None if the plan's block graph has a cycle.

    Entries of ``params.weight_hh`` outside the plan's blocks are not read
    (callers make sure they are zero, as for :func:`numerics.engine.sparse.sparse_product`).
    """
    order = topological_blocks(plan)
    if order is None:
        return None
    N, G = plan.hidden_size, plan.gates
    dt = params.dtype
    half = gate_scale(plan.cell, dt)
    cell = cell_of(plan.cell)
    groups = unit_groups(plan)
    fed = {e.dst for e in plan.inputs}
    selfs = {e.dst for e in plan.recurrent if e.src == e.dst}
    srcs: dict[int, list[int]] = {}
    for e in sorted(plan.recurrent, key=lambda e: (e.dst, e.src)):
        if e.src != e.dst:
            srcs.setdefault(e.dst, []).append(e.src)
    blocks = []
    for b in range(len(plan.blocks)):
        s0, s1 = plan.span(b)
        w = s1 - s0
        rows = np.concatenate([k * N + np.arange(s0, s1) for k in range(G)])
        scale = np.repeat(half, w)[:, None]
        w_ih = params.weight_ih[rows]
        whh = params.weight_hh[rows, s0:s1]
        src_cols = np.concatenate([np.arange(*plan.span(s)) for s in srcs.get(b, [])] or [np.arange(0)])
        cross = params.weight_hh[np.ix_(rows, src_cols)] if len(src_cols) else None
        bias, b_hn = folded_biases(cell, *(None if v is None else v[rows] for v in (params.bias_ih, params.bias_hh)))
        if bias is not None:
            bias = bias * scale[:, 0]
            if b_hn is not None:
                b_hn = np.ascontiguousarray(b_hn)
        spans = sorted([plan.span(s) for s in srcs.get(b, [])] + [(s0, s1)])
        hull = (spans[0][0], spans[-1][1]) if all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1)) \
            else None
        acts = tuple(ActGroup(n, max(a, s0) - s0, min(c, s1) - s0) for n, a, c in groups if a < s1 and c > s0)
        blocks.append(_Block(
            b, (s0, s1), rows, int(plan.blocks[b].hold), b in fed, acts, tuple(srcs.get(b, [])), src_cols, hull,
            np.ascontiguousarray((w_ih * scale).T) if b in fed else None, bias, b_hn,
            np.ascontiguousarray((whh * scale).T) if b in selfs else None,
            None if cross is None else np.ascontiguousarray((cross * scale).T),
            np.ascontiguousarray(w_ih), np.ascontiguousarray(whh),
            None if cross is None else np.ascontiguousarray(cross)))
    return BlockOrder(plan.cell, N, order, tuple(blocks), cell.reset_gate and plan.gru_reset == "full")


class _Workspace:
    """Flat buffers that every block of one pass reuses, by name.

    A fresh array of megabytes costs a page fault per 4 KiB page on first
    touch, about as much as a pass over it; the per-block intermediates
    (input sides, gates, gradients) are dead once the block is done, so
    the blocks share them.
    """

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype
        self.bufs: dict[str, np.ndarray] = {}

    def __call__(self, name: str, *shape: int) -> np.ndarray:
        """An uninitialised contiguous array of ``shape`` in buffer ``name``."""
        n = int(np.prod(shape))
        buf = self.bufs.get(name)
        if buf is None or buf.size < n:
            buf = self.bufs[name] = np.empty(n, dtype=self.dtype)
        return buf[:n].reshape(shape)


def _rows2(a: np.ndarray) -> np.ndarray:
    """``a (T, B, k)`` as ``(T·B, k)``: a view when the first two axes merge (a slice of the unit axis does)."""
    return a.reshape(a.shape[0] * a.shape[1], a.shape[2])


def _sources(bo: BlockOrder, blk: _Block, h: np.ndarray, T: int) -> np.ndarray:
    """The states the block reads from the other blocks at steps ``0 … T - 1``, shape ``(T·B, Σ w_src)``.

    One view when the sources are adjacent columns (a stacked or skip plan),
    else one gathered copy.
    """
    spans = [bo.blocks[s].span for s in blk.srcs]
    if all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1)):
        return _rows2(h[:T, :, spans[0][0] : spans[-1][1]])
    return _rows2(np.concatenate([h[:T, :, a:b] for a, b in spans], axis=2))


def dag_forward(
    bo: BlockOrder,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
    *,
    keep_cache: bool = True,
    plan_reset_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, LayerCache | None]:
    """Run the delayed layer block by block over all steps.

    Parameters
    ----------
    bo : BlockOrder
        :func:`block_order` of the plan and ``params``.
    params : LayerParams
        The dense parameters (stored in the cache).
    x : ndarray, shape (T', B, I)
        The already zero-padded input.
    h0 : ndarray, shape (B, N)
    c0 : ndarray, shape (B, N), or None
    keep_cache : bool
        False for inference: no cache is returned.
    plan_reset_mask : bool ndarray, shape (N, N), or None
        :func:`numerics.engine.units.reset_mask` of the plan, stored in the cache.

    Returns
    -------
    states : ndarray, shape (T', B, N)
    cache : LayerCache or None
        As :func:`numerics.engine.layer.layer_forward` returns it.
    """
    N = bo.hidden_size
    C = cell_of(bo.cell)
    G = C.gates
    x = np.ascontiguousarray(x)
    T, B, _ = x.shape
    dt = params.dtype
    h = np.empty((T + 1, B, N), dtype=dt)
    h[0] = h0
    c = np.empty((T + 1, B, N), dtype=dt) if C.second_state else None
    if c is not None:
        c[0] = 0 if c0 is None else c0
    gates = np.empty((T, B, G * N), dtype=dt) if C.keeps_gates and keep_cache else None
    inner = np.empty((T, B, N), dtype=dt) if C.keeps_gates else None
    x2 = _rows2(x)
    ws = _Workspace(dt)
    nones = [None] * (T + 1)
    for b in bo.order:
        blk = bo.blocks[b]
        s0, s1 = blk.span
        w = s1 - s0
        k = (G - 1) * w              # a reset gate's operand: the last gate's columns k:
        # Contiguous per-block buffers: the step kernels slice gates along the last axis.
        # Readings of the other blocks at all steps: one product. For a reset-gate cell with the full reset
        # (PyTorch's GRU) the last gate's part lies inside the reset gate and stays apart (``inside``);
        # everything else joins the input side ``xw``.
        acc = None
        if blk.cross_t is not None:
            acc = np.matmul(_sources(bo, blk, h, T), blk.cross_t, out=ws("acc", T * B, G * w)).reshape(T, B, G * w)
        inside = acc[..., k:] if (acc is not None and bo.inside) else None
        if blk.w_ih_t is not None:
            xw = np.matmul(x2, blk.w_ih_t, out=ws("xw", T * B, G * w)).reshape(T, B, G * w)
            if acc is not None:
                if inside is None:
                    xw += acc
                else:
                    xw[..., :k] += acc[..., :k]
        elif acc is not None and inside is None:
            xw = acc                                # no input: the readings are the whole input side
        else:
            xw = ws("xw", T, B, G * w)
            if acc is not None:
                xw[..., :k] = acc[..., :k]
                xw[..., k:] = 0
            else:
                xw[...] = 0
        if blk.bias is not None:
            xw += blk.bias
        hb = ws("h", T + 1, B, w)
        hb[0] = h0[:, s0:s1]
        whh_t = blk.whh_t if blk.whh_t is not None else np.zeros((w, G * w), dtype=dt)
        gb = ws("gates", T, B, G * w) if C.keeps_gates else nones
        cb = nones
        if c is not None:
            cb = ws("c", T + 1, B, w)
            cb[0] = c[0, :, s0:s1]
        ib = ws("inner", T, B, w) if C.keeps_gates else nones
        b_hn = blk.b_hn
        if inside is not None and b_hn is not None:
            inside += b_hn                          # joins b_hn: one addition per step inside the reset gate
        bh = [b_hn] * T if inside is None else inside
        target, finish, acts = C.product_target, C.forward_pointwise, blk.acts
        for t in range(T):
            # The step (numerics.engine.layer): product, then the cell. A reset gate adds its b_hn argument to
            # W_hn h; a per-step (B, w) array broadcasts as well.
            h_prev, h_new, g = hb[t], hb[t + 1], gb[t]
            np.matmul(h_prev, whh_t, out=target(g, h_new, None))
            finish(xw[t], h_prev, cb[t], g, cb[t + 1], ib[t], h_new, bh[t], acts, None)
            if t < blk.hold:
                hb[t + 1] = hb[t]
                if c is not None:
                    cb[t + 1] = cb[t]
        h[1:, :, s0:s1] = hb[1:]
        if c is not None:
            c[1:, :, s0:s1] = cb[1:]
        if inner is not None:
            inner[:, :, s0:s1] = ib
        if gates is not None:
            gates.reshape(T, B, G, N)[:, :, :, s0:s1] = gb.reshape(T, B, G, w)
    if not keep_cache:
        return h[1:], None
    holds = np.repeat([blk.hold for blk in bo.blocks], [blk.span[1] - blk.span[0] for blk in bo.blocks])
    groups = tuple(ActGroup(n, a + blk.span[0], c_ + blk.span[0]) for blk in bo.blocks for n, a, c_ in blk.acts)
    cache = LayerCache(bo.cell, params, x, h, c, gates, *C.inner_fields(inner), _merge(groups),
                       holds if holds.any() else None, False, plan_reset_mask)
    return h[1:], cache


def _merge(groups: tuple[ActGroup, ...]) -> tuple[ActGroup, ...]:
    """Adjacent activation groups of the same name as one (the layout :func:`unit_groups` uses)."""
    out: list[ActGroup] = []
    for g in sorted(groups, key=lambda g: g.start):
        if out and out[-1].name == g.name and out[-1].stop == g.start:
            out[-1] = out[-1]._replace(stop=g.stop)
        else:
            out.append(g)
    return tuple(out)


def dag_backward(
    bo: BlockOrder,
    cache: LayerCache,
    dh_out: np.ndarray,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[np.ndarray, LayerParams, np.ndarray, np.ndarray | None]:
    """Backpropagation through time block by block, in reverse topological order.

    The same computation as :func:`numerics.engine.layer.layer_backward`
    (same arguments and returns, plus the block order), except that the
    recurrent weight gradient is computed on the plan's blocks only, so it
    equals the dense gradient times the plan's mask.

    Parameters
    ----------
    bo : BlockOrder
    cache : LayerCache
        From :func:`dag_forward` (or any engine) on the same plan, not reversed.
    dh_out : ndarray, shape (T, B, N)
    dh_final, dc_final : ndarray, shape (B, N), optional

    Returns
    -------
    dx : ndarray, shape (T, B, I)
    grads : LayerParams
    dh0 : ndarray, shape (B, N)
    dc0 : ndarray, shape (B, N), or None
    """
    p = cache.params
    x, h = cache.x, cache.h
    T, B, I = x.shape
    N = bo.hidden_size
    C = cell_of(bo.cell)
    G = C.gates
    dt = p.dtype
    R = T * B
    x2 = _rows2(x)
    dw_ih = np.zeros((G * N, I), dtype=dt)
    dw_hh = np.zeros((G * N, N), dtype=dt)
    db_ih = np.zeros(G * N, dtype=dt) if p.bias_ih is not None else None
    db_hh = np.zeros(G * N, dtype=dt) if p.bias_hh is not None else None
    dx2 = np.zeros((R, I), dtype=dt)
    dh0 = np.zeros((B, N), dtype=dt)     # readings of the initial states by other blocks, then the result
    dc0 = None
    if C.second_state:
        dc0 = np.zeros((B, N), dtype=dt) if dc_final is None else np.array(dc_final, dtype=dt)
    # Gradients arriving at each block's states from the blocks that read it, pushed by those readers.
    dh_in = np.array(dh_out, dtype=dt)
    gv = cache.gates.reshape(T, B, G, N) if C.keeps_gates else None
    inner = C.inner_of(cache)
    ws = _Workspace(dt)

    def take(name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return ws(name, *shape)

    for b in reversed(bo.order):
        blk = bo.blocks[b]
        s0, s1 = blk.span
        w = s1 - s0
        dhb = dh_in[:, :, s0:s1]
        dh = np.zeros((B, w), dtype=dt) if dh_final is None else np.array(dh_final[:, s0:s1], dtype=dt)
        buf = np.empty((B, w), dtype=dt)
        first = min(blk.hold, T)
        dax = ws("dax", T, B, G * w)
        dah = ws("dah", T, B, G * w) if C.reset_gate else dax
        # Held steps discarded their computed values: zero pre-activation gradients.
        dax[:first] = 0
        dah[:first] = 0
        whh = blk.whh if blk.whh_t is not None else np.zeros((G * w, w), dtype=dt)
        # Local derivatives of all steps at once, from strided views of the dense cache.
        loc = C.step_locals(h[:, :, s0:s1], None if gv is None else gv[..., s0:s1],
                            None if cache.c is None else cache.c[:, :, s0:s1],
                            None if inner is None else inner[:, :, s0:s1], blk.acts, take)
        dc = None if dc0 is None else np.array(dc0[:, s0:s1])
        pointwise, direct = C.backward_pointwise, C.backward_direct
        for t in range(T - 1, first - 1, -1):
            dh += dhb[t]
            np.matmul(pointwise(dh, dc, loc, t, dax[t], dah[t], None), whh, out=buf)
            if C.direct:
                direct(dh, loc, t, buf, None)
            dh, buf = buf, dh
        if dc is not None:
            dc0[:, s0:s1] = dc
        # Held steps copy the state: the gradient passes straight through them (dc is left as it is).
        if first:
            dh += dhb[:first].sum(axis=0)
        dh0[:, s0:s1] += dh
        dax2, dah2 = _rows2(dax), _rows2(dah)
        rows = blk.rows
        if blk.fed:
            dw_ih[rows] = dax2.T @ x2
            dx2 += dax2 @ blk.w_ih
        if db_ih is not None:
            db_ih[rows] = dax2.sum(axis=0)
            db_hh[rows] = dah2.sum(axis=0)
        # The readings of other blocks see the hidden-side gradient inside the reset gate, else the input side's.
        dcr = dah2 if bo.inside or not C.reset_gate else dax2
        if blk.cross is not None and blk.whh_t is not None and dcr is dah2 and blk.hull is not None:
            # Self and sources adjacent: the weight gradients of all of them in one product.
            a, e = blk.hull
            dw_hh[rows, a:e] = dah2.T @ _rows2(h[:-1, :, a:e])
        else:
            if blk.whh_t is not None:
                dw_hh[rows, s0:s1] = dah2.T @ _rows2(h[:-1, :, s0:s1])
            if blk.cross is not None:
                dw_hh[np.ix_(rows, blk.src_cols)] = dcr.T @ _sources(bo, blk, h, T)
        if blk.cross is not None and T:
            back = np.matmul(dcr, blk.cross, out=ws("back", T * B, blk.cross.shape[1])).reshape(T, B, -1)
            k0 = 0
            for s in blk.srcs:
                a, e = bo.blocks[s].span
                # Step t read the state after step t - 1: h[0] is the initial state.
                dh0[:, a:e] += back[0, :, k0 : k0 + e - a]
                dh_in[: T - 1, :, a:e] += back[1:, :, k0 : k0 + e - a]
                k0 += e - a
    grads = LayerParams(dw_ih, dw_hh, db_ih, db_hh)
    return dx2.reshape(T, B, I), grads, dh0, dc0


@dataclass(frozen=True)
class BlockOrderCache(DenseLayoutCache):
    """Cache of the block order: the dense-layout :class:`LayerCache` and the block order, and their backward."""

    schedule: ClassVar[str] = "blocks"
    plan: Plan
    layer: LayerCache
    order: BlockOrder

    def backward(self, dy: np.ndarray, dh_final: np.ndarray | None, dc_final: np.ndarray | None,
                 masked: bool) -> Grads:
        """:func:`dag_backward` for a masked network (the pattern's gradient); else the dense backward."""
        if not masked:
            return dense_backward(self.plan, self.layer, dy, dh_final, dc_final, masked)
        ds = state_grad(self.plan, dy, self.layer.x.shape[0])
        dxp, g, dh0, dc0 = dag_backward(self.order, self.layer, ds, dh_final, dc_final)
        return dxp, mask_grads(self.plan, g), dh0, dc0


def blocks_run(plan: Plan, params: LayerParams, prepared: BlockOrder, x: np.ndarray, h0: np.ndarray,
               c0: np.ndarray | None, keep_cache: bool, full: bool) -> tuple[np.ndarray, BlockOrderCache | None]:
    """:attr:`numerics.engine.protocol.Schedule.run` of the block order."""
    states, cache = dag_forward(prepared, params, x, h0, c0, keep_cache=keep_cache, plan_reset_mask=reset_mask(plan))
    return ((states if full else readout_states(plan, states)),
            (BlockOrderCache(plan, cache, prepared) if keep_cache else None))


def _needs(plan: Plan) -> str | None:
    if topological_blocks(plan) is not None:
        return None
    return "a plan whose recurrent edges between different blocks have no cycle"


SCHEDULE = Schedule(
    name="blocks",
    summary="each block over all steps in topological order (plans without cycles between blocks)",
    needs=_needs,
    on_plan=True,
    cost=lambda plan, batch, steps, backward: schedule_cost(plan, batch, steps, "blocks", backward),
    run=blocks_run,
    prepare=block_order,
)


__all__ = ["SCHEDULE", "BlockOrder", "BlockOrderCache", "block_order", "blocks_run", "dag_backward", "dag_forward",
           "topological_blocks"]
