"""One recurrent layer through time: the engine under every model.

A stacked network is a sequence of these layers, a bidirectional one runs a
second copy on the reversed sequence, and a delayed network is a single wide
layer with per-block activations and a start schedule (``hold``). The
equations and parameter names are PyTorch's:

Elman  ``h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``

LSTM   ``[i; f; g; o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``,
       ``c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)``, ``h_t = σ(o) ⊙ tanh(c_t)``

GRU    ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(W_iz x + b_iz + W_hz h + b_hz)``,
       ``n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))``, ``h' = (1 - z) ⊙ n + z ⊙ h``

Arrays are time-major, ``x: (T, B, I)``, states ``(B, H)``. The input
projection of all ``T`` steps is one matrix product; the loop over time does
one ``(B, H) @ (H, G·H)`` product per step.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from numerics.engine.activations import derivative_from_output
from theory.layout import GATES

#: ``(name, start, stop)``: units ``start:stop`` of an Elman layer use activation ``name``.
ActGroup = tuple[str, int, int]


@dataclass(frozen=True)
class LayerParams:
    """Parameters of one recurrent layer (PyTorch layout).

    Attributes
    ----------
    weight_ih : ndarray, shape (G·H, I)
    weight_hh : ndarray, shape (G·H, H)
    bias_ih : ndarray, shape (G·H,), or None
    bias_hh : ndarray, shape (G·H,), or None
        ``G`` is 1 (Elman), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n).
    """

    weight_ih: np.ndarray
    weight_hh: np.ndarray
    bias_ih: np.ndarray | None = None
    bias_hh: np.ndarray | None = None

    @property
    def hidden_size(self) -> int:
        return int(self.weight_hh.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.weight_ih.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self.weight_hh.dtype

    @property
    def bias(self) -> bool:
        return self.bias_ih is not None

    def arrays(self) -> dict[str, np.ndarray]:
        """The non-``None`` arrays by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def map(self, fn: Any) -> LayerParams:
        """Apply ``fn`` to every array (``None`` stays ``None``)."""
        return replace(self, **{k: fn(v) for k, v in self.arrays().items()})


@dataclass(frozen=True)
class LayerCache:
    """What the backward pass of one layer needs.

    All arrays are in processing order (already flipped for a reverse layer).

    Attributes
    ----------
    cell : str
    params : LayerParams
    x : ndarray, shape (T, B, I)
    h : ndarray, shape (T + 1, B, H)
        ``h[0]`` is the initial state, ``h[t]`` the state after step ``t``.
    c : ndarray, shape (T + 1, B, H), or None
        LSTM cell states.
    gates : ndarray, shape (T, B, G·H), or None
        Post-nonlinearity gates: LSTM ``σ(i), σ(f), tanh(g), σ(o)``;
        GRU ``σ(r), σ(z), n``.
    extra : ndarray, shape (T, B, H), or None
        LSTM ``tanh(c_t)``; GRU ``W_hn h_{t-1} + b_hn``.
    activations : tuple of ActGroup
        Elman activation groups.
    hold : ndarray of int, shape (H,), or None
        Unit ``j`` keeps its previous state at steps ``t < hold[j]`` (0-based).
    reverse : bool
        The layer ran over the reversed sequence.
    """

    cell: str
    params: LayerParams
    x: np.ndarray
    h: np.ndarray
    c: np.ndarray | None
    gates: np.ndarray | None
    extra: np.ndarray | None
    activations: tuple[ActGroup, ...]
    hold: np.ndarray | None
    reverse: bool


def activate_(z: np.ndarray, groups: tuple[ActGroup, ...]) -> np.ndarray:
    """Apply the activation groups to ``z`` in place (no allocation for tanh, relu, identity)."""
    for name, a, b in groups:
        v = z if len(groups) == 1 else z[..., a:b]
        if name == "tanh":
            np.tanh(v, out=v)
        elif name == "relu":
            np.maximum(v, 0, out=v)
        elif name == "sigmoid":
            _sigmoid_from_half_(v, halve=True)
        # identity: nothing to do
    return z


def _sigmoid_from_half_(v: np.ndarray, halve: bool = False) -> np.ndarray:
    """``σ(a) = (1 + tanh(a/2)) / 2`` in place, given ``v = a/2`` (or ``v = a`` with ``halve``).

    The tanh form never overflows (``|a| = 1e4`` gives exactly 0 or 1) and
    needs no ``np.where``; it lets a gated step run one ``tanh`` over all its
    gates, because halving the sigmoid gates' weights is exact in binary
    floating point (see :func:`_prepare`).
    """
    if halve:
        v *= 0.5
    np.tanh(v, out=v)
    return _finish_sigmoid_(v)


def _finish_sigmoid_(v: np.ndarray) -> np.ndarray:
    """In place ``v <- (1 + v) / 2``: turns ``tanh(a/2)`` into ``σ(a)``."""
    v *= 0.5
    v += 0.5
    return v


@dataclass(frozen=True)
class _Prepared:
    """Per-call constants of the forward loop.

    ``whh_t`` is ``W_hh^T`` (contiguous, ``(H, G·H)``) and ``xw`` the input
    projections of all steps with every bias that can be folded in. For LSTM
    and GRU the columns of sigmoid gates are halved, so one ``tanh`` over a
    step's whole pre-activation buffer computes every gate.
    """

    whh_t: np.ndarray
    xw: np.ndarray
    b_hn: np.ndarray | None


def _prepare(cell: str, p: LayerParams, x: np.ndarray) -> _Prepared:
    """Transpose ``W_hh``, project all inputs, fold biases, halve sigmoid gates."""
    T, B, I = x.shape
    H = p.hidden_size
    w_ih, w_hh = p.weight_ih, p.weight_hh
    b = None
    if p.bias_ih is not None:
        b = p.bias_ih + p.bias_hh
        if cell == "gru":
            # b_hn sits inside r ⊙ (W_hn h + b_hn): it cannot join the input side.
            b = np.concatenate([b[: 2 * H], p.bias_ih[2 * H :]])
    sig: slice | list[slice] | None = None
    if cell == "lstm":
        sig = [slice(0, 2 * H), slice(3 * H, 4 * H)]
    elif cell == "gru":
        sig = [slice(0, 2 * H)]
    if sig is not None:
        scale = np.ones(GATES[cell] * H, dtype=p.dtype)
        for s in sig:
            scale[s] = 0.5
        w_ih = w_ih * scale[:, None]
        w_hh = w_hh * scale[:, None]
        b = None if b is None else b * scale
    # All input projections in one product: (T·B, I) @ (I, G·H).
    xw = (x.reshape(T * B, I) @ w_ih.T).reshape(T, B, GATES[cell] * H)
    if b is not None:
        xw += b
    b_hn = p.bias_hh[2 * H :] if (cell == "gru" and p.bias_hh is not None) else None
    return _Prepared(np.ascontiguousarray(w_hh.T), xw, b_hn)


# ------------------------------------------------------------------ Elman
#
# Step functions come in forward/backward pairs. Forward steps write into
# preallocated slices of the cache (``out``) so the loop over time allocates
# nothing; backward steps receive the step's local derivatives, which
# :func:`layer_backward` computes for all steps at once from the cache.
# ``held`` (bool (H,), or None) marks units that only copied their previous
# state at this step (the ``hold`` start schedule): their computed values
# were discarded, so their pre-activation gradients are zero and ``dh`` (and
# ``dc``) passes straight through to the previous state.


def elman_step_forward(
    xw: np.ndarray, h_prev: np.ndarray, whh_t: np.ndarray, groups: tuple[ActGroup, ...], out: np.ndarray,
) -> np.ndarray:
    """One Elman step ``h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    Parameters
    ----------
    xw : ndarray, shape (B, H)
        ``W_ih x_t + b_ih + b_hh``.
    h_prev : ndarray, shape (B, H)
    whh_t : ndarray, shape (H, H)
        ``W_hh^T``.
    groups : tuple of (name, start, stop)
    out : ndarray, shape (B, H)
        Receives ``h_t``.
    """
    np.matmul(h_prev, whh_t, out=out)
    out += xw
    return activate_(out, groups)


def elman_step_backward(
    dh: np.ndarray, dphi: np.ndarray, whh: np.ndarray, da: np.ndarray, dh_prev: np.ndarray,
    held: np.ndarray | None = None,
) -> None:
    """Backward of :func:`elman_step_forward`.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient arriving at ``h_t`` (from the output and from step ``t + 1``).
    dphi : ndarray, shape (B, H)
        ``φ'(z_t)``.
    whh : ndarray, shape (H, H)
        ``W_hh``: ``dh_{t-1} = da W_hh``.
    da : ndarray, shape (B, H)
        Receives the gradient of the pre-activation ``z_t``.
    dh_prev : ndarray, shape (B, H)
        Receives the gradient of ``h_{t-1}``.
    held : bool ndarray, shape (H,), optional
    """
    np.multiply(dh, dphi, out=da)
    if held is not None:
        da[:, held] = 0
    np.matmul(da, whh, out=dh_prev)
    if held is not None:
        dh_prev[:, held] += dh[:, held]


# ------------------------------------------------------------------- LSTM


def lstm_step_forward(
    xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, whh_t: np.ndarray,
    gates: np.ndarray, c: np.ndarray, tc: np.ndarray, h: np.ndarray,
) -> None:
    """One LSTM step; writes ``gates``, ``c``, ``tc`` and ``h`` (all preallocated).

    ``[i; f; g; o] = a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``,
    ``c_t = σ(a_f) ⊙ c_{t-1} + σ(a_i) ⊙ tanh(a_g)``, ``h_t = σ(a_o) ⊙ tanh(c_t)``.

    Parameters
    ----------
    xw : ndarray, shape (B, 4H)
        Input projection plus both biases, sigmoid gates (i, f, o) halved.
    h_prev, c_prev : ndarray, shape (B, H)
    whh_t : ndarray, shape (H, 4H)
        ``W_hh^T`` with the sigmoid gates' columns halved.
    gates : ndarray, shape (B, 4H)
        Receives ``σ(i), σ(f), tanh(g), σ(o)``.
    c, tc, h : ndarray, shape (B, H)
        Receive ``c_t``, ``tanh(c_t)`` and ``h_t``.
    """
    np.matmul(h_prev, whh_t, out=gates)
    gates += xw
    lstm_pointwise(gates, c_prev, c, tc, h)


def lstm_pointwise(gates: np.ndarray, c_prev: np.ndarray, c: np.ndarray, tc: np.ndarray, h: np.ndarray) -> None:
    """The elementwise half of an LSTM step (any number of leading axes).

    ``gates`` holds the pre-activations (sigmoid gates halved) on entry and
    ``σ(i), σ(f), tanh(g), σ(o)`` on exit; ``c``, ``tc``, ``h`` receive
    ``c_t``, ``tanh(c_t)``, ``h_t``. Shared by the dense layer and the
    block-batched delayed engine (:mod:`numerics.engine.blocked`).
    """
    H = h.shape[-1]
    np.tanh(gates, out=gates)                    # tanh(a_g) and tanh(a/2) for the sigmoid gates
    _finish_sigmoid_(gates[..., : 2 * H])
    _finish_sigmoid_(gates[..., 3 * H :])
    i, f, g, o = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H : 3 * H], gates[..., 3 * H :]
    np.multiply(f, c_prev, out=c)
    np.multiply(i, g, out=tc)                    # tc as scratch for σ(i)·tanh(g)
    c += tc
    np.tanh(c, out=tc)
    np.multiply(o, tc, out=h)


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, dh_dc: np.ndarray, local: np.ndarray, f: np.ndarray, whh: np.ndarray,
    da: np.ndarray, dh_prev: np.ndarray, held: np.ndarray | None = None,
) -> None:
    """Backward of :func:`lstm_step_forward`; updates ``dc`` in place to ``dc_{t-1}``.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient arriving at ``h_t``.
    dc : ndarray, shape (B, H)
        Gradient arriving at ``c_t`` from step ``t + 1``; overwritten with
        the gradient of ``c_{t-1}``.
    dh_dc : ndarray, shape (B, H)
        ``∂h_t/∂c_t = σ(o) (1 - tanh²(c_t))``.
    local : ndarray, shape (B, 4H)
        ``∂c_t/∂a`` for i, f, g: ``tanh(g) σ'(i)``, ``c_{t-1} σ'(f)``,
        ``σ(i) tanh'(g)``, and ``∂h_t/∂a_o = tanh(c_t) σ'(o)``.
    f : ndarray, shape (B, H)
        ``σ(a_f)``.
    whh : ndarray, shape (4H, H)
    da : ndarray, shape (B, 4H)
        Receives the gradient of the gate pre-activations.
    dh_prev : ndarray, shape (B, H)
        Receives the gradient of ``h_{t-1}``.
    held : bool ndarray, shape (H,), optional
    """
    B, H = dh.shape
    keep = dc[:, held] if held is not None else None
    dc += dh * dh_dc                              # total gradient of c_t: direct + through h_t
    da4, loc4 = da.reshape(B, 4, H), local.reshape(B, 4, H)
    np.multiply(loc4[:, :3], dc[:, None, :], out=da4[:, :3])
    np.multiply(loc4[:, 3], dh, out=da4[:, 3])
    dc *= f
    if held is not None:
        da4[:, :, held] = 0
        dc[:, held] = keep
    np.matmul(da, whh, out=dh_prev)
    if held is not None:
        dh_prev[:, held] += dh[:, held]


# -------------------------------------------------------------------- GRU


def gru_step_forward(
    xw: np.ndarray, h_prev: np.ndarray, whh_t: np.ndarray, b_hn: np.ndarray | None,
    gates: np.ndarray, hn: np.ndarray, h: np.ndarray,
) -> None:
    """One GRU step; writes ``gates``, ``hn`` and ``h`` (all preallocated).

    ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(…)``,
    ``n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))``, ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``.

    Parameters
    ----------
    xw : ndarray, shape (B, 3H)
        ``[(W_ir x + b_ir + b_hr)/2, (W_iz x + b_iz + b_hz)/2, W_in x + b_in]``.
    h_prev : ndarray, shape (B, H)
    whh_t : ndarray, shape (H, 3H)
        ``[W_hr/2; W_hz/2; W_hn]^T``.
    b_hn : ndarray, shape (H,), or None
    gates : ndarray, shape (B, 3H)
        Receives ``σ(r), σ(z), n``.
    hn, h : ndarray, shape (B, H)
        Receive ``W_hn h_{t-1} + b_hn`` and ``h_t``.
    """
    np.matmul(h_prev, whh_t, out=gates)
    gru_pointwise(xw, h_prev, b_hn, gates, hn, h)


def gru_pointwise(
    xw: np.ndarray, h_prev: np.ndarray, b_hn: np.ndarray | None, gates: np.ndarray, hn: np.ndarray, h: np.ndarray,
) -> None:
    """The elementwise half of a GRU step (any number of leading axes).

    ``gates`` holds ``W_hh h_{t-1}`` (r, z rows halved, no bias) on entry and
    ``σ(r), σ(z), n`` on exit. Shared with :mod:`numerics.engine.blocked`.
    """
    H = h.shape[-1]
    if b_hn is not None:
        np.add(gates[..., 2 * H :], b_hn, out=hn)
    else:
        hn[...] = gates[..., 2 * H :]
    rz = gates[..., : 2 * H]
    rz += xw[..., : 2 * H]
    _sigmoid_from_half_(rz)
    r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
    np.multiply(r, hn, out=n)
    n += xw[..., 2 * H :]
    np.tanh(n, out=n)
    np.subtract(h_prev, n, out=h)                # h_t = n + z ⊙ (h_{t-1} - n)
    h *= z
    h += n


def gru_step_backward(
    dh: np.ndarray, local_x: np.ndarray, local_hn: np.ndarray, z: np.ndarray, whh: np.ndarray,
    dax: np.ndarray, dah: np.ndarray, dh_prev: np.ndarray, held: np.ndarray | None = None,
) -> None:
    """Backward of :func:`gru_step_forward`.

    The input side and the hidden side see different gradients in the ``n``
    gate, because ``r`` multiplies only the hidden part ``W_hn h + b_hn``.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient arriving at ``h_t``.
    local_x : ndarray, shape (B, 3H)
        ``∂h_t`` over the input-side pre-activations:
        ``(1-z)(1-n²) hn σ'(r)``, ``(h_{t-1} - n) σ'(z)``, ``(1-z)(1-n²)``.
    local_hn : ndarray, shape (B, H)
        ``∂h_t/∂(W_hn h + b_hn) = (1-z)(1-n²) r``.
    z : ndarray, shape (B, H)
        ``σ(a_z)``: the direct path ``∂h_t/∂h_{t-1}``.
    whh : ndarray, shape (3H, H)
    dax, dah : ndarray, shape (B, 3H)
        Receive the gradients of the input-side and hidden-side pre-activations.
    dh_prev : ndarray, shape (B, H)
    held : bool ndarray, shape (H,), optional
    """
    B, H = dh.shape
    dax3 = dax.reshape(B, 3, H)
    np.multiply(local_x.reshape(B, 3, H), dh[:, None, :], out=dax3)
    dah[:, : 2 * H] = dax[:, : 2 * H]
    np.multiply(local_hn, dh, out=dah[:, 2 * H :])
    if held is not None:
        dax3[:, :, held] = 0
        dah.reshape(B, 3, H)[:, :, held] = 0
    np.matmul(dah, whh, out=dh_prev)
    if held is None:
        dh_prev += dh * z
    else:
        direct = dh * z
        direct[:, held] = dh[:, held]
        dh_prev += direct


# ------------------------------------------------------------------ layer


def layer_forward(
    cell: str,
    params: LayerParams,
    x: np.ndarray,
    h0: np.ndarray,
    c0: np.ndarray | None = None,
    *,
    activations: tuple[ActGroup, ...] = (),
    hold: np.ndarray | None = None,
    reverse: bool = False,
) -> tuple[np.ndarray, LayerCache]:
    """Run one recurrent layer over a whole sequence.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
    params : LayerParams
    x : ndarray, shape (T, B, I)
    h0 : ndarray, shape (B, H)
    c0 : ndarray, shape (B, H), optional
        LSTM initial cell state (zeros if omitted).
    activations : tuple of (name, start, stop)
        Elman activation groups covering ``0:H``.
    hold : ndarray of int, shape (H,), optional
        Start schedule: unit ``j`` keeps its initial state (``h`` and ``c``)
        during its first ``hold[j]`` steps.
    reverse : bool
        Process ``x`` from ``t = T`` down to ``1`` (backward direction of a
        bidirectional layer); outputs are returned in input order.

    Returns
    -------
    hs : ndarray, shape (T, B, H)
        States after each step, aligned with ``x``.
    cache : LayerCache
        The final states are ``cache.h[-1]`` (and ``cache.c[-1]``).
    """
    if reverse:
        x = x[::-1]
    x = np.ascontiguousarray(x)
    T, B, _ = x.shape
    H = params.hidden_size
    dtype = params.dtype
    prep = _prepare(cell, params, x)
    xw, whh_t = prep.xw, prep.whh_t
    h = np.empty((T + 1, B, H), dtype=dtype)
    h[0] = h0
    lstm, gru = cell == "lstm", cell == "gru"
    c = np.empty((T + 1, B, H), dtype=dtype) if lstm else None
    gates = np.empty((T, B, GATES[cell] * H), dtype=dtype) if (lstm or gru) else None
    extra = np.empty((T, B, H), dtype=dtype) if (lstm or gru) else None
    if lstm:
        c[0] = 0 if c0 is None else c0
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    for t in range(T):
        if lstm:
            lstm_step_forward(xw[t], h[t], c[t], whh_t, gates[t], c[t + 1], extra[t], h[t + 1])
        elif gru:
            gru_step_forward(xw[t], h[t], whh_t, prep.b_hn, gates[t], extra[t], h[t + 1])
        else:
            elman_step_forward(xw[t], h[t], whh_t, activations, h[t + 1])
        if t < last_hold:
            # Held units repeat their previous state; only early steps pay for this.
            held = hold > t
            h[t + 1][:, held] = h[t][:, held]
            if lstm:
                c[t + 1][:, held] = c[t][:, held]
    hs = h[1:]
    if reverse:
        hs = hs[::-1]
    cache = LayerCache(cell, params, x, h, c, gates, extra, activations, hold, reverse)
    return hs, cache


def _activation_grad(h: np.ndarray, groups: tuple[ActGroup, ...]) -> np.ndarray:
    """``φ'(z)`` from the outputs ``h = φ(z)`` for every activation group (any leading axes)."""
    if len(groups) == 1:
        return derivative_from_output(groups[0][0], h)
    out = np.empty_like(h)
    for name, a, b in groups:
        out[..., a:b] = derivative_from_output(name, h[..., a:b])
    return out


def layer_backward(
    cache: LayerCache,
    dh_out: np.ndarray,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, LayerParams]:
    """Backpropagation through time for one layer (inverse of :func:`layer_forward`).

    The local derivatives of every step (``φ'(z_t)``, the gate derivatives)
    depend only on the cache, so they are computed for all ``T`` steps in a
    few vectorised operations; the loop over time then does one matrix
    product and a handful of elementwise products per step. Weight
    gradients are not accumulated per step: the pre-activation gradients of
    all steps are kept and ``dW_hh = Σ_t da_t^T h_{t-1}`` is one product.

    Parameters
    ----------
    cache : LayerCache
        From :func:`layer_forward`.
    dh_out : ndarray, shape (T, B, H)
        Gradient of the loss with respect to the returned ``hs`` (input order).
    dh_final, dc_final : ndarray, shape (B, H), optional
        Gradient with respect to the final state ``cache.h[-1]`` (and
        ``cache.c[-1]``) when it is used beyond the outputs.

    Returns
    -------
    dx : ndarray, shape (T, B, I)
        Gradient with respect to the layer input (input order).
    dh0 : ndarray, shape (B, H)
        Gradient with respect to the initial state.
    dc0 : ndarray, shape (B, H), or None
        Gradient with respect to the LSTM initial cell state.
    grads : LayerParams
        Same fields as ``cache.params``; held units receive no parameter
        gradient at their held steps.
    """
    p = cache.params
    x, h = cache.x, cache.h
    T, B, I = x.shape
    H = p.hidden_size
    G = GATES[cache.cell]
    dtype = p.dtype
    if dh_out.shape != (T, B, H):
        raise ValueError(f"dh_out must have shape {(T, B, H)}; got {dh_out.shape}")
    dho = dh_out[::-1] if cache.reverse else dh_out
    whh = p.weight_hh
    lstm, gru = cache.cell == "lstm", cache.cell == "gru"
    dax = np.empty((T, B, G * H), dtype=dtype)
    dah = np.empty((T, B, G * H), dtype=dtype) if gru else dax
    dh = np.zeros((B, H), dtype=dtype) if dh_final is None else np.array(dh_final, dtype=dtype)
    buf = np.empty((B, H), dtype=dtype)
    hold = cache.hold
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    if lstm:
        dc = np.zeros((B, H), dtype=dtype) if dc_final is None else np.array(dc_final, dtype=dtype)
        gts, tc = cache.gates, cache.extra
        i, f, g, o = (gts[..., k * H : (k + 1) * H] for k in range(4))
        dh_dc = o * (1 - tc * tc)
        local = np.empty_like(gts)
        np.multiply(g, i * (1 - i), out=local[..., :H])
        np.multiply(cache.c[:-1], f * (1 - f), out=local[..., H : 2 * H])
        np.multiply(i, 1 - g * g, out=local[..., 2 * H : 3 * H])
        np.multiply(tc, o * (1 - o), out=local[..., 3 * H :])
    elif gru:
        gts, hn = cache.gates, cache.extra
        r, z, n = (gts[..., k * H : (k + 1) * H] for k in range(3))
        dn = (1 - z) * (1 - n * n)
        local = np.empty_like(gts)
        np.multiply(dn * hn, r * (1 - r), out=local[..., :H])
        np.multiply(h[:-1] - n, z * (1 - z), out=local[..., H : 2 * H])
        local[..., 2 * H :] = dn
        local_hn = dn * r
    else:
        dphi = _activation_grad(h[1:], cache.activations)
    for t in range(T - 1, -1, -1):
        held = (hold > t) if t < last_hold else None
        dh += dho[t]
        if lstm:
            lstm_step_backward(dh, dc, dh_dc[t], local[t], f[t], whh, dax[t], buf, held)
        elif gru:
            gru_step_backward(dh, local[t], local_hn[t], z[t], whh, dax[t], dah[t], buf, held)
        else:
            elman_step_backward(dh, dphi[t], whh, dax[t], buf, held)
        dh, buf = buf, dh
    # Parameter and input gradients for all steps in one product each.
    dax2 = dax.reshape(T * B, G * H)
    dah2 = dah.reshape(T * B, G * H)
    grads = LayerParams(
        weight_ih=dax2.T @ x.reshape(T * B, I),
        weight_hh=dah2.T @ h[:-1].reshape(T * B, H),
        bias_ih=dax2.sum(axis=0) if p.bias_ih is not None else None,
        bias_hh=dah2.sum(axis=0) if p.bias_hh is not None else None,
    )
    dx = (dax2 @ p.weight_ih).reshape(T, B, I)
    if cache.reverse:
        dx = dx[::-1]
    return dx, dh, (dc if lstm else None), grads
