"""Layer-order schedule of a delayed network with the stacked structure: block by block over all steps.

The wavefront (:mod:`numerics.engine.wavefront`) computes all blocks of one
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

A held block (hold ``hold[l] = k``) keeps its initial state for
``k`` steps, so its layer simply starts at step ``k``. For GRU this is the
own-reset cell (``plan.gru_reset == "own"``): the reading of block ``l - 1``
lies outside the reset gate, exactly where a layer's input side is.

The forward pass returns a :class:`BlockCaches`; :func:`dense_cache` turns
it into the :class:`numerics.engine.params.LayerCache` the dense and
wavefront engines produce, so every schedule can be compared field by
field and the dense backward run on any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any, ClassVar

import numpy as np

from numerics.engine.activations import ActGroup
from numerics.engine.cells import cell_of
from numerics.engine.cost import schedule_cost
from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.params import LayerCache, LayerParams
from numerics.engine.protocol import Schedule, dense_backward
from numerics.engine.units import reset_mask, unit_groups, unit_holds
from theory.layout import Plan


def supports_layer_order(plan: Plan) -> bool:
    """True if the plan can run in layer order.

    Block ``l`` reads only blocks ``l`` and ``l - 1``, the input feeds only
    block 0 and, for a reset-gate cell (GRU), the reset gate multiplies only
    the block's own recurrent reading (``gru_reset == "own"``; PyTorch's full
    reset puts the reading of block ``l - 1`` inside the gate, which a layer's
    input side cannot express).
    """
    stacked = all(e.dst in (e.src, e.src + 1) for e in plan.recurrent) and all(e.dst == 0 for e in plan.inputs)
    return stacked and (not cell_of(plan.cell).reset_gate or plan.gru_reset == "own")


@lru_cache(maxsize=64)
def _spans(plan: Plan) -> tuple[tuple[int, int], ...]:
    """Every block's unit range ``(start, stop)`` (``plan.span`` recomputes offsets on each call)."""
    return tuple(plan.span(l) for l in range(len(plan.blocks)))


def _gate_rows(plan: Plan, l: int) -> list[slice]:
    """Rows of block ``l`` in the dense ``(G·N, ·)`` weights, one slice per gate."""
    r0, r1 = _spans(plan)[l]
    N = plan.hidden_size
    return [slice(g * N + r0, g * N + r1) for g in range(plan.gates)]


def block_params(plan: Plan, params: LayerParams) -> tuple[LayerParams, ...]:
    """Each block as a layer: ``weight_ih`` reads the input (block 0) or block ``l - 1``.

    Returns
    -------
    tuple of LayerParams
        Block ``l``: ``weight_ih (G·n_l, I or n_{l-1})``, ``weight_hh (G·n_l, n_l)``,
        biases ``(G·n_l,)``.
    """
    if len(plan.blocks) == 1:
        return (params,)                       # one block: its layer is the whole delayed layer
    out = []
    for l in range(len(plan.blocks)):
        rows = _gate_rows(plan, l)
        r0, r1 = _spans(plan)[l]
        if l == 0:
            w_ih = np.concatenate([params.weight_ih[r] for r in rows])
        else:
            s0, s1 = _spans(plan)[l - 1]
            w_ih = np.concatenate([params.weight_hh[r, s0:s1] for r in rows])
        w_hh = np.concatenate([params.weight_hh[r, r0:r1] for r in rows])
        out.append(LayerParams(
            w_ih, w_hh,
            None if params.bias_ih is None else np.concatenate([params.bias_ih[r] for r in rows]),
            None if params.bias_hh is None else np.concatenate([params.bias_hh[r] for r in rows])))
    return tuple(out)


def _acts(plan: Plan, l: int, width: int) -> tuple[ActGroup, ...]:
    """Block ``l``'s activation as a layer's groups (cells with a per-block activation), else ``()``."""
    return (ActGroup(str(plan.activations[l]), 0, width),) if cell_of(plan.cell).activated else ()


def bc_width(plan: Plan, l: int) -> int:
    """Width of block ``l``."""
    r0, r1 = _spans(plan)[l]
    return r1 - r0


def step_ranges(plan: Plan, steps: int, full: bool = True) -> tuple[tuple[int, int], ...]:
    """The steps ``start … end - 1`` each block computes.

    A block starts after its hold. With ``full`` every block runs to the last
    step ``T' - 1``; otherwise only as far as a read-out block needs it: block
    ``l``'s state after step ``t`` reaches block ``m > l`` at step
    ``t + m - l`` and nowhere earlier, so with ``M`` the lowest read-out
    block at or above ``l`` the last step needed is ``T' - 1 - (M - l)``
    (and none at all above the highest read-out block). The skipped tail
    steps only change the final states.

    Parameters
    ----------
    plan : Plan
    steps : int
        ``T'``, the number of (padded) steps.
    full : bool

    Returns
    -------
    tuple of (start, end) per block
    """
    out = []
    top = max(plan.readout)
    for l, b in enumerate(plan.blocks):
        start = min(int(b.hold), steps)
        if full:
            end = steps
        elif l > top:
            end = start
        else:
            end = steps - (min(r for r in plan.readout if r >= l) - l)
        out.append((start, max(start, end)))
    return tuple(out)


@dataclass(frozen=True)
class BlockCaches:
    """Result (and cache) of a layer-order forward pass.

    Attributes
    ----------
    plan : Plan
    params : LayerParams
        The dense delayed parameters.
    x : ndarray, shape (T', B, I)
        The zero-padded input.
    h0 : ndarray, shape (B, N)
    c0 : ndarray, shape (B, N), or None
    layers : tuple of LayerCache, or None
        Block ``l``'s layer over its steps ``ranges[l]``; None for inference.
    outs : tuple of ndarray
        Block ``l``'s states after steps ``start … end - 1``, shape ``(end - start, B, n_l)``.
    ranges : tuple of (start, end)
        See :func:`step_ranges`.
    """

    plan: Plan
    params: LayerParams
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    layers: tuple[LayerCache, ...] | None
    outs: tuple[np.ndarray, ...]
    ranges: tuple[tuple[int, int], ...]

    @property
    def full(self) -> bool:
        """True if every block ran to the last step (the final states are known)."""
        return all(e == self.x.shape[0] for _, e in self.ranges)

    def block_states(self, l: int, a: int, b: int) -> np.ndarray:
        """Block ``l``'s states after steps ``a … b - 1``, shape ``(b - a, B, n_l)`` (a view where possible).

        Before its start the block holds its initial state; steps at or past
        its end must not be asked for.
        """
        s, e = self.ranges[l]
        if b > e and b > s:
            raise ValueError(f"block {l} ran steps {s}..{e - 1} only; steps up to {b - 1} asked for")
        if a >= s:
            return self.outs[l][a - s : b - s]
        r0, r1 = _spans(self.plan)[l]
        n_pre = min(s, b) - a
        pre = np.broadcast_to(self.h0[:, r0:r1], (n_pre, *self.h0[:, r0:r1].shape))
        return np.concatenate([pre, self.outs[l][: max(b - s, 0)]]) if b > s else np.array(pre)

    @cached_property
    def states(self) -> np.ndarray:
        """The dense states after each step, shape ``(T', B, N)``; needs a full pass."""
        if not self.full:
            raise ValueError("the states of every step need a full pass (layer_order_run(..., full=True))")
        Tp, B, _ = self.x.shape
        out = np.empty((Tp, B, self.plan.hidden_size), dtype=self.params.dtype)
        for l in range(len(self.plan.blocks)):
            r0, r1 = _spans(self.plan)[l]
            out[:, :, r0:r1] = self.block_states(l, 0, Tp)
        return out

    def readout(self, delay: int, steps: int) -> np.ndarray:
        """The read-out blocks' states after steps ``delay … delay + steps - 1``, shape ``(steps, B, output_size)``."""
        parts = [self.block_states(r, delay, delay + steps) for r in self.plan.readout]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)


def layer_order_run(
    plan: Plan,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
    *,
    keep_cache: bool = True,
    full: bool = True,
) -> BlockCaches:
    """Run the delayed layer block by block, each block's states left in its own buffer.

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
        False for inference: no gates are stored.
    full : bool
        False: each block stops at the last step a read-out block needs
        (:func:`step_ranges`), which skips up to ``d`` steps per block; the
        final states are then unknown.

    Returns
    -------
    BlockCaches
    """
    Tp = x.shape[0]
    ranges = step_ranges(plan, Tp, full)
    layers: list[LayerCache] = []
    outs: list[np.ndarray] = []
    part = BlockCaches(plan, params, x, h0, c0, None, (), ranges)
    for l, bp in enumerate(block_params(plan, params)):
        r0, r1 = _spans(plan)[l]
        s, e = ranges[l]
        if e == s:
            inp = np.zeros((0, x.shape[1], x.shape[2] if l == 0 else bc_width(plan, l - 1)), dtype=params.dtype)
        elif l == 0:
            inp = x[s:e]
        else:
            # Block l at step t reads block l - 1's state after step t - 1 (a view of its buffer).
            inp = replace(part, outs=tuple(outs)).block_states(l - 1, s - 1, e - 1)
        acts = _acts(plan, l, r1 - r0)
        hs, lc = layer_forward(plan.cell, bp, inp, h0[:, r0:r1], None if c0 is None else c0[:, r0:r1],
                               activations=acts, keep_cache=keep_cache)
        outs.append(hs)
        layers.append(lc)
    return BlockCaches(plan, params, x, h0, c0 if cell_of(plan.cell).second_state else None,
                       tuple(layers) if keep_cache else None, tuple(outs), ranges)


def layer_order_forward(
    plan: Plan,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
    *,
    keep_cache: bool = True,
) -> tuple[np.ndarray, BlockCaches | None]:
    """Run the delayed layer block by block over all steps (:func:`layer_order_run` with ``full=True``).

    Parameters
    ----------
    plan, params, x, h0, c0 : as :func:`layer_order_run`
    keep_cache : bool
        False for inference: no gates are stored and no cache is returned.

    Returns
    -------
    states : ndarray, shape (T', B, N)
    cache : BlockCaches, or None if not ``keep_cache``
    """
    bc = layer_order_run(plan, params, x, h0, c0, keep_cache=keep_cache, full=True)
    return bc.states, (bc if keep_cache else None)


def dense_cache(bc: BlockCaches) -> LayerCache:
    """The :class:`LayerCache` the dense engine would have produced from the same (full) pass.

    Gates at a held block's held steps (which the dense engine computes and
    then discards) are zero here; the backward pass never reads them.
    """
    if bc.layers is None or not bc.full:
        raise ValueError("dense_cache needs a full pass with keep_cache=True")
    plan, p = bc.plan, bc.params
    Tp, B, _ = bc.x.shape
    N, G = plan.hidden_size, plan.gates
    C = cell_of(plan.cell)
    dt = p.dtype
    h = np.empty((Tp + 1, B, N), dtype=dt)
    h[0] = bc.h0
    h[1:] = bc.states
    c = np.empty((Tp + 1, B, N), dtype=dt) if C.second_state else None
    gates = np.zeros((Tp, B, G * N), dtype=dt) if C.keeps_gates else None
    inner = np.zeros((Tp, B, N), dtype=dt) if C.keeps_gates else None
    for l, lc in enumerate(bc.layers):
        r0, r1 = _spans(plan)[l]
        s, n = bc.ranges[l][0], r1 - r0
        if c is not None:
            c0 = np.zeros((B, n), dtype=dt) if bc.c0 is None else bc.c0[:, r0:r1]
            c[: s + 1, :, r0:r1] = c0
            c[s + 1 :, :, r0:r1] = lc.c[1:]
        if gates is not None:
            inner[s:, :, r0:r1] = C.inner_of(lc)
            for g in range(G):
                gates[s:, :, g * N + r0 : g * N + r1] = lc.gates[..., g * n : (g + 1) * n]
    return LayerCache(plan.cell, p, np.ascontiguousarray(bc.x), h, c, gates, *C.inner_fields(inner),
                      unit_groups(plan), unit_holds(plan), False, reset_mask(plan))


#: A gradient arriving at one block's states: ``(offset, array)``, the array ``(k, B, n_l)``
#: holding the gradient of the states after steps ``offset … offset + k - 1``.
Incoming = tuple[int, np.ndarray]


def layer_order_grads(
    bc: BlockCaches,
    incoming: dict[int, list[Incoming]],
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[tuple[int, np.ndarray], LayerParams, np.ndarray, np.ndarray | None]:
    """Backpropagation in layer order, top block first, from per-block state gradients.

    Block ``l``'s input gradient (with respect to block ``l - 1``'s shifted
    states) is handed to block ``l - 1`` before that block runs, exactly as
    in a stacked network, without a dense ``(T', B, N)`` gradient buffer.
    Gradients are only computed on the plan's pattern: the dense weights'
    entries outside it get exact zeros, which is the masked network's
    gradient.

    Parameters
    ----------
    bc : BlockCaches
        With ``keep_cache``. If it is not full, every gradient must lie
        within the blocks' ranges and the final-state gradients must be None.
    incoming : dict of block index to list of (offset, ndarray (k, B, n_l))
        Gradients with respect to the blocks' states (e.g. the read-out).
    dh_final, dc_final : ndarray, shape (B, N), optional

    Returns
    -------
    dx : (offset, ndarray (k, B, I))
        Gradient with respect to the padded input at steps ``offset …`` (zero elsewhere).
    grads : LayerParams
        Dense layout, zero outside the stacked pattern.
    dh0 : ndarray, shape (B, N)
    dc0 : ndarray, shape (B, N), or None
    """
    if bc.layers is None:
        raise ValueError("the backward pass needs a forward pass with keep_cache=True")
    plan, p = bc.plan, bc.params
    _, B, I = bc.x.shape
    L, N = len(plan.blocks), plan.hidden_size
    second = cell_of(plan.cell).second_state
    if not bc.full and (dh_final is not None or dc_final is not None):
        raise ValueError("final-state gradients need a full forward pass")
    dt = p.dtype
    # One block is the whole layer: its gradients are the dense ones as they stand (no copy into zeros).
    single = L == 1
    zeros = (lambda a: a) if single else np.zeros_like
    d_ih = zeros(p.weight_ih)
    d_hh = zeros(p.weight_hh)
    d_bih = None if p.bias_ih is None else zeros(p.bias_ih)
    d_bhh = None if p.bias_hh is None else zeros(p.bias_hh)
    dh0 = np.empty((B, N), dtype=dt)
    dc0 = np.zeros((B, N), dtype=dt) if second else None
    from_above: list[Incoming] = []
    dx: Incoming = (0, np.zeros((0, B, I), dtype=dt))
    for l in range(L - 1, -1, -1):
        lc = bc.layers[l]
        r0, r1 = _spans(plan)[l]
        n = r1 - r0
        s, e = bc.ranges[l]
        srcs = [g for g in incoming.get(l, []) + from_above if g[1].shape[0]]
        # Gradient of the states after steps s … e - 1; earlier steps held the initial state.
        if len(srcs) == 1 and srcs[0][0] == s and srcs[0][1].shape[0] == e - s:
            dout = srcs[0][1]
            held = None
        else:
            dout = np.zeros((e - s, B, n), dtype=dt)
            held = np.zeros((B, n), dtype=dt)
            for o, a in srcs:
                k = a.shape[0]
                if o + k > e and np.any(a[max(e - o, 0):]):
                    raise ValueError(f"gradient at steps past block {l}'s last computed step {e - 1}")
                lo, hi = max(o, s), min(o + k, e)
                if hi > lo:
                    dout[lo - s : hi - s] += a[lo - o : hi - o]
                if o < s:
                    held += a[: min(s, o + k) - o].sum(axis=0)
        fh = None if dh_final is None else dh_final[:, r0:r1]
        fc = None if dc_final is None else dc_final[:, r0:r1]
        if e == s:
            # No step computed: the block's state is its initial state throughout.
            dxl, gl = np.zeros((0, B, lc.x.shape[2]), dtype=dt), None
            dh0l = np.zeros((B, n), dtype=dt) if fh is None else fh.copy()
            dc0l = fc
        else:
            dxl, gl, dh0l, dc0l = layer_backward(lc, dout, fh, fc)
        if held is not None:
            dh0l = dh0l + held
        dh0[:, r0:r1] = dh0l
        if second and dc0l is not None:
            dc0[:, r0:r1] = dc0l
        if single:
            d_ih, d_hh, d_bih, d_bhh = ((gl.weight_ih, gl.weight_hh, gl.bias_ih, gl.bias_hh) if gl is not None else
                                        tuple(None if a is None else np.zeros_like(a) for a in
                                              (p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh)))
        elif gl is not None:
            n_in = gl.weight_ih.shape[1]
            for g, rows in enumerate(_gate_rows(plan, l)):
                k = slice(g * n, (g + 1) * n)
                d_hh[rows, r0:r1] = gl.weight_hh[k]
                if l == 0:
                    d_ih[rows] = gl.weight_ih[k]
                else:
                    d_hh[rows, r0 - n_in : r0] = gl.weight_ih[k]
                if d_bih is not None:
                    d_bih[rows] = gl.bias_ih[k]
                    d_bhh[rows] = gl.bias_hh[k]
        # Block l at step t read block l - 1's state after step t - 1.
        from_above = [(s - 1, dxl)]
        if l == 0:
            dx = (s, dxl)
    rec = plan.recurrent_block_mask()
    if not all(rec[l, l] for l in range(L)):
        # A block without a self edge (a backward layer of horizon 0) has no recurrent weights of its own,
        # but its per-block backward pass returned a gradient for them: zero it, as the plan's pattern says.
        d_hh = d_hh * plan.weight_hh_mask()
    return dx, LayerParams(d_ih, d_hh, d_bih, d_bhh), dh0, dc0


def layer_order_backward(
    bc: BlockCaches,
    ds: np.ndarray,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[np.ndarray, LayerParams, np.ndarray, np.ndarray | None]:
    """Backpropagation in layer order from a dense state gradient (inverse of :func:`layer_order_forward`).

    Parameters
    ----------
    bc : BlockCaches
        A full pass with ``keep_cache``.
    ds : ndarray, shape (T', B, N)
        Gradient with respect to the states after each step.
    dh_final, dc_final : ndarray, shape (B, N), optional
        Gradient with respect to the final state (and LSTM cell state).

    Returns
    -------
    dx : ndarray, shape (T', B, I)
    grads : LayerParams
        Dense layout, zero outside the stacked pattern (see :func:`layer_order_grads`).
    dh0 : ndarray, shape (B, N)
    dc0 : ndarray, shape (B, N), or None
    """
    Tp, B, I = bc.x.shape
    incoming = {l: [(0, ds[:, :, slice(*_spans(bc.plan)[l])])] for l in range(len(bc.plan.blocks))}
    (o, dxl), grads, dh0, dc0 = layer_order_grads(bc, incoming, dh_final, dc_final)
    dx = np.zeros((Tp, B, I), dtype=bc.params.dtype)
    dx[o : o + dxl.shape[0]] = dxl
    return dx, grads, dh0, dc0


def _join(head: LayerCache, tail: LayerCache) -> LayerCache:
    """One block's layer cache over its head steps followed by its tail steps (the tail starts where the head ended)."""
    def cat(a: np.ndarray | None, b: np.ndarray | None, state: bool) -> np.ndarray | None:
        return None if a is None else np.concatenate([a, b[1:] if state else b])

    return replace(head, x=np.concatenate([head.x, tail.x]), h=cat(head.h, tail.h, True),
                   c=cat(head.c, tail.c, True), gates=cat(head.gates, tail.gates, False),
                   tanh_c=cat(head.tanh_c, tail.tanh_c, False), hn=cat(head.hn, tail.hn, False))


def resume_full(bc: BlockCaches) -> BlockCaches:
    """A truncated pass (:func:`step_ranges` with ``full=False``) continued to the last step.

    Runs only the tail steps each block skipped (at most ``d`` per block),
    from the state where it stopped and block ``l - 1``'s (now full) states,
    instead of the whole pass again; the caches are joined with one copy.
    """
    if bc.layers is None:
        raise ValueError("resuming a layer-order pass needs its cache (keep_cache=True)")
    plan, params, x = bc.plan, bc.params, bc.x
    Tp = x.shape[0]
    full = step_ranges(plan, Tp, True)
    layers, outs = list(bc.layers), list(bc.outs)
    for l, bp in enumerate(block_params(plan, params)):
        (s, e), (_, end) = bc.ranges[l], full[l]
        if e == end:
            continue
        r0, r1 = _spans(plan)[l]
        lc = layers[l]
        h_at = lc.h[-1]
        c_at = lc.c[-1] if lc.c is not None else None
        if e == s and bc.c0 is not None:
            c_at = bc.c0[:, r0:r1]
        part = replace(bc, layers=None, outs=tuple(outs), ranges=tuple(full[:l]) + bc.ranges[l:])
        inp = x[e:end] if l == 0 else part.block_states(l - 1, e - 1, end - 1)
        acts = _acts(plan, l, r1 - r0)
        hs, tail = layer_forward(plan.cell, bp, inp, h_at, c_at, activations=acts, keep_cache=True)
        layers[l] = _join(lc, tail)
        outs[l] = np.concatenate([outs[l], hs])
    return replace(bc, layers=tuple(layers), outs=tuple(outs), ranges=full)


@dataclass(frozen=True)
class LayerOrderCache:
    """Cache of the layer-order schedule: the per-block caches, and their backward.

    Each block stops at the last step the read-out needs, so the steps that
    only change the final states are skipped; :attr:`full_blocks` runs those
    tail steps only (:func:`resume_full`) when asked for (the final states, a
    final-state gradient, the dense cache), once.
    """

    schedule: ClassVar[str] = "layers"
    blocks: BlockCaches

    @property
    def x(self) -> np.ndarray:
        return self.blocks.x

    @cached_property
    def full_blocks(self) -> BlockCaches:
        """The layer-order pass with every block run to the last step (computed once, if needed)."""
        bc = self.blocks
        if bc.full:
            return bc
        return resume_full(bc)

    @property
    def states(self) -> np.ndarray:
        return self.full_blocks.states

    @cached_property
    def layer(self) -> LayerCache:
        return dense_cache(self.full_blocks)

    def backward(self, dy: np.ndarray, dh_final: np.ndarray | None, dc_final: np.ndarray | None,
                 masked: bool) -> tuple[np.ndarray, LayerParams, np.ndarray, np.ndarray | None]:
        """Layer-order backward for a masked network (the pattern's gradient); else the dense backward.

        The read-out gradient goes straight to its blocks, with no dense
        ``(T', B, N)`` buffer.
        """
        plan = self.blocks.plan
        if not masked:
            return dense_backward(plan, self.layer, dy, dh_final, dc_final, masked)
        bc = self.blocks if dh_final is None else self.full_blocks
        Tp, B, I = bc.x.shape
        d, T = plan.delay, dy.shape[0]
        incoming: dict[int, list[Incoming]] = {}
        col = 0
        for r in plan.readout:
            w = plan.blocks[r].width
            incoming.setdefault(r, []).append((d, dy[:, :, col : col + w]))
            col += w
        (o, dx0), g, dh0, dc0 = layer_order_grads(bc, incoming, dh_final, dc_final)
        if o == 0 and dx0.shape[0] >= T:
            dxp = dx0
        else:
            dxp = np.zeros((Tp, B, I), dtype=bc.params.dtype)
            dxp[o : o + dx0.shape[0]] = dx0
        return dxp, g, dh0, dc0


def layers_run(plan: Plan, params: LayerParams, prepared: Any, x: np.ndarray, h0: np.ndarray,
               c0: np.ndarray | None, keep_cache: bool, full: bool) -> tuple[np.ndarray, LayerOrderCache | None]:
    """:attr:`numerics.engine.protocol.Schedule.run` of the layer order."""
    bc = layer_order_run(plan, params, x, h0, c0, keep_cache=keep_cache, full=full)
    out = bc.states if full else bc.readout(plan.delay, x.shape[0] - plan.delay)
    return out, (LayerOrderCache(bc) if keep_cache else None)


def _needs(plan: Plan) -> str | None:
    if supports_layer_order(plan):
        return None
    return ("the stacked block structure (block l reads blocks l and l-1 only, input into block 0 only, zero "
            "weights elsewhere) and, for GRU, the own-reset cell")


SCHEDULE = Schedule(
    name="layers",
    summary="block by block over all steps, like the stacked network (stacked structure; GRU: own reset)",
    needs=_needs,
    on_plan=True,
    cost=lambda plan, batch, steps, backward: schedule_cost(plan, batch, steps, "layers", backward),
    run=layers_run,
)


__all__ = [
    "SCHEDULE",
    "BlockCaches",
    "LayerOrderCache",
    "block_params",
    "dense_cache",
    "layer_order_backward",
    "layer_order_forward",
    "layer_order_grads",
    "layer_order_run",
    "layers_run",
    "step_ranges",
    "supports_layer_order",
]
