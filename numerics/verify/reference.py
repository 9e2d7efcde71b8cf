"""A minimal per-step reference for stacked Elman, LSTM and GRU networks, independent of the engine.

Written straight from the cell equations of PAPER.md §2 (PyTorch's gate
orders and bias conventions), one time step and one layer at a time, with
plain ``np.tanh`` / ``1 / (1 + exp(-a))``. It shares no code with
:mod:`numerics.engine`: no gate halving, no fused buffers, no step pairs,
no gate-order tables. So a bug the stacked and the delayed network share
(they run the same engine) shows up as a difference from this reference,
without PyTorch (claim ``engine-reference``).

It reads parameters by PyTorch name (``weight_ih_l0`` …) from a state
dict, the one interface it shares with the models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # exp(-a) overflowing to inf for a << 0 gives exactly 0, the right limit
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-a))


#: Elman activations, written here again so that a bug in the engine's table is not shared.
PHI: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda a: np.maximum(a, 0.0),
    "identity": lambda a: a,
    "sigmoid": _sigmoid,
}


def _affine(sd: Mapping[str, np.ndarray], l: int, x: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``W x + b_i`` and ``U h + b_h`` of layer ``l`` (biases zero when absent)."""
    wx = x @ sd[f"weight_ih_l{l}"].T
    uh = h @ sd[f"weight_hh_l{l}"].T
    if f"bias_ih_l{l}" in sd:
        wx = wx + sd[f"bias_ih_l{l}"]
        uh = uh + sd[f"bias_hh_l{l}"]
    return wx, uh


def reference_outputs(cell: str, state_dict: Mapping[str, np.ndarray], activations: Sequence[str | None],
                      x: np.ndarray, h0: Sequence[np.ndarray] | None = None,
                      c0: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Top-layer outputs of a stacked network, computed step by step in float64.

    Parameters
    ----------
    cell : {"elman", "lstm", "gru"}
    state_dict : mapping of str to ndarray
        Parameters under PyTorch names, layers ``0 … L-1``.
    activations : sequence of str or None
        Elman activation per layer (ignored for gated cells).
    x : ndarray, shape (T, B, n_0)
    h0, c0 : sequence of ndarray, optional
        Initial states per layer, each ``(B, n_l)`` or ``(n_l,)``; zero when omitted
        (``c0`` for LSTM only).

    Returns
    -------
    ndarray, shape (T, B, n_L)

    Examples
    --------
    >>> sd = {"weight_ih_l0": np.array([[2.0]]), "weight_hh_l0": np.array([[0.5]])}
    >>> reference_outputs("elman", sd, ["identity"], np.ones((3, 1, 1)))[:, 0, 0].tolist()
    [2.0, 3.0, 3.5]
    """
    sd = {k: np.asarray(v, dtype=np.float64) for k, v in state_dict.items()}
    L = len(activations)
    T, B = x.shape[0], x.shape[1]
    widths = [sd[f"weight_hh_l{l}"].shape[1] for l in range(L)]
    h = [np.broadcast_to(np.asarray(h0[l], dtype=np.float64), (B, n)).copy() if h0 is not None
         else np.zeros((B, n)) for l, n in enumerate(widths)]
    c = [np.broadcast_to(np.asarray(c0[l], dtype=np.float64), (B, n)).copy() if c0 is not None
         else np.zeros((B, n)) for l, n in enumerate(widths)]
    out = np.zeros((T, B, widths[-1]))
    for t in range(T):
        inp = np.asarray(x[t], dtype=np.float64)
        for l in range(L):
            n = widths[l]
            wx, uh = _affine(sd, l, inp, h[l])
            if cell == "elman":
                h[l] = PHI[str(activations[l])](wx + uh)
            elif cell == "lstm":
                a = wx + uh
                i, f, g, o = a[:, :n], a[:, n:2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]
                c[l] = _sigmoid(f) * c[l] + _sigmoid(i) * np.tanh(g)
                h[l] = _sigmoid(o) * np.tanh(c[l])
            elif cell == "gru":
                r = _sigmoid(wx[:, :n] + uh[:, :n])
                z = _sigmoid(wx[:, n:2 * n] + uh[:, n:2 * n])
                cand = np.tanh(wx[:, 2 * n:] + r * uh[:, 2 * n:])
                h[l] = (1.0 - z) * cand + z * h[l]
            else:
                raise ValueError(f"cell must be 'elman', 'lstm' or 'gru'; got {cell!r}")
            inp = h[l]
        out[t] = inp
    return out
