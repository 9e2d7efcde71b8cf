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
from numerics.engine.cells import Cell, _split, cell_of, gate_scale
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


def folded_biases(cell: Cell, bias_ih: np.ndarray | None,
                  bias_hh: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The biases that join the input side, ``(G·H,)``, and what stays inside a reset gate, ``b_hn (H,)``.

    ``b_ih + b_hh``, except that a reset-gate cell's last gate keeps its
    hidden-side bias apart: ``b_hn`` sits inside ``r ⊙ (W_hn h + b_hn)``.
    Unscaled; ``(None, None)`` without biases.
    """
    if bias_ih is None:
        return None, None
    b = bias_ih + bias_hh
    if not cell.reset_gate:
        return b, None
    k = (cell.gates - 1) * (len(b) // cell.gates)
    return np.concatenate([b[:k], bias_ih[k:]]), bias_hh[k:]


def _prepare(cell: Cell, p: LayerParams, x: np.ndarray, mask: np.ndarray | None) -> _Prepared:
    """Transpose ``W_hh``, project all inputs, fold biases, halve sigmoid gates."""
    T, B, I = x.shape
    H, G = p.hidden_size, cell.gates
    b, b_hn = folded_biases(cell, p.bias_ih, p.bias_hh)
    scale = np.repeat(gate_scale(cell.name, p.dtype), H)
    w_ih = p.weight_ih * scale[:, None]
    w_hh = split_reset(p.weight_hh * scale[:, None], mask)
    # All input projections in one product: (T·B, I) @ (I, G·H).
    xw = take("layer.xw", (T, B, G * H), w_ih.dtype)
    np.matmul(x.reshape(T * B, I), w_ih.T, out=xw.reshape(T * B, G * H))
    if b is not None:
        xw += b * scale
    return _Prepared(np.ascontiguousarray(w_hh.T), xw, b_hn)


# ------------------------------------------------------------------- step
#
# A step is the schedule's recurrent product and the cell's pointwise rest
# (numerics.engine.cells): forward, ``h_{t-1} W_hh^T`` into
# ``cell.product_target(...)``, then ``cell.forward_pointwise(...)``;
# backward, ``cell.backward_pointwise(...)``, its result times ``W_hh``, then
# ``cell.backward_direct(...)``. The loops below (and the block-sparse and
# block-order ones) write these calls out, bound once per pass: at small
# widths a step costs a few microseconds, and every extra Python call shows.
# Forward steps write into preallocated slices of the cache so the loop over
# time allocates nothing; backward steps receive the local derivatives of all
# steps (Cell.step_locals), computed at once from the cache. ``held`` (bool
# (H,), or None) marks units that only copied their previous state at this
# step (its ``hold``): their computed values were discarded, so their
# pre-activation gradients are zero and ``dh`` (and ``dc``) passes straight
# through to the previous state.


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
    cell : str
        A cell name (:data:`numerics.engine.cells.CELLS`).
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
    C = cell_of(cell)
    mask = reset_mask if C.reset_gate else None
    prep = _prepare(C, params, x, mask)
    xw, whh_t = prep.xw, prep.whh_t
    # Scratch-pool arrays (numerics.engine._workspace): handed out again only once nothing references
    # them, so a training loop does not pay a page fault per page of fresh memory on every call.
    h = take("layer.h", (T + 1, B, H), dtype)
    h[0] = h0
    # Without a cache only the current step's gates (and two cell states) are ever read again.
    Tk = T if keep_cache else min(T, 1)
    c = take("layer.c", (T + 1 if keep_cache else 2, B, H), dtype) if C.second_state else None
    gates = take("layer.gates", (Tk, B, C.gates * H), dtype) if C.keeps_gates else None
    # The cell's inner value (LSTM tanh(c_t), GRU the reset gate's operand): one buffer, named by the cell.
    inner = take("layer.inner", (Tk, B, H), dtype) if C.keeps_gates else None
    gs, ins = (gates, inner) if C.keeps_gates else ([None] * Tk, [None] * Tk)
    hh = np.empty((B, 4 * H), dtype=dtype) if mask is not None else None
    if c is not None:
        c[0] = 0 if c0 is None else c0
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    c_prev = c_new = None
    target, finish, b_hn = C.product_target, C.forward_pointwise, prep.b_hn
    for t in range(T):
        k = t if keep_cache else 0
        if c is not None:
            ci, co = (t, t + 1) if keep_cache else (t % 2, 1 - t % 2)
            c_prev, c_new = c[ci], c[co]
        h_prev, h_new, g = h[t], h[t + 1], gs[k]
        np.matmul(h_prev, whh_t, out=target(g, h_new, hh))
        finish(xw[t], h_prev, c_prev, g, c_new, ins[k], h_new, b_hn, activations, hh)
        if t < last_hold:
            # Held units repeat their previous state; only early steps pay for this.
            held = hold > t
            h[t + 1][:, held] = h[t][:, held]
            if c is not None:
                c_new[:, held] = c_prev[:, held]
    hs = h[1:]
    if reverse:
        hs = hs[::-1]
    if not keep_cache:
        return hs, None
    cache = LayerCache(cell, params, x, h, c, gates, *C.inner_fields(inner), activations, hold, reverse, mask)
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
    C = cell_of(cache.cell)
    G = C.gates
    dtype = p.dtype
    if dh_out.shape != (T, B, H):
        raise ValueError(f"dh_out must have shape {(T, B, H)}; got {dh_out.shape}")
    dho = dh_out[::-1] if cache.reverse else dh_out
    whh = p.weight_hh
    mask = cache.reset_mask if C.reset_gate else None
    if mask is not None:
        whh = split_reset(whh, mask)
    rows = whh.shape[0]
    if product is not None:
        whh, rows = product.transpose, product.slots * H
    dax = take("layer.dax", (T, B, G * H), dtype)
    dah = take("layer.dah", (T, B, rows), dtype) if C.reset_gate else dax
    dh = np.zeros((B, H), dtype=dtype) if dh_final is None else np.array(dh_final, dtype=dtype)
    buf = np.empty((B, H), dtype=dtype)
    hold = cache.hold
    last_hold = 0 if hold is None else int(hold.max(initial=0))
    dc = None
    if C.second_state:
        dc = np.zeros((B, H), dtype=dtype) if dc_final is None else np.array(dc_final, dtype=dtype)
    loc = C.step_locals(h, None if cache.gates is None else _split(cache.gates, G), cache.c, C.inner_of(cache),
                        cache.activations, take)
    pointwise, direct, dense = C.backward_pointwise, C.backward_direct, isinstance(whh, np.ndarray)
    for t in range(T - 1, -1, -1):
        held = (hold > t) if t < last_hold else None
        dh += dho[t]
        da = pointwise(dh, dc, loc, t, dax[t], dah[t], held)
        if dense:
            np.matmul(da, whh, out=buf)
        else:
            whh(da, buf)
        if held is not None or C.direct:
            direct(dh, loc, t, buf, held)
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
    return dx, grads, dh, dc


__all__ = [
    "folded_biases",
    "layer_backward",
    "layer_forward",
    "split_reset",
]
