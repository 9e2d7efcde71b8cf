"""The three cells, pointwise: gate layout, forward from pre-activations, local derivatives, backward.

Every schedule (:mod:`numerics.engine.registry`) multiplies matrices in its
own order and layout; what happens to a step's pre-activations after the
products, and to its gradients before the next products, is the cell's and is
written once, here. Nothing in this module multiplies two matrices.

Conventions: units are the last axis, any number of leading axes (steps,
blocks, batch) is allowed, and functions write into the arrays they are given
so a loop over time allocates nothing. The sigmoid gates' pre-activations
arrive halved (:func:`gate_scale`), so one ``tanh`` over a step's whole gate
buffer computes every gate (:mod:`numerics.engine.activations`).

Elman  ``h_t = φ(a)``.

LSTM   gates ``[i; f; g; o]`` (PyTorch's order), ``c_t = σ(f) c_{t-1} + σ(i) tanh(g)``,
       ``h_t = σ(o) tanh(c_t)``.

GRU    gates ``[r; z; n]``, ``n = tanh(a_n^x + C h + r (D h + b_hn))``,
       ``h_t = (1 - z) n + z h_{t-1}``; ``D + C = W_hn`` and ``C = 0`` for
       PyTorch's cell (the own-reset cell reads other blocks outside the gate).

Holds (a held unit keeps its state) is not a cell's business:
the schedules zero a held unit's gradients around these functions.

Adding a cell means a new section here, its row in
:data:`theory.layout.GATES` and :data:`SIGMOID_GATES`, and the oracle
(:mod:`numerics.verify.reference`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numerics.engine.activations import (
    ActGroup,
    activate_,
    activation_grad,
    derivative_from_output,
    sigmoid_from_half_,
)
from theory.layout import GATES

#: Gates (by index in PyTorch's order) that go through a sigmoid: LSTM i, f, o; GRU r, z.
SIGMOID_GATES: dict[str, tuple[int, ...]] = {"elman": (), "lstm": (0, 1, 3), "gru": (0, 1)}


def gate_scale(cell: str, dtype: np.dtype) -> np.ndarray:
    """Per-gate factor, shape ``(G,)``: 0.5 for the sigmoid gates of ``cell``, 1 elsewhere."""
    scale = np.ones(GATES[cell], dtype=dtype)
    scale[list(SIGMOID_GATES[cell])] = 0.5
    return scale


def _split(a: np.ndarray, k: int) -> np.ndarray:
    """``a (..., k·H)`` as a ``(..., k, H)`` view; raises rather than silently copying (outputs must be views)."""
    # reshape, then refuse a copy (setting .shape, which raised itself, is deprecated from NumPy 2.5 on)
    v = a.reshape(*a.shape[:-1], k, a.shape[-1] // k)
    if a.size and not np.may_share_memory(v, a):  # an empty array has no memory to share
        raise ValueError(f"an array of shape {a.shape} and strides {a.strides} cannot be split into {k} gate "
                         "groups without a copy")
    return v


# ------------------------------------------------------------------ Elman


def elman_forward(a: np.ndarray, groups: tuple[ActGroup, ...]) -> np.ndarray:
    """In place ``h = φ(a)`` for every activation group (units ``start:stop`` use ``name``)."""
    return activate_(a, groups)


def elman_forward_into(name: str, a: np.ndarray, out: np.ndarray) -> None:
    """``out = φ(a)`` for one activation ``name``, straight into ``out`` (``a`` may be overwritten)."""
    if name == "tanh":
        np.tanh(a, out=out)
    elif name == "relu":
        np.maximum(a, 0, out=out)
    else:
        out[...] = a
        activate_(out, (ActGroup(name, 0, out.shape[-1]),))


def elman_local(h: np.ndarray, groups: tuple[ActGroup, ...], out: np.ndarray | None = None) -> np.ndarray:
    """``φ'(a)`` from the outputs ``h = φ(a)`` (every group), into ``out`` if given."""
    return activation_grad(h, groups, out)


def elman_local_one(name: str, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``φ'(a)`` from ``h = φ(a)`` for one activation ``name``."""
    if name == "tanh" and out is not None:
        np.multiply(h, h, out=out)          # in place: no temporaries of a whole pass
        return np.subtract(1, out, out=out)
    r = derivative_from_output(name, h)
    if out is None:
        return r
    out[...] = r
    return out


def elman_backward(dh: np.ndarray, dphi: np.ndarray, da: np.ndarray) -> None:
    """``da = dh φ'(a)``: the pre-activation gradient of one step."""
    np.multiply(dh, dphi, out=da)


# ------------------------------------------------------------------- LSTM

_FINISH: dict[tuple[int, np.dtype], tuple[np.ndarray, np.ndarray]] = {}


def _lstm_finish(H: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-column scale and shift, shape ``(4H,)``, that turn ``tanh`` of the halved gates into the gates.

    0.5 and 0.5 on the sigmoid gates i, f, o; 1 and 0 on g. Kept per width
    and dtype (a handful of entries) so a step builds nothing.
    """
    key = (H, np.dtype(dtype))
    if key not in _FINISH:
        scale = np.full(4 * H, 0.5, dtype=dtype)
        scale[2 * H : 3 * H] = 1
        shift = np.full(4 * H, 0.5, dtype=dtype)
        shift[2 * H : 3 * H] = 0
        scale.flags.writeable = shift.flags.writeable = False
        _FINISH[key] = (scale, shift)
    return _FINISH[key]


def lstm_pointwise(gates: np.ndarray, c_prev: np.ndarray, c: np.ndarray, tc: np.ndarray, h: np.ndarray) -> None:
    """The elementwise half of an LSTM step (any number of leading axes).

    ``gates (..., 4H)`` holds the pre-activations (sigmoid gates halved) on
    entry and ``σ(i), σ(f), tanh(g), σ(o)`` on exit; ``c``, ``tc``, ``h``
    ``(..., H)`` receive ``c_t``, ``tanh(c_t)``, ``h_t``. Eight NumPy calls,
    no temporaries: at small widths the calls, not the arithmetic, are the cost.
    """
    H = h.shape[-1]
    np.tanh(gates, out=gates)                    # tanh(a_g) and tanh(a/2) for the sigmoid gates
    # σ = (1 + tanh(a/2)) / 2 on i, f, o and tanh(g) unchanged (·1 + 0 is exact), in two calls over all gates.
    scale, shift = _lstm_finish(H, gates.dtype)
    gates *= scale
    gates += shift
    i, f, g, o = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H : 3 * H], gates[..., 3 * H :]
    np.multiply(f, c_prev, out=c)
    np.multiply(i, g, out=tc)                    # tc as scratch for σ(i)·tanh(g)
    c += tc
    np.tanh(c, out=tc)
    np.multiply(o, tc, out=h)


def lstm_local(gates4: np.ndarray, c_prev: np.ndarray, tc: np.ndarray, local4: np.ndarray,
               dh_dc: np.ndarray, scratch4: np.ndarray | None = None) -> np.ndarray:
    """The local derivatives of LSTM steps (any leading axes), for :func:`lstm_backward`.

    Parameters
    ----------
    gates4 : ndarray, shape (..., 4, H)
        The gates ``σ(i), σ(f), tanh(g), σ(o)`` (a view of any layout).
    c_prev, tc : ndarray, shape (..., H)
        ``c_{t-1}`` and ``tanh(c_t)``.
    local4 : ndarray, shape (..., 4, H)
        Receives ``tanh(g) σ'(i)``, ``c_{t-1} σ'(f)``, ``σ(i) tanh'(g)``, ``tanh(c_t) σ'(o)``.
    dh_dc : ndarray, shape (..., H)
        Receives ``∂h_t/∂c_t = σ(o) (1 - tanh²(c_t))``.
    scratch4 : ndarray, shape (..., 4, H), optional
        Room for the gates' own derivatives (a new array if omitted).

    Returns
    -------
    dh_dc : ndarray

    The factors are four strided copies times one product over the whole
    array: cheaper than four strided products, since every sweep over a gate
    slice pays per run of ``H`` numbers.
    """
    sd = np.empty(local4.shape, local4.dtype) if scratch4 is None else scratch4
    np.subtract(1, gates4, out=sd)
    sd *= gates4                                          # σ(1 - σ) of every gate, one sweep
    sg = sd[..., 2, :]
    np.multiply(gates4[..., 2, :], gates4[..., 2, :], out=sg)   # the candidate's factor is 1 - g² instead
    np.subtract(1, sg, out=sg)
    np.multiply(tc, tc, out=dh_dc)
    np.subtract(1, dh_dc, out=dh_dc)
    dh_dc *= gates4[..., 3, :]
    local4[..., 0, :] = gates4[..., 2, :]
    local4[..., 1, :] = c_prev
    local4[..., 2, :] = gates4[..., 0, :]
    local4[..., 3, :] = tc
    local4 *= sd
    return dh_dc


def lstm_backward(dh: np.ndarray, dc: np.ndarray, dh_dc: np.ndarray, local4: np.ndarray, f: np.ndarray,
                  da4: np.ndarray, tmp: np.ndarray | None = None) -> None:
    """The elementwise half of an LSTM step's backward; ``dc`` becomes the gradient of ``c_{t-1}``.

    Parameters
    ----------
    dh : ndarray, shape (..., H)
        Gradient arriving at ``h_t``.
    dc : ndarray, shape (..., H)
        Gradient arriving at ``c_t`` from step ``t + 1``; overwritten with ``c_{t-1}``'s.
    dh_dc : ndarray, shape (..., H)
        From :func:`lstm_local`.
    local4 : ndarray, shape (..., 4, H)
        From :func:`lstm_local`.
    f : ndarray, shape (..., H)
        ``σ(a_f)``.
    da4 : ndarray, shape (..., 4, H)
        Receives the gradients of the gate pre-activations.
    tmp : ndarray, shape (..., H), optional
        Scratch (a temporary if omitted).
    """
    if tmp is None:
        dc += dh * dh_dc                                  # total gradient of c_t: direct + through h_t
    else:
        np.multiply(dh, dh_dc, out=tmp)
        dc += tmp
    np.multiply(local4[..., :3, :], dc[..., None, :], out=da4[..., :3, :])
    np.multiply(local4[..., 3, :], dh, out=da4[..., 3, :])
    dc *= f


# -------------------------------------------------------------------- GRU


def gru_pointwise(
    xw: np.ndarray, h_prev: np.ndarray, b_hn: np.ndarray | None, gates: np.ndarray, hn: np.ndarray, h: np.ndarray,
    cross: np.ndarray | None = None,
) -> None:
    """The elementwise half of a GRU step (any number of leading axes).

    ``xw (..., 3H)`` is the input side (r, z halved, with their hidden-side
    biases); ``gates (..., 3H)`` holds ``W_hh h_{t-1}`` (r, z rows halved, no
    bias; for the own-reset cell the ``n`` part is ``D h_{t-1}``) on entry and
    ``σ(r), σ(z), n`` on exit; ``hn`` receives the reset gate's operand
    ``D h_{t-1} + b_hn``; ``cross`` is the own-reset cell's ``C h_{t-1}``,
    added to the candidate outside the reset gate. ``b_hn`` may be a per-step
    array that broadcasts.
    """
    H = h.shape[-1]
    if b_hn is not None:
        np.add(gates[..., 2 * H :], b_hn, out=hn)
    else:
        hn[...] = gates[..., 2 * H :]
    rz = gates[..., : 2 * H]
    rz += xw[..., : 2 * H]
    sigmoid_from_half_(rz)
    r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
    np.multiply(r, hn, out=n)
    n += xw[..., 2 * H :]
    if cross is not None:
        n += cross
    np.tanh(n, out=n)
    np.subtract(h_prev, n, out=h)                # h_t = n + z ⊙ (h_{t-1} - n)
    h *= z
    h += n


def gru_local(r: np.ndarray, z: np.ndarray, n: np.ndarray, hn: np.ndarray, h_prev: np.ndarray,
              d_r: np.ndarray, d_z: np.ndarray, d_hn: np.ndarray, d_n: np.ndarray) -> None:
    """The local derivatives of GRU steps (any leading axes, outputs views of any layout).

    Parameters
    ----------
    r, z, n : ndarray, shape (..., H)
        The gates ``σ(r), σ(z), n``.
    hn : ndarray, shape (..., H)
        What the reset gate multiplied.
    h_prev : ndarray, shape (..., H)
    d_r, d_z : ndarray, shape (..., H)
        Receive ``∂h_t/∂a_r = (1-z)(1-n²) hn σ'(r)`` and ``∂h_t/∂a_z = (h_{t-1} - n) σ'(z)``.
    d_hn : ndarray, shape (..., H)
        Receives ``∂h_t/∂(D h + b_hn) = (1-z)(1-n²) r``.
    d_n : ndarray, shape (..., H)
        Receives ``∂h_t/∂a_n = (1-z)(1-n²)`` (the input side's candidate, and ``C h``).
    """
    np.subtract(1, z, out=d_n)
    q = n * n
    np.subtract(1, q, out=q)
    d_n *= q                                              # (1 - z)(1 - n²)
    np.multiply(d_n, r, out=d_hn)
    np.subtract(1, r, out=q)
    q *= r
    q *= hn
    np.multiply(d_n, q, out=d_r)
    np.subtract(1, z, out=q)
    q *= z
    np.subtract(h_prev, n, out=d_z)
    d_z *= q


def gru_backward(dh: np.ndarray, local: np.ndarray, da: np.ndarray) -> None:
    """Gradients of a GRU step's pre-activation groups: each local derivative group times ``dh``.

    ``local`` and ``da`` are ``(..., k, H)`` with the groups of
    :func:`gru_local` in the order the schedule stores them; the direct path
    ``∂h_t/∂h_{t-1} = z`` is added by the schedule after its product.
    """
    np.multiply(local, dh[..., None, :], out=da)


# --------------------------------------------------------- dense unit layout


class StepLocals(NamedTuple):
    """Local derivatives of every step of a dense-layout cache, computed before the backward loop.

    ``local`` is ``φ'`` (Elman), the four LSTM factors ``(T, B, 4H)``, or the
    GRU's ``(T, B, 3H)`` ``[∂/∂a_r, ∂/∂a_z, ∂/∂a_n]``; ``extra`` is ``∂h/∂c``
    (LSTM) or ``∂h/∂(D h + b_hn)`` (GRU); ``gate`` is ``f`` (LSTM) or ``z`` (GRU).
    """

    local: np.ndarray
    extra: np.ndarray | None
    gate: np.ndarray | None


def step_locals(cell: str, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None,
                inner: np.ndarray | None, activations: tuple[ActGroup, ...], take: object) -> StepLocals:
    """The local derivatives of all steps of a dense-layout pass (scratch arrays from ``take(name, shape, dtype)``).

    Parameters
    ----------
    cell : str
    h : ndarray, shape (T + 1, B, H)
    gates : ndarray, shape (T, B, G·H), or None
    c : ndarray, shape (T + 1, B, H), or None
        LSTM cell states.
    inner : ndarray, shape (T, B, H), or None
        LSTM ``tanh(c_t)``, GRU ``D h_{t-1} + b_hn``.
    activations : tuple of ActGroup
    take : callable
        ``take(name, shape, dtype)`` returns a scratch array.
    """
    H = h.shape[-1]
    if cell == "lstm":
        local = take("cell.local", gates.shape, gates.dtype)
        dh_dc = take("cell.dh_dc", inner.shape, gates.dtype)
        lstm_local(_split(gates, 4), c[:-1], inner, _split(local, 4), dh_dc,
                   _split(take("cell.sd", gates.shape, gates.dtype), 4))
        return StepLocals(local, dh_dc, gates[..., H : 2 * H])
    if cell == "gru":
        local = take("cell.local", gates.shape, gates.dtype)
        d_hn = take("cell.dhn", inner.shape, gates.dtype)
        r, z, n = gates[..., :H], gates[..., H : 2 * H], gates[..., 2 * H :]
        gru_local(r, z, n, inner, h[:-1], local[..., :H], local[..., H : 2 * H], d_hn, local[..., 2 * H :])
        return StepLocals(local, d_hn, z)
    return StepLocals(elman_local(h[1:], activations), None, None)


__all__ = [
    "SIGMOID_GATES", "StepLocals", "elman_backward", "elman_forward", "elman_forward_into", "elman_local",
    "elman_local_one", "gate_scale", "gru_backward", "gru_local", "gru_pointwise", "lstm_backward", "lstm_local",
    "lstm_pointwise", "step_locals",
]
