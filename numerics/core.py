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

from numerics.activations import FUNCTIONS, derivative_from_output, sigmoid
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


def _activate(z: np.ndarray, groups: tuple[ActGroup, ...]) -> np.ndarray:
    if len(groups) == 1:
        return FUNCTIONS[groups[0][0]](z)
    out = np.empty_like(z)
    for name, a, b in groups:
        out[..., a:b] = FUNCTIONS[name](z[..., a:b])
    return out


def elman_step_forward(
    xw: np.ndarray, h_prev: np.ndarray, whh_t: np.ndarray, b_hh: np.ndarray | None,
    groups: tuple[ActGroup, ...],
) -> np.ndarray:
    """One Elman step. ``xw = W_ih x_t + b_ih`` (B, H); returns ``h_t`` (B, H)."""
    z = xw + h_prev @ whh_t
    if b_hh is not None:
        z += b_hh
    return _activate(z, groups)


def lstm_step_forward(
    xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, whh_t: np.ndarray, b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One LSTM step. ``xw`` (B, 4H); returns ``h_t, c_t, gates (B, 4H), tanh(c_t)``."""
    H = h_prev.shape[-1]
    a = xw + h_prev @ whh_t
    if b_hh is not None:
        a += b_hh
    gates = np.empty_like(a)
    gates[:, : 2 * H] = sigmoid(a[:, : 2 * H])
    gates[:, 2 * H : 3 * H] = np.tanh(a[:, 2 * H : 3 * H])
    gates[:, 3 * H :] = sigmoid(a[:, 3 * H :])
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    c = f * c_prev + i * g
    tc = np.tanh(c)
    return o * tc, c, gates, tc


def gru_step_forward(
    xw: np.ndarray, h_prev: np.ndarray, whh_t: np.ndarray, b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One GRU step. ``xw`` (B, 3H); returns ``h_t, gates [r, z, n] (B, 3H), W_hn h + b_hn``."""
    H = h_prev.shape[-1]
    gh = h_prev @ whh_t
    if b_hh is not None:
        gh += b_hh
    gates = np.empty_like(gh)
    gates[:, : 2 * H] = sigmoid(xw[:, : 2 * H] + gh[:, : 2 * H])
    r, z = gates[:, :H], gates[:, H : 2 * H]
    hn = gh[:, 2 * H :]
    n = np.tanh(xw[:, 2 * H :] + r * hn)
    gates[:, 2 * H :] = n
    return (1 - z) * n + z * h_prev, gates, hn


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
    T, B, _ = x.shape
    H = params.hidden_size
    dtype = params.dtype
    # All input projections in one product: (T·B, I) @ (I, G·H).
    xw = (x.reshape(T * B, x.shape[2]) @ params.weight_ih.T).reshape(T, B, params.weight_ih.shape[0])
    if params.bias_ih is not None:
        xw += params.bias_ih
    whh_t = np.ascontiguousarray(params.weight_hh.T)
    b_hh = params.bias_hh
    h = np.empty((T + 1, B, H), dtype=dtype)
    h[0] = h0
    lstm, gru = cell == "lstm", cell == "gru"
    c = np.empty((T + 1, B, H), dtype=dtype) if lstm else None
    gates = np.empty((T, B, GATES[cell] * H), dtype=dtype) if (lstm or gru) else None
    extra = np.empty((T, B, H), dtype=dtype) if (lstm or gru) else None
    if lstm:
        c[0] = np.zeros((B, H), dtype=dtype) if c0 is None else c0
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    for t in range(T):
        if lstm:
            h[t + 1], c[t + 1], gates[t], extra[t] = lstm_step_forward(xw[t], h[t], c[t], whh_t, b_hh)
        elif gru:
            h[t + 1], gates[t], extra[t] = gru_step_forward(xw[t], h[t], whh_t, b_hh)
        else:
            h[t + 1] = elman_step_forward(xw[t], h[t], whh_t, b_hh, activations)
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


# ---------------------------------------------------------------- backward
#
# Each step backward mirrors its step forward above. They take the gradient
# ``dh`` arriving at ``h_t`` (from the output at step ``t`` and from step
# ``t + 1``) and return the gradient of the pre-activations plus the
# gradient passed on to ``h_{t-1}`` (and ``c_{t-1}``). Weight gradients are
# not accumulated per step: :func:`layer_backward` keeps every step's
# pre-activation gradient and forms them with one matrix product over all
# ``T`` steps, which is both faster and the textbook identity
# ``dW_hh = Σ_t da_t^T h_{t-1}``.
#
# ``held`` (bool (H,), or None) marks units that only copied their previous
# state at this step (the ``hold`` start schedule): their computed values
# were discarded, so their pre-activation gradients are zero and ``dh`` (and
# ``dc``) passes straight through to the previous state.


def _activation_grad(h: np.ndarray, groups: tuple[ActGroup, ...]) -> np.ndarray:
    """``φ'(z)`` from the outputs ``h = φ(z)`` for every activation group (any leading axes)."""
    if len(groups) == 1:
        return derivative_from_output(groups[0][0], h)
    out = np.empty_like(h)
    for name, a, b in groups:
        out[..., a:b] = derivative_from_output(name, h[..., a:b])
    return out


def _zero_held_gates(da: np.ndarray, held: np.ndarray, H: int) -> None:
    """Zero the pre-activation gradients of held units in every gate (in place)."""
    da.reshape(da.shape[0], -1, H)[:, :, held] = 0


def elman_step_backward(
    dh: np.ndarray, dphi: np.ndarray, whh: np.ndarray, held: np.ndarray | None = None,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Backward of :func:`elman_step_forward`.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient arriving at ``h_t``.
    dphi : ndarray, shape (B, H)
        ``φ'(z_t)`` (precomputed for all steps from the outputs).
    whh : ndarray, shape (H, H)
        ``W_hh`` (untransposed: ``dh_{t-1} = da W_hh``).
    held : bool ndarray, shape (H,), optional
    out : ndarray, shape (B, H), optional
        Where to write ``da``.

    Returns
    -------
    da : ndarray, shape (B, H)
        Gradient of ``z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``.
    dh_prev : ndarray, shape (B, H)
    """
    da = np.multiply(dh, dphi, out=out)
    if held is not None:
        da[:, held] = 0
    dh_prev = da @ whh
    if held is not None:
        dh_prev[:, held] += dh[:, held]
    return da, dh_prev


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, c_prev: np.ndarray, gates: np.ndarray, tc: np.ndarray, whh: np.ndarray,
    held: np.ndarray | None = None, out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`lstm_step_forward`.

    Parameters
    ----------
    dh, dc : ndarray, shape (B, H)
        Gradients arriving at ``h_t`` and ``c_t``.
    c_prev : ndarray, shape (B, H)
    gates : ndarray, shape (B, 4H)
        ``σ(i), σ(f), tanh(g), σ(o)`` of this step.
    tc : ndarray, shape (B, H)
        ``tanh(c_t)``.
    whh : ndarray, shape (4H, H)
    held : bool ndarray, shape (H,), optional
    out : ndarray, shape (B, 4H), optional
        Where to write ``da``.

    Returns
    -------
    da : ndarray, shape (B, 4H)
        Gradient of the gate pre-activations ``[i; f; g; o]``.
    dh_prev, dc_prev : ndarray, shape (B, H)
    """
    H = dh.shape[-1]
    i, f, g, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H : 3 * H], gates[:, 3 * H :]
    da = np.empty_like(gates) if out is None else out
    # h = o·tanh(c): the total gradient of c_t adds the path through h_t.
    dct = dh * o * (1 - tc * tc) + dc
    np.multiply(dct * g, i * (1 - i), out=da[:, :H])          # i = σ(a_i)
    np.multiply(dct * c_prev, f * (1 - f), out=da[:, H : 2 * H])  # f = σ(a_f)
    np.multiply(dct * i, 1 - g * g, out=da[:, 2 * H : 3 * H])  # g = tanh(a_g)
    np.multiply(dh * tc, o * (1 - o), out=da[:, 3 * H :])      # o = σ(a_o)
    dc_prev = dct * f
    if held is not None:
        _zero_held_gates(da, held, H)
        dc_prev[:, held] = dc[:, held]
    dh_prev = da @ whh
    if held is not None:
        dh_prev[:, held] += dh[:, held]
    return da, dh_prev, dc_prev


def gru_step_backward(
    dh: np.ndarray, h_prev: np.ndarray, gates: np.ndarray, hn: np.ndarray, whh: np.ndarray,
    held: np.ndarray | None = None, out_x: np.ndarray | None = None, out_h: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward of :func:`gru_step_forward`.

    The input side and the hidden side see different gradients in the ``n``
    gate, because ``r`` multiplies only the hidden part ``W_hn h + b_hn``.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient arriving at ``h_t``.
    h_prev : ndarray, shape (B, H)
    gates : ndarray, shape (B, 3H)
        ``σ(r), σ(z), n`` of this step.
    hn : ndarray, shape (B, H)
        ``W_hn h_{t-1} + b_hn``.
    whh : ndarray, shape (3H, H)
    held : bool ndarray, shape (H,), optional
    out_x, out_h : ndarray, shape (B, 3H), optional
        Where to write ``dax`` and ``dah``.

    Returns
    -------
    dax : ndarray, shape (B, 3H)
        Gradient of the input-side pre-activations ``W_ih x + b_ih``.
    dah : ndarray, shape (B, 3H)
        Gradient of the hidden-side pre-activations ``W_hh h + b_hh``.
    dh_prev : ndarray, shape (B, H)
    """
    H = dh.shape[-1]
    r, z, n = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    dax = np.empty_like(gates) if out_x is None else out_x
    dah = np.empty_like(gates) if out_h is None else out_h
    dn = dh * (1 - z) * (1 - n * n)                       # through h' = (1-z)·n + z·h, n = tanh(·)
    np.multiply(dn * hn, r * (1 - r), out=dax[:, :H])      # r = σ(a_r)
    np.multiply(dh * (h_prev - n), z * (1 - z), out=dax[:, H : 2 * H])  # z = σ(a_z)
    dax[:, 2 * H :] = dn
    dah[:, : 2 * H] = dax[:, : 2 * H]
    np.multiply(dn, r, out=dah[:, 2 * H :])                # r ⊙ (W_hn h + b_hn)
    direct = dh * z
    if held is not None:
        _zero_held_gates(dax, held, H)
        _zero_held_gates(dah, held, H)
        direct[:, held] = dh[:, held]
    dh_prev = dah @ whh
    dh_prev += direct
    return dax, dah, dh_prev


def layer_backward(
    cache: LayerCache,
    dh_out: np.ndarray,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, LayerParams]:
    """Backpropagation through time for one layer (inverse of :func:`layer_forward`).

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
    dc = None
    if lstm:
        dc = np.zeros((B, H), dtype=dtype) if dc_final is None else np.array(dc_final, dtype=dtype)
    hold = cache.hold
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    # Elman: φ'(z) for all steps at once, from the stored outputs.
    dphi = _activation_grad(h[1:], cache.activations) if not (lstm or gru) else None
    for t in range(T - 1, -1, -1):
        held = (hold > t) if t < last_hold else None
        dh = dh + dho[t]
        if lstm:
            _, dh, dc = lstm_step_backward(dh, dc, cache.c[t], cache.gates[t], cache.extra[t], whh, held, dax[t])
        elif gru:
            _, _, dh = gru_step_backward(dh, h[t], cache.gates[t], cache.extra[t], whh, held, dax[t], dah[t])
        else:
            _, dh = elman_step_backward(dh, dphi[t], whh, held, dax[t])
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
    return dx, dh, dc, grads
