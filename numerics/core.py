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

from numerics.activations import FUNCTIONS, sigmoid
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
    xw = (x.reshape(T * B, -1) @ params.weight_ih.T).reshape(T, B, -1)
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
