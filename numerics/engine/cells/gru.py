"""The GRU cell, gates ``[r; z; n]`` and a reset gate: its pointwise kernels and its cell object."""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.engine.activations import ActGroup, sigmoid_from_half_
from numerics.engine.cells.base import Cell, CellCosts, StepLocals, _split


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


class GRU(Cell):
    """Gates ``[r; z; n]``, the reset gate over ``W_hn h + b_hn``, inner value ``D h_{t-1} + b_hn``."""

    name, gates, sigmoid_gates = "gru", 3, (0, 1)
    keeps_gates, reset_gate, inner, direct = True, True, "hn", True
    costs = CellCosts(
        step_us={"dense": (26.7, 1.5), "wavefront": (41.7, 59.3), "layers": (16.2, 10.5), "sparse": (24.7, 60.0)},
        pointwise_us={"dense": (0.0025, 0.0179), "wavefront": (0.0019, 0.0015), "layers": (0.0016, 0.0013),
                      "sparse": (0.0019, 0.0225)},
        scale={"dense": (0.90, 0.61), "wavefront": (0.88, 0.84), "layers": (0.88, 0.88), "sparse": (0.83, 0.46)})

    def product_target(self, gates: np.ndarray | None, h: np.ndarray, hh: np.ndarray | None) -> np.ndarray:
        return gates if hh is None else hh

    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        if hh is None:
            gru_pointwise(xw, h_prev, b_hn, gates, inner, h)
            return
        G3 = gates.shape[-1]
        gates[...] = hh[..., :G3]
        gru_pointwise(xw, h_prev, b_hn, gates, inner, h, cross=hh[..., G3:])

    def step_locals(self, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None,
                    acts: tuple[ActGroup, ...], take: Any) -> StepLocals:
        H = gates.shape[-1]
        local = take("cell.local", (*gates.shape[:-2], 3 * H), gates.dtype)
        d_hn = take("cell.dhn", inner.shape, gates.dtype)
        r, z, n = gates[..., 0, :], gates[..., 1, :], gates[..., 2, :]
        gru_local(r, z, n, inner, h[:-1], local[..., :H], local[..., H : 2 * H], d_hn, local[..., 2 * H :])
        return StepLocals(local, d_hn, z)

    def backward_pointwise(self, dh: np.ndarray, dc: np.ndarray | None, loc: StepLocals, t: int, dax: np.ndarray,
                           dah: np.ndarray, held: np.ndarray | None) -> np.ndarray:
        # The input and hidden sides see different gradients in the n gate: r multiplies only D h + b_hn.
        H = dh.shape[1]
        dax3 = _split(dax, 3)
        gru_backward(dh, _split(loc.local[t], 3), dax3)
        dah[:, : 2 * H] = dax[:, : 2 * H]
        gru_backward(dh, loc.extra[t][:, None, :], dah[:, None, 2 * H : 3 * H])
        if held is not None:
            dax3[:, :, held] = 0
            _split(dah, dah.shape[1] // H)[:, :, held] = 0
        if dah.shape[1] > 3 * H:
            dah[:, 3 * H :] = dax[:, 2 * H :]        # C h, outside the reset gate, sees the input side's n gradient
        return dah

    def backward_direct(self, dh: np.ndarray, loc: StepLocals, t: int, dh_prev: np.ndarray,
                        held: np.ndarray | None) -> None:
        z = loc.gate[t]                              # ∂h_t/∂h_{t-1} = z
        if held is None:
            dh_prev += dh * z
        else:
            direct = dh * z
            direct[:, held] = dh[:, held]
            dh_prev += direct

    def wave_pointwise(self, t: int, a: np.ndarray, prod: np.ndarray, xside: Any, blocks: np.ndarray, C: Any, E: Any,
                       b_hn: np.ndarray | None, runs: tuple[ActGroup, ...], own: bool) -> None:
        n = blocks.shape[-1]
        a[..., : 2 * n] += prod[..., : 2 * n]
        a[..., 2 * n :] = prod[..., 2 * n : 3 * n]
        gru_pointwise(xside[t], blocks[t], b_hn, a, E[t], blocks[t + 1], prod[..., 3 * n :] if own else None)

    def wave_locals(self, wc: Any, runs: tuple[ActGroup, ...], Gh: int, take: Any) -> StepLocals:
        A, hn, n, dt = wc.A, wc.E, wc.n, wc.A.dtype
        Tp, L, B, _ = A.shape
        own = Gh > 3 * n
        r, z, nn = (A[..., k * n : (k + 1) * n] for k in range(3))
        # The hidden side's groups [r, z, the reset gate's operand, (own reset) the reading of block l - 1]:
        # one broadcast product per step gives every hidden-side gradient; the input side's n part is the
        # last group (own reset) or kept apart (xside).
        local = take("wave.local", (Tp, L, B, Gh), dt)
        dn = local[..., 3 * n :] if own else take("wave.dn", nn.shape, dt)      # (1 - z)(1 - n²)
        gru_local(r, z, nn, hn, wc.blocks[:-1], local[..., :n], local[..., n : 2 * n], local[..., 2 * n : 3 * n], dn)
        xside = None if own else take("wave.DXn", (L, Tp, B, n), dt)
        return StepLocals(_split(local, Gh // n), dn, z, xside)

    def wave_backward_pointwise(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, dc: Any,
                                da: np.ndarray, daB: np.ndarray, held: np.ndarray | None, tmp: np.ndarray) -> None:
        gru_backward(dh, wl.local[t], _split(da, wl.local.shape[-2]))
        if wl.xside is not None:
            dxn = wl.xside[:, t]
            gru_backward(dh, wl.extra[t][:, :, None], dxn[:, :, None])
            if held is not None:
                dxn[held] = 0

    def wave_direct(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, prev: np.ndarray,
                    held: np.ndarray | None, tmp: np.ndarray) -> None:
        np.multiply(dh, wl.gate[t], out=tmp)
        if held is not None:
            tmp[held] = dh[held]
        prev += tmp.transpose(1, 0, 2)


__all__ = ["GRU", "gru_backward", "gru_local", "gru_pointwise"]
