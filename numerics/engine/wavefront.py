"""The wavefront: a delayed network with the stacked structure, all blocks of a step in one batched product.

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
zero and so are the weights that read them. The cache (:class:`WaveCache`)
stays in the padded layout and carries its own backward
(:func:`wave_backward`, the mirror image of the forward loop); ``cache.layer``
assembles the dense :class:`numerics.engine.params.LayerCache` on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, ClassVar, NamedTuple

import numpy as np

from numerics.engine._workspace import take
from numerics.engine.cells import cell_of, gate_scale
from numerics.engine.cost import schedule_cost
from numerics.engine.params import LayerCache, LayerParams
from numerics.engine.protocol import Grads, Schedule, dense_backward
from numerics.engine.units import block_runs, reset_mask, unit_groups, unit_holds
from theory.layout import Plan


def has_stacked_structure(plan: Plan) -> bool:
    """True if block ``l`` reads only blocks ``l`` and ``l - 1`` and the input feeds only block 0."""
    return all(e.dst in (e.src, e.src + 1) for e in plan.recurrent) and all(e.dst == 0 for e in plan.inputs)


class _Maps(NamedTuple):
    """Where each entry of the padded pair weights comes from in the dense parameters (per plan, cached).

    ``hh`` ``(L, 2n, G'·n)``, ``inp`` ``(I, G·n)`` and ``bias`` ``(L, G·n)`` are flat
    indices into ``weight_hh``, ``weight_ih`` and the bias vector (0 where the
    entry is a zero of the padding or outside the stacked pattern; ``valid``
    masks those); ``scale_*`` are the matching ``valid`` masks times the
    sigmoid gates' factor ½. ``grad_hh`` and ``grad_inp`` are ``valid``
    restricted to the plan's own blocks (a sub-pattern of the stacked one
    leaves some out): the entries a masked network's gradient fills.
    """

    hh: np.ndarray
    inp: np.ndarray
    bias: np.ndarray
    valid_hh: np.ndarray
    valid_inp: np.ndarray
    valid_bias: np.ndarray
    scale_hh: np.ndarray
    scale_inp: np.ndarray
    scale_bias: np.ndarray
    spans: tuple[tuple[int, int], ...]
    grad_hh: np.ndarray
    grad_inp: np.ndarray


@lru_cache(maxsize=32)
def _maps(plan: Plan, own_reset: bool) -> _Maps:
    """The gather maps of :func:`_pair_weights` (one set per plan and reset kind)."""
    L, n, G, N, I = len(plan.blocks), max(plan.widths), plan.gates, plan.hidden_size, plan.input_size
    Gh = G * n + (n if own_reset else 0)
    half = gate_scale(plan.cell, np.dtype(np.float64))
    spans = tuple(plan.span(l) for l in range(L))
    hh = np.full((L, 2 * n, Gh), -1, dtype=np.int64)
    inp = np.full((I, G * n), -1, dtype=np.int64)
    bias = np.full((L, G * n), -1, dtype=np.int64)
    col_scale = np.ones(Gh)
    for g in range(G):
        col_scale[g * n : (g + 1) * n] = half[g]
    for l, (r0, r1) in enumerate(spans):
        w = r1 - r0
        for g in range(G):
            rows = g * N + np.arange(r0, r1)                  # dense rows of block l, gate g
            cols = slice(g * n, g * n + w)
            # Pair rows n:2n read block l itself, rows 0:n block l - 1; entry [j, k] is W[rows[k], unit j].
            hh[l, n : n + w, cols] = rows[None, :] * N + np.arange(r0, r1)[:, None]
            if l > 0:
                s0, s1 = spans[l - 1]
                # Own-reset GRU: the candidate's reading of block l - 1 lies outside the reset gate (group 3).
                below = slice(3 * n, 3 * n + w) if (own_reset and g == 2) else cols
                hh[l, : s1 - s0, below] = rows[None, :] * N + np.arange(s0, s1)[:, None]
            else:
                inp[:, cols] = rows[None, :] * I + np.arange(I)[:, None]
            bias[l, cols] = rows
    vh, vi, vb = hh >= 0, inp >= 0, bias >= 0
    sb = np.broadcast_to(col_scale[: G * n], bias.shape) * vb
    edges = {(e.dst, e.src) for e in plan.recurrent}
    gh, gi = vh.copy(), vi.copy()
    for l in range(L):
        if (l, l) not in edges:
            gh[l, n:] = False
        if (l, l - 1) not in edges:
            gh[l, :n] = False
    if not any(e.dst == 0 for e in plan.inputs):
        gi[:] = False
    return _Maps(np.maximum(hh, 0), np.maximum(inp, 0), np.maximum(bias, 0), vh, vi, vb,
                 col_scale * vh, col_scale[: G * n] * vi, sb, spans, gh, gi)


def _pair_weights(plan: Plan, p: LayerParams, mask: np.ndarray | None,
                  scaled: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Padded weights in the order of the pair view ``[s^{l-1}; s^l]``.

    Returns ``wpair (L, 2n, G'·n)`` (``wpair[l]`` multiplies block ``l``'s
    pair; ``G'·n = 4n`` for an own-reset GRU, whose fourth column group holds
    the candidate's reading of block ``l - 1``, outside the reset gate),
    block 0's input weights ``w_in (I, G·n)`` and the hidden-side bias
    ``(L, 1, G·n)`` (``b_ih + b_hh``; a reset-gate cell, GRU: ``b_hh``), or None.
    With ``scaled`` the sigmoid gates (LSTM i, f, o; GRU r, z) are halved,
    as in the dense engine, so one ``tanh`` computes all gates; the backward
    pass uses the unscaled weights. Three gathers with maps cached per plan.
    """
    m = _maps(plan, mask is not None)
    dt = p.dtype
    wpair = np.take(p.weight_hh, m.hh)
    wpair *= (m.scale_hh if scaled else m.valid_hh).astype(dt, copy=False)
    w_in = np.take(p.weight_ih, m.inp)
    w_in *= (m.scale_inp if scaled else m.valid_inp).astype(dt, copy=False)
    bias = None
    if p.bias_hh is not None:
        b = p.bias_hh if cell_of(plan.cell).reset_gate else p.bias_hh + p.bias_ih
        bias = (np.take(b, m.bias) * (m.scale_bias if scaled else m.valid_bias).astype(dt, copy=False))[:, None]
    return wpair, w_in, bias


def _input_bias(plan: Plan, p: LayerParams) -> np.ndarray:
    """Reset-gate cells (GRU) only: input-side bias ``b_ih``, padded layout ``(L, 1, G·n)`` (sigmoid gates halved)."""
    m = _maps(plan, False)
    if p.bias_ih is None:
        return np.zeros((len(plan.blocks), 1, plan.gates * max(plan.widths)), dtype=p.dtype)
    return (np.take(p.bias_ih, m.bias) * m.scale_bias.astype(p.dtype, copy=False))[:, None]


def wave_forward(
    plan: Plan,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
) -> WaveCache:
    """Run the delayed layer with all blocks of a step in one batched product (the wavefront).

    The state after step ``t`` is stored as ``S[t]`` of shape
    ``(B, (L + 1)·n)``: slot 0 is a constant zero block and slot ``l + 1``
    holds block ``l`` (zero-padded to ``n``). The ``2n`` numbers block ``l``
    reads, ``[s^{l-1}; s^l]``, are then contiguous within each batch row,
    so the inputs of all blocks form one strided ``(L, B, 2n)`` view of
    ``S[t]`` (overlapping windows, no copy), and the new states are written
    straight into a strided view of ``S[t + 1]``. Block 0's input projection
    of all steps is one ``(T'·B, I) @ (I, G·n)`` product before the loop.

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
    WaveCache
        States, gates and cell states in the padded block layout;
        ``cache.layer`` assembles the dense :class:`LayerCache` on demand.
    """
    C = cell_of(plan.cell)
    x = np.ascontiguousarray(x)
    T, B, I = x.shape
    L, n, G = len(plan.blocks), max(plan.widths), plan.gates
    k = (G - 1) * n                  # a reset gate's operand: the last gate's columns k:
    dt = params.dtype
    mask = reset_mask(plan)
    wpair, w_in, bias = _pair_weights(plan, params, mask)
    # Additive terms of every step, set up for all steps at once: the hidden-side
    # bias of every block (both biases, unless a reset gate keeps them apart) and block 0's input projection.
    A = take("wave.A", (T, L, B, G * n), dt)
    xw0 = np.matmul(x.reshape(T * B, I), w_in, out=take("wave.xw0", (T * B, G * n), dt)).reshape(T, B, G * n)
    X = b_hn = None
    if C.reset_gate:
        A[:] = 0
        # A reset gate multiplies only the hidden side's last gate: the input side stays apart.
        X = take("wave.X", (T, L, B, G * n), dt)
        X[:] = _input_bias(plan, params)
        X[:, 0] += xw0
        if bias is not None:
            A[..., :k] = bias[..., :k]
        b_hn = None if bias is None else bias[:, :, k:]
    else:
        # One (L, B, G·n) tile of the biases, copied to every step (long contiguous runs, not G·n at a time).
        tile = np.zeros((L, B, G * n), dtype=dt) if bias is None else np.broadcast_to(bias, (L, B, G * n))
        A[:] = tile
        A[:, 0] += xw0
    equal = all(w == n for w in plan.widths)
    S = take("wave.S", (T + 1, B, (L + 1) * n), dt, zero=not equal)
    if equal:
        S[:, :, :n] = 0      # only the constant zero block needs zeros: every other entry is written
    # Views made once (as_strided is slow to call per step): blocks[t] is (L, B, n),
    # pairs[t] is (L, B, 2n) with pairs[t][l] = [s^{l-1}; s^l] (overlapping windows of S[t]).
    blocks = S.reshape(T + 1, B, L + 1, n)[:, :, 1:].transpose(0, 2, 1, 3)
    item = S.itemsize
    pairs = np.lib.stride_tricks.as_strided(
        S, shape=(T + 1, L, B, 2 * n), strides=(S.strides[0], n * item, (L + 1) * n * item, item), writeable=False)
    Cs = take("wave.C", (T + 1, L, B, n), dt, zero=True) if C.second_state else None
    E = take("wave.E", (T, L, B, n), dt) if C.keeps_gates else None
    for l, (r0, r1) in enumerate(_maps(plan, mask is not None).spans):
        blocks[0, l, :, : r1 - r0] = h0[:, r0:r1]
        if Cs is not None and c0 is not None:
            Cs[0, l, :, : r1 - r0] = c0[:, r0:r1]
    holds = np.array(plan.holds)
    last_hold = int(holds.max(initial=0))
    runs = block_runs(plan)
    own = mask is not None
    tmp = take("wave.tmp", (L, B, wpair.shape[2]), dt)
    for t in range(T):
        np.matmul(pairs[t], wpair, out=tmp)
        C.wave_pointwise(t, A[t], tmp, X, blocks, Cs, E, b_hn, runs, own)
        if t < last_hold:
            held = holds > t
            blocks[t + 1][held] = blocks[t][held]
            if Cs is not None:
                Cs[t + 1][held] = Cs[t][held]
    return WaveCache(plan, params, x, S, A if C.keeps_gates else None, Cs, E, mask)


def wavefront_forward(
    plan: Plan,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None,
) -> tuple[np.ndarray, LayerCache]:
    """:func:`wave_forward` with the result in the dense layout.

    Parameters
    ----------
    plan, params, x, h0, c0 : as :func:`wave_forward`

    Returns
    -------
    states : ndarray, shape (T', B, N)
    cache : LayerCache
        Identical in layout to :func:`numerics.engine.layer.layer_forward`'s.
    """
    wc = wave_forward(plan, params, x, h0, c0)
    return wc.layer.h[1:], wc.layer


@dataclass(frozen=True)
class WaveCache:
    """Cache of a wavefront pass, kept in the padded block layout the loop used.

    Attributes
    ----------
    plan : Plan
    params : LayerParams
    x : ndarray, shape (T', B, I)
        The zero-padded input.
    S : ndarray, shape (T' + 1, B, (L + 1)·n)
        ``S[t]`` is the state after step ``t`` (``S[0]`` the initial one):
        slot 0 a constant zero block, slot ``l + 1`` block ``l`` zero-padded to ``n``.
    A : ndarray, shape (T', L, B, G·n), or None
        LSTM/GRU: the gate values ``σ(i), σ(f), tanh(g), σ(o)`` / ``σ(r), σ(z), n``
        per block (padded); None for Elman.
    C : ndarray, shape (T' + 1, L, B, n), or None
        LSTM cell states.
    E : ndarray, shape (T', L, B, n), or None
        LSTM ``tanh(c_t)``, GRU ``D h_{t-1} + b_hn`` (the reset gate's operand).
    mask : ndarray, shape (N, N), or None
        The own-reset GRU's reset mask (:func:`numerics.engine.units.reset_mask`).
    """

    schedule: ClassVar[str] = "wavefront"
    plan: Plan
    params: LayerParams
    x: np.ndarray
    S: np.ndarray
    A: np.ndarray | None
    C: np.ndarray | None
    E: np.ndarray | None
    mask: np.ndarray | None

    def backward(self, dy: np.ndarray, dh_final: np.ndarray | None, dc_final: np.ndarray | None,
                 masked: bool) -> Grads:
        """:func:`wave_backward` for a masked network (the pattern's gradient); else the dense backward."""
        if masked:
            return wave_backward(self, dy, self.plan.delay, dh_final, dc_final)
        return dense_backward(self.plan, self.layer, dy, dh_final, dc_final, masked)

    @property
    def n(self) -> int:
        """Padded block width (the widest block)."""
        return max(self.plan.widths)

    @property
    def blocks(self) -> np.ndarray:
        """Block view of :attr:`S`, shape ``(T' + 1, L, B, n)`` (no copy)."""
        Tp1, B, _ = self.S.shape
        L, n = len(self.plan.blocks), self.n
        return self.S.reshape(Tp1, B, L + 1, n)[:, :, 1:].transpose(0, 2, 1, 3)

    def block_states(self, l: int, a: int, b: int) -> np.ndarray:
        """Block ``l``'s states after steps ``a … b - 1``, shape ``(b - a, B, n_l)`` (a view)."""
        w = self.plan.blocks[l].width
        return self.blocks[a + 1 : b + 1, l, :, :w]

    def readout(self, delay: int, steps: int) -> np.ndarray:
        """The read-out blocks' states after steps ``delay … delay + steps - 1``, shape ``(steps, B, output_size)``."""
        parts = [self.block_states(r, delay, delay + steps) for r in self.plan.readout]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=2)

    @cached_property
    def states(self) -> np.ndarray:
        """The dense states after each step, shape ``(T', B, N)`` (a view of ``S`` for equal widths)."""
        plan, n = self.plan, self.n
        if all(w == n for w in plan.widths):
            return self.S[1:, :, n:]
        out = np.empty((self.S.shape[0] - 1, self.S.shape[1], plan.hidden_size), dtype=self.S.dtype)
        for l in range(len(plan.blocks)):
            r0, r1 = plan.span(l)
            out[:, :, r0:r1] = self.blocks[1:, l, :, : r1 - r0]
        return out

    @cached_property
    def layer(self) -> LayerCache:
        """The :class:`LayerCache` the dense engine would have produced (assembled once, on demand)."""
        plan = self.plan
        L, n, G, N = len(plan.blocks), self.n, plan.gates, plan.hidden_size
        Tp, B, _ = self.x.shape
        dt = self.params.dtype
        cell = cell_of(plan.cell)
        equal = all(w == n for w in plan.widths)
        # Equal widths (no padding): the dense states are a view of S, no copy.
        h = self.S[:, :, n:] if equal else np.empty((Tp + 1, B, N), dtype=dt)
        c = np.empty((Tp + 1, B, N), dtype=dt) if cell.second_state else None
        gates = np.empty((Tp, B, G * N), dtype=dt) if cell.keeps_gates else None
        inner = np.empty((Tp, B, N), dtype=dt) if cell.keeps_gates else None
        S4 = self.S.reshape(Tp + 1, B, L + 1, n)
        for l in range(L):
            r0, r1 = plan.span(l)
            w = r1 - r0
            if not equal:
                h[:, :, r0:r1] = S4[:, :, l + 1, :w]
            if c is not None:
                c[:, :, r0:r1] = self.C[:, l, :, :w]
            if gates is not None:
                inner[:, :, r0:r1] = self.E[:, l, :, :w]
                for g in range(G):
                    gates[:, :, g * N + r0 : g * N + r1] = self.A[:, l, :, g * n : g * n + w]
        return LayerCache(plan.cell, self.params, self.x, h, c, gates, *cell.inner_fields(inner),
                          unit_groups(plan), unit_holds(plan), False, self.mask)


def _to_dense(idx: np.ndarray, valid: np.ndarray, a: np.ndarray, size: int) -> np.ndarray:
    """Scatter the ``valid`` entries of the padded array ``a`` to the flat dense positions ``idx`` (zeros elsewhere)."""
    out = np.zeros(size, dtype=a.dtype)
    out[idx[valid]] = a[valid]
    return out


def wave_backward(
    cache: WaveCache,
    dy: np.ndarray,
    delay: int,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[np.ndarray, LayerParams, np.ndarray, np.ndarray | None]:
    """Backpropagation through the wavefront, all blocks of a step in one batched product.

    The mirror image of :func:`wave_forward`. The gate gradients of a step
    are stored batch-major, ``(B, (L + 1)·G'n)`` with a zero slot after the
    last block, so ``[da_l; da_{l+1}]`` is one contiguous window of each
    batch row; one batched product ``(L, B, 2G'n) @ (L, 2G'n, n)`` with the
    transposed weights stacked the same way gives every block's gradient
    with respect to its state (its own reading plus block ``l + 1``'s
    reading of it), added into the previous step's gradient buffer
    ``(T' + 1, B, L, n)`` with one contiguous add. The gate gradients
    of all steps are kept, so the weight gradients are one product per block
    after the loop, the input gradient one product over all ``T'·B`` rows.
    ``T' + d`` sequential steps instead of the stacked network's ``L·T``.

    Parameters
    ----------
    cache : WaveCache
    dy : ndarray, shape (T, B, output_size)
        Gradient with respect to the read-out blocks' states after steps
        ``delay … delay + T - 1``.
    delay : int
    dh_final, dc_final : ndarray, shape (B, N), optional
        Gradient with respect to the state after the last step (and the LSTM cell state).

    Returns
    -------
    dx : ndarray, shape (T', B, I)
        Gradient with respect to the padded input.
    grads : LayerParams
        Dense layout, exact zeros outside the stacked pattern (the masked gradient).
    dh0 : ndarray, shape (B, N)
    dc0 : ndarray, shape (B, N), or None
    """
    plan, p = cache.plan, cache.params
    C = cell_of(plan.cell)
    Tp, B, I = cache.x.shape
    L, n, G, N = len(plan.blocks), cache.n, plan.gates, plan.hidden_size
    dt = p.dtype
    wpair, w_in, _ = _pair_weights(plan, p, cache.mask, scaled=False)
    Gh = wpair.shape[2]                               # hidden-side columns (4n for an own-reset GRU)
    # Block l's state gradient is da_l @ (its reading of itself)ᵀ + da_{l+1} @ (block l+1's reading of it)ᵀ:
    # with the gate gradients of a step stored batch-major, (B, (L + 1)·G'n) with a zero slot L, the pair
    # [da_l; da_{l+1}] is a contiguous window of each batch row, so one batched product
    # (L, B, 2G'n) @ (L, 2G'n, n) gives every block's state gradient, added with one contiguous add
    # (instead of two strided adds of the halves of a (L, B, 2n) product).
    wB = np.zeros((L, 2 * Gh, n), dtype=dt)
    wB[:, :Gh] = wpair[:, n:].transpose(0, 2, 1)
    wB[:-1, Gh:] = wpair[1:, :n].transpose(0, 2, 1)
    # Gradient of the state after each step, batch-major (T' + 1, B, L, n) like S.
    D = take("wave.D", (Tp + 1, B, L, n), dt, zero=True)
    col = 0
    for r in plan.readout:
        w = plan.blocks[r].width
        D[delay + 1 : delay + 1 + dy.shape[0], :, r, :w] = dy[:, :, col : col + w]
        col += w
    spans = _maps(plan, cache.mask is not None).spans
    if dh_final is not None:
        for l, (r0, r1) in enumerate(spans):
            D[Tp, :, l, : r1 - r0] += dh_final[:, r0:r1]
    S = cache.S
    DA = take("wave.DA", (Tp, B, L + 1, Gh), dt)
    DA[:, :, L] = 0                                   # the zero slot: no block L + 1 reads block L - 1
    item = DA.itemsize
    gpairs = np.lib.stride_tricks.as_strided(
        DA, shape=(Tp, L, B, 2 * Gh), strides=(DA.strides[0], Gh * item, (L + 1) * Gh * item, item), writeable=False)
    dsum = take("wave.dsum", (B, L, n), dt)
    dsumL = dsum.transpose(1, 0, 2)
    k = (G - 1) * n                                   # a reset gate's operand: the last gate's columns k:
    own = Gh > G * n
    # Reset-gate cells: DA holds the hidden side's gradients [r, z, the reset gate's operand, and for the
    # own-reset cell the reading of block l - 1]; the input side shares r and z, its n part is the last group
    # (own reset) or the cell's input-side array (wl.xside).
    tmp = take("wave.dtmp", (L, B, n), dt)
    holds = np.array(plan.holds)
    last_hold = int(holds.max(initial=0))
    # Local derivatives of every step at once (numerics.engine.cells), into reused scratch arrays:
    # temporaries of the whole pass would cost page faults.
    wl = C.wave_locals(cache, block_runs(plan), Gh, take)
    dc = None
    if C.second_state:
        dc = np.zeros((L, B, n), dtype=dt)
        if dc_final is not None:
            for l, (r0, r1) in enumerate(spans):
                dc[l, :, : r1 - r0] = dc_final[:, r0:r1]
    for t in range(Tp - 1, -1, -1):
        dhB = D[t + 1]                                # (B, L, n)
        dh = dhB.transpose(1, 0, 2)                   # (L, B, n): the gated cells' local derivatives' order
        daB = DA[t, :, :L]
        da = daB.transpose(1, 0, 2)
        held = (holds > t) if t < last_hold else None
        C.wave_backward_pointwise(wl, t, dh, dhB, dc, da, daB, held, tmp)
        if held is not None:
            da[held] = 0
        np.matmul(gpairs[t], wB, out=dsumL)
        prev = D[t]
        prev += dsum
        if held is not None or C.direct:
            C.wave_direct(wl, t, dh, dhB, prev, held, tmp)
    # Weight gradients: one product per block over all steps; the pairs are strided views of S.
    TB = Tp * B
    dw = np.empty((L, 2 * n, Gh), dtype=dt)
    for l in range(L):
        pl = S[:Tp, :, l * n : (l + 2) * n].reshape(TB, 2 * n)
        np.matmul(pl.T, DA[:, :, l].reshape(TB, Gh), out=dw[l])
    if C.reset_gate:
        # The input side of block 0: the gates before the last from DA, and the last gate's input side.
        xn = DA[:, :, 0, G * n :] if own else wl.xside[0]
        dx0 = np.concatenate([DA[:, :, 0, :k], xn], axis=-1).reshape(TB, G * n)
    else:
        dx0 = DA[:, :, 0].reshape(TB, Gh)
    d_in = np.ascontiguousarray(cache.x).reshape(TB, I).T @ dx0        # (I, G·n)
    dxp = (dx0 @ w_in.T).reshape(Tp, B, I)
    m = _maps(plan, cache.mask is not None)
    # Only the plan's blocks get a gradient (a sub-pattern of the stacked one may lack some).
    d_hh = _to_dense(m.hh, m.grad_hh, dw, G * N * N).reshape(G * N, N)
    d_ih = _to_dense(m.inp, m.grad_inp, d_in, G * N * I).reshape(G * N, I)
    d_bih = d_bhh = None
    if p.bias_ih is not None:
        # Column sums as products with a ones vector: a reduction over the long axis with rows of G'n
        # numbers is several times slower in NumPy than the matrix-vector product.
        ones = np.ones(TB, dtype=dt)
        sums = (ones @ DA.reshape(TB, (L + 1) * Gh)).reshape(L + 1, Gh)[:L]
        if C.reset_gate:
            xn_sum = sums[:, G * n :] if own else np.matmul(ones, wl.xside.reshape(L, TB, n))
            d_bih = _to_dense(m.bias, m.valid_bias, np.concatenate([sums[:, :k], xn_sum], axis=1), G * N)
            d_bhh = _to_dense(m.bias, m.valid_bias, sums[:, : G * n], G * N)
        else:
            d_bih = _to_dense(m.bias, m.valid_bias, sums, G * N)
            d_bhh = d_bih.copy()
    dh0 = np.empty((B, N), dtype=dt)
    dc0 = np.empty((B, N), dtype=dt) if dc is not None else None
    for l, (r0, r1) in enumerate(spans):
        dh0[:, r0:r1] = D[0, :, l, : r1 - r0]
        if dc is not None:
            dc0[:, r0:r1] = dc[l, :, : r1 - r0]
    return dxp, LayerParams(d_ih, d_hh, d_bih, d_bhh), dh0, dc0



def wave_run(plan: Plan, params: LayerParams, prepared: Any, x: np.ndarray, h0: np.ndarray,
             c0: np.ndarray | None, keep_cache: bool, full: bool) -> tuple[np.ndarray, WaveCache | None]:
    """:attr:`numerics.engine.protocol.Schedule.run` of the wavefront."""
    wc = wave_forward(plan, params, x, h0, c0)
    out = wc.states if full else wc.readout(plan.delay, x.shape[0] - plan.delay)
    return out, (wc if keep_cache else None)


def _needs(plan: Plan) -> str | None:
    return None if has_stacked_structure(plan) else STACKED_NEED


#: What the wavefront and the layer order need, completing "engine=... needs".
STACKED_NEED = ("the stacked block structure (block l reads blocks l and l-1 only, input into block 0 only, "
                "zero weights elsewhere)")

SCHEDULE = Schedule(
    name="wavefront",
    summary="all blocks of a step in one batched product (stacked block structure)",
    needs=_needs,
    on_plan=True,
    cost=lambda plan, batch, steps, backward: schedule_cost(plan, batch, steps, "wavefront", backward),
    run=wave_run,
    aliases=("blocked",),
)

__all__ = [
    "SCHEDULE",
    "STACKED_NEED",
    "WaveCache",
    "has_stacked_structure",
    "wave_backward",
    "wave_forward",
    "wave_run",
    "wavefront_forward",
]
