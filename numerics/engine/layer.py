"""One recurrent layer through time: the engine under every model.

A stacked network is a sequence of these layers, a bidirectional one runs a
second copy on the reversed sequence, and a delayed network is a single wide
layer with per-block activations and holds (``hold``: steps a block keeps its initial state). The
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

from dataclasses import dataclass
from typing import Any

import numpy as np

from numerics._validate import as_float_array
from numerics.engine._workspace import take
from numerics.engine.activations import ActGroup
from numerics.engine.cells import (
    _split,
    elman_backward,
    elman_forward,
    gate_scale,
    gru_backward,
    gru_pointwise,
    lstm_backward,
    lstm_pointwise,
    step_locals,
)
from numerics.engine.params import LayerCache, LayerParams
from theory._checks import check_cell, check_type
from theory.layout import GATES


@dataclass(frozen=True)
class _Prepared:
    """Per-call constants of the forward loop.

    ``whh_t`` is ``W_hh^T`` (contiguous, ``(H, G·H)``) and ``xw`` the input
    projections of all steps with every bias that can be folded in. For LSTM
    and GRU the columns of sigmoid gates are halved, so one ``tanh`` over a
    step's whole pre-activation buffer computes every gate. For an own-reset
    GRU ``whh_t`` is ``(H, 4H)``: ``[W_hr/2; W_hz/2; D; C]^T`` with ``D`` the
    entries of ``W_hn`` inside the reset gate and ``C`` the rest.
    """

    whh_t: np.ndarray
    xw: np.ndarray
    b_hn: np.ndarray | None


def split_reset(w_hh: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """``W_hh`` of a GRU as ``[W_hr; W_hz; D; C]`` (``(4H, H)``) when a reset mask is given.

    ``D = W_hn ⊙ mask`` sits inside the reset gate, ``C = W_hn ⊙ ¬mask``
    outside it; without a mask ``W_hh`` is returned as it is.
    """
    if mask is None:
        return w_hh
    H = w_hh.shape[1]
    w_n = w_hh[2 * H :]
    return np.concatenate([w_hh[: 2 * H], w_n * mask, w_n * ~mask])


def _prepare(cell: str, p: LayerParams, x: np.ndarray, mask: np.ndarray | None) -> _Prepared:
    """Transpose ``W_hh``, project all inputs, fold biases, halve sigmoid gates."""
    T, B, I = x.shape
    H, G = p.hidden_size, GATES[cell]
    b = None
    if p.bias_ih is not None:
        b = p.bias_ih + p.bias_hh
        if cell == "gru":
            # b_hn sits inside r ⊙ (W_hn h + b_hn): it cannot join the input side.
            b = np.concatenate([b[: 2 * H], p.bias_ih[2 * H :]])
    scale = np.repeat(gate_scale(cell, p.dtype), H)
    w_ih = p.weight_ih * scale[:, None]
    w_hh = split_reset(p.weight_hh * scale[:, None], mask if cell == "gru" else None)
    # All input projections in one product: (T·B, I) @ (I, G·H).
    xw = take("layer.xw", (T, B, G * H), w_ih.dtype)
    np.matmul(x.reshape(T * B, I), w_ih.T, out=xw.reshape(T * B, G * H))
    if b is not None:
        xw += b * scale
    b_hn = p.bias_hh[2 * H :] if (cell == "gru" and p.bias_hh is not None) else None
    return _Prepared(np.ascontiguousarray(w_hh.T), xw, b_hn)


def _recurrent(da: np.ndarray, whh: Any, out: np.ndarray) -> None:
    """``out = da @ W_hh``: ``whh`` is the matrix, or a schedule's own product ``whh(da, out)`` (block-sparse)."""
    if isinstance(whh, np.ndarray):
        np.matmul(da, whh, out=out)
    else:
        whh(da, out)


# ------------------------------------------------------------------ Elman
#
# Step functions come in forward/backward pairs. Forward steps write into
# preallocated slices of the cache (``out``) so the loop over time allocates
# nothing; backward steps receive the step's local derivatives, which
# :func:`layer_backward` computes for all steps at once from the cache.
# ``held`` (bool (H,), or None) marks units that only copied their previous
# state at this step (its ``hold``): their computed values
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
    return elman_forward(out, groups)


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
    elman_backward(dh, dphi, da)
    if held is not None:
        da[:, held] = 0
    _recurrent(da, whh, dh_prev)
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
    keep = dc[:, held] if held is not None else None
    da4 = _split(da, 4)
    lstm_backward(dh, dc, dh_dc, _split(local, 4), f, da4)
    if held is not None:
        da4[:, :, held] = 0
        dc[:, held] = keep
    _recurrent(da, whh, dh_prev)
    if held is not None:
        dh_prev[:, held] += dh[:, held]


# -------------------------------------------------------------------- GRU


def gru_step_forward(
    xw: np.ndarray, h_prev: np.ndarray, whh_t: np.ndarray, b_hn: np.ndarray | None,
    gates: np.ndarray, hn: np.ndarray, h: np.ndarray, hh: np.ndarray | None = None,
) -> None:
    """One GRU step; writes ``gates``, ``hn`` and ``h`` (all preallocated).

    ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(…)``,
    ``n = tanh(W_in x + b_in + C h + r ⊙ (D h + b_hn))``, ``h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}``,
    where ``D + C = W_hn`` and ``C = 0`` for PyTorch's cell.

    Parameters
    ----------
    xw : ndarray, shape (B, 3H)
        ``[(W_ir x + b_ir + b_hr)/2, (W_iz x + b_iz + b_hz)/2, W_in x + b_in]``.
    h_prev : ndarray, shape (B, H)
    whh_t : ndarray, shape (H, 3H), or (H, 4H) for an own-reset cell
        ``[W_hr/2; W_hz/2; W_hn]^T``, or ``[W_hr/2; W_hz/2; D; C]^T``.
    b_hn : ndarray, shape (H,) or (B, H), or None
        Added to ``W_hn h_{t-1}`` inside the reset gate; the block-order
        engine passes a per-step array that also holds the readings of
        other blocks.
    gates : ndarray, shape (B, 3H)
        Receives ``σ(r), σ(z), n``.
    hn, h : ndarray, shape (B, H)
        Receive ``D h_{t-1} + b_hn`` and ``h_t``.
    hh : ndarray, shape (B, 4H); own-reset cell only
        Scratch for the recurrent product.
    """
    if hh is None:
        np.matmul(h_prev, whh_t, out=gates)
        gru_pointwise(xw, h_prev, b_hn, gates, hn, h)
        return
    G3 = gates.shape[-1]
    np.matmul(h_prev, whh_t, out=hh)
    gates[...] = hh[..., :G3]
    gru_pointwise(xw, h_prev, b_hn, gates, hn, h, cross=hh[..., G3:])


def gru_step_backward(
    dh: np.ndarray, local_x: np.ndarray, local_hn: np.ndarray, z: np.ndarray, whh: np.ndarray,
    dax: np.ndarray, dah: np.ndarray, dh_prev: np.ndarray, held: np.ndarray | None = None,
) -> None:
    """Backward of :func:`gru_step_forward`.

    The input side and the hidden side see different gradients in the ``n``
    gate, because ``r`` multiplies only the hidden part ``D h + b_hn``.

    Parameters
    ----------
    dh : ndarray, shape (B, H)
        Gradient arriving at ``h_t``.
    local_x : ndarray, shape (B, 3H)
        ``∂h_t`` over the input-side pre-activations:
        ``(1-z)(1-n²) hn σ'(r)``, ``(h_{t-1} - n) σ'(z)``, ``(1-z)(1-n²)``.
    local_hn : ndarray, shape (B, H)
        ``∂h_t/∂(D h + b_hn) = (1-z)(1-n²) r``.
    z : ndarray, shape (B, H)
        ``σ(a_z)``: the direct path ``∂h_t/∂h_{t-1}``.
    whh : ndarray, shape (3H, H), or (4H, H) for the own-reset cell
        ``W_hh``, or ``[W_hr; W_hz; D; C]`` (:func:`split_reset`).
    dax : ndarray, shape (B, 3H)
        Receives the gradient of the input-side pre-activations.
    dah : ndarray, shape (B, 3H) or (B, 4H), as ``whh``'s rows
        Receives the gradients of ``W_hh h_{t-1}``'s parts (``C h`` sees the
        input side's ``n`` gradient).
    dh_prev : ndarray, shape (B, H)
    held : bool ndarray, shape (H,), optional
    """
    H = dh.shape[1]
    dax3 = _split(dax, 3)
    gru_backward(dh, _split(local_x, 3), dax3)
    dah[:, : 2 * H] = dax[:, : 2 * H]
    gru_backward(dh, local_hn[:, None, :], dah[:, None, 2 * H : 3 * H])
    if held is not None:
        dax3[:, :, held] = 0
        _split(dah, dah.shape[1] // H)[:, :, held] = 0
    if dah.shape[1] > 3 * H:
        dah[:, 3 * H :] = dax[:, 2 * H :]
    _recurrent(dah, whh, dh_prev)
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
    reset_mask: np.ndarray | None = None,
    keep_cache: bool = True,
) -> tuple[np.ndarray, LayerCache | None]:
    """Run one recurrent layer over a whole sequence.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
    params : LayerParams
    x : ndarray, shape (T, B, I)
    h0 : ndarray, shape (B, H)
    c0 : ndarray, shape (B, H), optional
        LSTM initial cell state (zeros if omitted).
    activations : tuple of ActGroup
        Elman activation groups covering ``0:H``.
    hold : ndarray of int, shape (H,), optional
        Holds: unit ``j`` keeps its initial state (``h`` and ``c``)
        during its first ``hold[j]`` steps.
    reverse : bool
        Process ``x`` from ``t = T`` down to ``1`` (backward direction of a
        bidirectional layer); outputs are returned in input order.
    reset_mask : bool ndarray, shape (H, H), optional
        GRU only: the entries of ``W_hn`` the reset gate multiplies; the
        others are added outside it (own-reset cell). ``None``: all
        (PyTorch's cell).
    keep_cache : bool
        False for inference: the gates and LSTM cell states of each step are
        written into one reused buffer instead of being kept, and no cache
        is returned.

    Returns
    -------
    hs : ndarray, shape (T, B, H)
        States after each step, aligned with ``x``.
    cache : LayerCache, or None if not ``keep_cache``
        The final states are ``cache.h[-1]`` (and ``cache.c[-1]``).
    """
    check_cell(cell)  # an unknown name would otherwise surface as a KeyError deep in the step functions
    check_type(params, LayerParams, "params", "a numerics.engine.params.LayerParams")
    if params.weight_ih.shape[0] != GATES[cell] * params.hidden_size:
        raise ValueError(f"params must hold weights of cell={cell!r} ({GATES[cell]}·H rows); got weight_ih of shape "
                         f"{params.weight_ih.shape} with H = {params.hidden_size}")
    x = as_float_array(x, "x", params.dtype)
    if x.ndim != 3 or x.shape[2] != params.input_size:
        raise ValueError(f"x must have shape (T, B, {params.input_size}); got {x.shape}")
    for name, s in (("h0", h0), ("c0", c0)):
        shape = (x.shape[1], params.hidden_size)
        if (s is not None or name == "h0") and as_float_array(s, name, params.dtype).shape != shape:
            raise ValueError(f"{name} must have shape {shape}; got {np.shape(s)}")
    if reverse:
        x = x[::-1]
    x = np.ascontiguousarray(x)
    T, B, _ = x.shape
    H = params.hidden_size
    dtype = params.dtype
    lstm, gru = cell == "lstm", cell == "gru"
    mask = reset_mask if gru else None
    prep = _prepare(cell, params, x, mask)
    xw, whh_t = prep.xw, prep.whh_t
    # Scratch-pool arrays (numerics.engine._workspace): handed out again only once nothing references
    # them, so a training loop does not pay a page fault per page of fresh memory on every call.
    h = take("layer.h", (T + 1, B, H), dtype)
    h[0] = h0
    # Without a cache only the current step's gates (and two cell states) are ever read again.
    Tk = T if keep_cache else min(T, 1)
    c = take("layer.c", (T + 1 if keep_cache else 2, B, H), dtype) if lstm else None
    gates = take("layer.gates", (Tk, B, GATES[cell] * H), dtype) if (lstm or gru) else None
    # tanh(c_t) for LSTM, the reset gate's operand for GRU: one buffer, named by cell in the cache.
    inner = take("layer.inner", (Tk, B, H), dtype) if (lstm or gru) else None
    hh = np.empty((B, 4 * H), dtype=dtype) if mask is not None else None
    if lstm:
        c[0] = 0 if c0 is None else c0
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    for t in range(T):
        k = t if keep_cache else 0
        if lstm:
            ci, co = (t, t + 1) if keep_cache else (t % 2, 1 - t % 2)
            lstm_step_forward(xw[t], h[t], c[ci], whh_t, gates[k], c[co], inner[k], h[t + 1])
        elif gru:
            gru_step_forward(xw[t], h[t], whh_t, prep.b_hn, gates[k], inner[k], h[t + 1], hh)
        else:
            elman_step_forward(xw[t], h[t], whh_t, activations, h[t + 1])
        if t < last_hold:
            # Held units repeat their previous state; only early steps pay for this.
            held = hold > t
            h[t + 1][:, held] = h[t][:, held]
            if lstm:
                c[co][:, held] = c[ci][:, held]
    hs = h[1:]
    if reverse:
        hs = hs[::-1]
    if not keep_cache:
        return hs, None
    cache = LayerCache(cell, params, x, h, c, gates, inner if lstm else None, inner if gru else None,
                       activations, hold, reverse, mask)
    return hs, cache



def layer_backward(
    cache: LayerCache,
    dh_out: np.ndarray,
    dh_final: np.ndarray | None = None,
    dc_final: np.ndarray | None = None,
    *,
    product: Any = None,
) -> tuple[np.ndarray, LayerParams, np.ndarray, np.ndarray | None]:
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
    product : optional
        A schedule's own recurrent product (the block-sparse one,
        :class:`numerics.engine.sparse.SparseProduct`): ``product.slots`` gate
        slots, ``product.transpose(da, out)`` for ``da @ W_hh`` and
        ``product.weight_grad(dah, h, G)`` for ``W_hh``'s gradient on its
        pattern. ``None``: the dense ``W_hh``.

    Returns
    -------
    In the order every model's ``backward`` uses: input, parameters, initial states.

    dx : ndarray, shape (T, B, I)
        Gradient with respect to the layer input (input order).
    grads : LayerParams
        Same fields as ``cache.params``; held units receive no parameter
        gradient at their held steps.
    dh0 : ndarray, shape (B, H)
        Gradient with respect to the initial state.
    dc0 : ndarray, shape (B, H), or None
        Gradient with respect to the LSTM initial cell state.
    """
    check_type(cache, LayerCache, "cache", "a LayerCache from layer_forward")
    dh_out = as_float_array(dh_out, "dh_out", cache.params.dtype)
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
    mask = cache.reset_mask if gru else None
    if mask is not None:
        whh = split_reset(whh, mask)
    rows = whh.shape[0]
    if product is not None:
        whh, rows = product.transpose, product.slots * H
    dax = take("layer.dax", (T, B, G * H), dtype)
    dah = take("layer.dah", (T, B, rows), dtype) if gru else dax
    dh = np.zeros((B, H), dtype=dtype) if dh_final is None else np.array(dh_final, dtype=dtype)
    buf = np.empty((B, H), dtype=dtype)
    hold = cache.hold
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    if lstm:
        dc = np.zeros((B, H), dtype=dtype) if dc_final is None else np.array(dc_final, dtype=dtype)
    loc = step_locals(cache.cell, h, cache.gates, cache.c, cache.tanh_c if lstm else cache.hn,
                      cache.activations, take)
    for t in range(T - 1, -1, -1):
        held = (hold > t) if t < last_hold else None
        dh += dho[t]
        if lstm:
            lstm_step_backward(dh, dc, loc.extra[t], loc.local[t], loc.gate[t], whh, dax[t], buf, held)
        elif gru:
            gru_step_backward(dh, loc.local[t], loc.extra[t], loc.gate[t], whh, dax[t], dah[t], buf, held)
        else:
            elman_step_backward(dh, loc.local[t], whh, dax[t], buf, held)
        dh, buf = buf, dh
    # Parameter and input gradients for all steps in one product each.
    dax2 = dax.reshape(T * B, G * H)
    dah2 = dah.reshape(T * B, dah.shape[-1])
    if product is not None:
        dw_hh = product.weight_grad(dah2, h[:-1].reshape(T * B, H), G)
    else:
        dw_hh = dah2.T @ h[:-1].reshape(T * B, H)
    if mask is not None and product is None:
        # Rows 2H:3H are ∂/∂D, rows 3H:4H ∂/∂C; each is W_hn's gradient on its own entries.
        dw_hh = np.concatenate([dw_hh[: 2 * H], np.where(mask, dw_hh[2 * H : 3 * H], dw_hh[3 * H :])])
    grads = LayerParams(
        weight_ih=dax2.T @ x.reshape(T * B, I),
        weight_hh=dw_hh,
        bias_ih=dax2.sum(axis=0) if p.bias_ih is not None else None,
        bias_hh=dah2[:, : G * H].sum(axis=0) if p.bias_hh is not None else None,
    )
    dx = (dax2 @ p.weight_ih).reshape(T, B, I)
    if cache.reverse:
        dx = dx[::-1]
    return dx, grads, dh, (dc if lstm else None)


__all__ = [
    "elman_step_backward",
    "elman_step_forward",
    "gru_step_backward",
    "gru_step_forward",
    "layer_backward",
    "layer_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "split_reset",
]
