"""The LSTM cell, gates ``[i; f; g; o]`` and a cell state: its pointwise kernels and its cell object."""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.engine.activations import ActGroup
from numerics.engine.cells.base import Cell, CellCosts, StepLocals, _split

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


class LSTM(Cell):
    """Gates ``[i; f; g; o]``, cell state ``c``, inner value ``tanh(c_t)``."""

    name, gates, sigmoid_gates = "lstm", 4, (0, 1, 3)
    second_state, keeps_gates, inner = True, True, "tanh_c"
    costs = CellCosts(
        step_us={"dense": (18.6, 37.5), "wavefront": (17.1, 58.8), "layers": (11.8, 5.0), "sparse": (17.0, 23.0)},
        pointwise_us={"dense": (0.0019, 0.0113), "wavefront": (0.0019, 0.0012), "layers": (0.0017, 0.0090),
                      "sparse": (0.0019, 0.0202)},
        scale={"dense": (0.84, 0.58), "wavefront": (0.78, 0.83), "layers": (0.72, 0.55), "sparse": (0.78, 0.64)})

    def wave_run(self, n: int, L: int) -> int:
        return 2 * n                     # the gate slices

    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        gates += xw
        lstm_pointwise(gates, c_prev, c, inner, h)

    def step_locals(self, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None,
                    acts: tuple[ActGroup, ...], take: Any) -> StepLocals:
        shape = (*gates.shape[:-2], 4 * gates.shape[-1])
        local = take("cell.local", shape, gates.dtype)
        dh_dc = take("cell.dh_dc", inner.shape, gates.dtype)
        lstm_local(gates, c[:-1], inner, _split(local, 4), dh_dc, _split(take("cell.sd", shape, gates.dtype), 4))
        return StepLocals(local, dh_dc, gates[..., 1, :])

    def backward_pointwise(self, dh: np.ndarray, dc: np.ndarray | None, loc: StepLocals, t: int, dax: np.ndarray,
                           dah: np.ndarray, held: np.ndarray | None) -> np.ndarray:
        keep = dc[:, held] if held is not None else None
        da4 = _split(dax, 4)
        lstm_backward(dh, dc, loc.extra[t], _split(loc.local[t], 4), loc.gate[t], da4)
        if held is not None:
            da4[:, :, held] = 0
            dc[:, held] = keep           # a held unit's c is copied, its gradient passes unchanged
        return dax

    def wave_pointwise(self, t: int, a: np.ndarray, prod: np.ndarray, xside: Any, blocks: np.ndarray, C: Any, E: Any,
                       b_hn: np.ndarray | None, runs: tuple[ActGroup, ...], own: bool) -> None:
        a += prod
        lstm_pointwise(a, C[t], C[t + 1], E[t], blocks[t + 1])

    def wave_locals(self, wc: Any, runs: tuple[ActGroup, ...], Gh: int, take: Any) -> StepLocals:
        A, tc, dt = wc.A, wc.E, wc.A.dtype
        loc4 = _split(take("wave.local", A.shape, dt), 4)
        dh_dc = lstm_local(_split(A, 4), wc.C[:-1], tc, loc4, take("wave.dh_dc", tc.shape, dt),
                           _split(take("wave.sd", A.shape, dt), 4))
        return StepLocals(loc4, dh_dc, A[..., wc.n : 2 * wc.n])

    def wave_backward_pointwise(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, dc: Any,
                                da: np.ndarray, daB: np.ndarray, held: np.ndarray | None, tmp: np.ndarray) -> None:
        keep = dc[held] if held is not None else None
        lstm_backward(dh, dc, wl.extra[t], wl.local[t], wl.gate[t], _split(da, 4), tmp)
        if held is not None:
            dc[held] = keep


__all__ = ["LSTM", "lstm_backward", "lstm_local", "lstm_pointwise"]
