"""A minimal per-step reference for stacked, bidirectional and delayed networks, independent of the engine.

Written straight from the cell equations of PAPER.md §2 (PyTorch's gate
orders and bias conventions), one time step and one layer at a time, with
plain ``np.tanh`` / ``1 / (1 + exp(-a))``. It shares no code with
:mod:`numerics.engine`: no gate halving, no fused buffers, no step pairs,
no gate-order tables. So a bug the stacked and the delayed network share
(they run the same engine) shows up as a difference from this reference,
without PyTorch (claim ``engine-reference``).

It reads parameters by PyTorch name (``weight_ih_l0`` …) from a state
dict, the one interface it shares with the models. :func:`reference_delayed`
runs the single wide layer of a delayed network from its plan's blocks
(widths, activations, holds, read-out, delay, GRU reset rule) and its four
parameter arrays.

Every function here is a plain function of its arrays, so central
differences of it (:mod:`numerics.verify.gradients`) give gradients that
share nothing with the engine's backward passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

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


def _step(cell: str, phi: Callable[[np.ndarray], np.ndarray] | None, wx: np.ndarray, uh: np.ndarray,
          h: np.ndarray, c: np.ndarray, own: tuple[np.ndarray, np.ndarray] | None = None
          ) -> tuple[np.ndarray, np.ndarray]:
    """One step of one cell: ``(h_t, c_t)`` from the affine parts ``wx = W x + b_i``, ``uh = U h + b_h``.

    ``own`` (GRU only) splits the candidate's recurrent part ``U_n h + b_hn``
    into the part the reset gate multiplies and the part added outside it.
    """
    n = h.shape[-1]
    if cell == "elman":
        assert phi is not None
        return phi(wx + uh), c
    if cell == "lstm":
        a = wx + uh
        i, f, g, o = a[:, :n], a[:, n:2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    if cell == "gru":
        r = _sigmoid(wx[:, :n] + uh[:, :n])
        z = _sigmoid(wx[:, n:2 * n] + uh[:, n:2 * n])
        inside, outside = (uh[:, 2 * n:], 0.0) if own is None else own
        cand = np.tanh(wx[:, 2 * n:] + r * inside + outside)
        return (1.0 - z) * cand + z * h, c
    raise ValueError(f"cell must be 'elman', 'lstm' or 'gru'; got {cell!r}")


def _initial(v: Sequence[np.ndarray] | None, l: int, B: int, n: int) -> np.ndarray:
    if v is None:
        return np.zeros((B, n))
    return np.broadcast_to(np.asarray(v[l], dtype=np.float64), (B, n)).copy()


def _layer(cell: str, sd: Mapping[str, np.ndarray], l: int, act: str | None, x: np.ndarray, h: np.ndarray,
           c: np.ndarray, reverse: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer ``l`` (state-dict index) over ``x`` (T, B, n_in): outputs in input order and the final (h, c)."""
    phi = PHI[str(act)] if cell == "elman" else None
    T = x.shape[0]
    out = np.zeros((T, h.shape[0], h.shape[1]))
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        wx, uh = _affine(sd, l, x[t], h)
        h, c = _step(cell, phi, wx, uh, h, c)
        out[t] = h
    return out, h, c


def reference_run(cell: str, state_dict: Mapping[str, np.ndarray], activations: Sequence[str | None],
                  x: np.ndarray, h0: Sequence[np.ndarray] | None = None, c0: Sequence[np.ndarray] | None = None,
                  *, bidirectional: bool = False) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Outputs and final states of a stacked (or stacked bidirectional) network, step by step in float64.

    Parameters
    ----------
    cell, state_dict, activations, x
        As :func:`reference_outputs`.
    h0, c0 : sequence of ndarray, optional
        Initial states per layer (per direction when ``bidirectional``:
        layer 0 forward, layer 0 backward, layer 1 forward, …), each
        ``(B, n)`` or ``(n,)``; zero when omitted.
    bidirectional : bool
        Layer ``l`` also runs a backward cell (``_reverse`` parameters) over
        ``t = T … 1``; its output is ``[h^f_t; h^b_t]``.

    Returns
    -------
    y : ndarray, shape (T, B, n_L) or (T, B, 2 n_L)
    h_final, c_final : list of ndarray, shape (B, n) each
        The state after the last step of every layer (direction), in the
        order of ``h0``; ``c_final`` is zero for Elman and GRU.
    """
    sd = {k: np.asarray(v, dtype=np.float64) for k, v in state_dict.items()}
    L = len(activations)
    B = x.shape[1]
    inp = np.asarray(x, dtype=np.float64)
    hs, cs = [], []
    dirs = ("", "_reverse") if bidirectional else ("",)
    for l in range(L):
        outs = []
        for k, suffix in enumerate(dirs):
            layer_sd = {key.removesuffix(suffix): v for key, v in sd.items() if key.endswith(f"_l{l}{suffix}")}
            n = layer_sd[f"weight_hh_l{l}"].shape[1]
            j = len(dirs) * l + k
            y, h, c = _layer(cell, layer_sd, l, activations[l], inp, _initial(h0, j, B, n), _initial(c0, j, B, n),
                             reverse=bool(k))
            outs.append(y)
            hs.append(h)
            cs.append(c)
        inp = np.concatenate(outs, axis=-1)
    return inp, hs, cs


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
    return reference_run(cell, state_dict, activations, x, h0, c0)[0]


def reference_delayed(plan: Any, arrays: Mapping[str, np.ndarray], x: np.ndarray, h0: np.ndarray | None = None,
                      c0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The single wide layer of a delayed network, step by step in float64, read from its plan.

    The input is padded with ``d = plan.delay`` zero steps; block ``k``
    keeps its initial state (``h`` and ``c``) for its first ``hold`` steps;
    Elman units use their block's activation; an own-reset GRU
    (``plan.gru_reset == "own"``) applies the reset gate to the block-diagonal
    part of ``W_hn`` only (for a masked network, whose weights vanish off the
    plan's edges, that is the plan's own-block edges). The output at time
    ``t`` is the read-out blocks' state at step ``t + d``.

    Parameters
    ----------
    plan : theory.layout.Plan
    arrays : mapping of str to ndarray
        ``weight_ih (G·N, I)``, ``weight_hh (G·N, N)`` and, if the plan has
        biases, ``bias_ih``, ``bias_hh`` ``(G·N,)``.
    x : ndarray, shape (T, B, I)
    h0, c0 : ndarray, shape (B, N) or (N,), optional
        Initial state (zero when omitted).

    Returns
    -------
    y : ndarray, shape (T, B, n_out)
    h_final, c_final : ndarray, shape (B, N)
        The state after all ``T + d`` steps (``c_final`` zero unless LSTM).
    """
    cell, d = plan.cell, plan.delay
    sd = {f"{k}_l0": np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
    N = sd["weight_hh_l0"].shape[1]
    T, B = x.shape[0], x.shape[1]
    xp = np.concatenate([np.asarray(x, dtype=np.float64), np.zeros((d, B, x.shape[2]))], axis=0)
    spans = [plan.span(k) for k in range(len(plan.blocks))]
    holds = np.zeros(N, dtype=int)
    for (a, b), block in zip(spans, plan.blocks):
        holds[a:b] = block.hold

    def phi(z: np.ndarray) -> np.ndarray:
        out = np.empty_like(z)
        for (a, b), block in zip(spans, plan.blocks):
            out[:, a:b] = PHI[str(block.activation)](z[:, a:b])
        return out

    own = None
    if cell == "gru" and plan.gru_reset == "own":
        own = np.zeros((N, N), dtype=bool)
        for a, b in spans:
            own[a:b, a:b] = True
    h = np.zeros((B, N)) if h0 is None else np.broadcast_to(np.asarray(h0, dtype=np.float64), (B, N)).copy()
    c = np.zeros((B, N)) if c0 is None else np.broadcast_to(np.asarray(c0, dtype=np.float64), (B, N)).copy()
    states = np.zeros((T + d, B, N))
    for t in range(T + d):
        wx, uh = _affine(sd, 0, xp[t], h)
        split = None
        if own is not None:
            u_n = sd["weight_hh_l0"][2 * N:]
            b_n = sd["bias_hh_l0"][2 * N:] if "bias_hh_l0" in sd else 0.0
            split = (h @ np.where(own, u_n, 0.0).T + b_n, h @ np.where(own, 0.0, u_n).T)
        h_new, c_new = _step(cell, phi if cell == "elman" else None, wx, uh, h, c, split)
        held = holds > t
        h = np.where(held, h, h_new)
        c = np.where(held, c, c_new)
        states[t] = h
    units = np.concatenate([np.arange(*spans[r]) for r in plan.readout])
    return states[d:][:, :, units], h, c


__all__ = ["PHI", "reference_delayed", "reference_outputs", "reference_run"]
