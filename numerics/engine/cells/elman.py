"""The Elman cell, ``h_t = φ(a)``: its pointwise kernels and its :class:`~numerics.engine.cells.base.Cell`."""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.engine.activations import ActGroup, activate_, activation_grad, derivative_from_output
from numerics.engine.cells.base import Cell, CellCosts, StepLocals


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


class Elman(Cell):
    """``h_t = φ(a)``."""

    name, gates, activated = "elman", 1, True
    costs = CellCosts(
        step_us={"dense": (2.7, 6.4), "wavefront": (5.1, 12.6), "layers": (2.7, 2.2), "sparse": (4.0, 0.0)},
        pointwise_us={"dense": (0.00003, 0.0028), "wavefront": (0.0002, 0.0002), "layers": (0.00003, 0.0003),
                      "sparse": (0.0, 0.0085)},
        scale={"dense": (0.92, 0.51), "wavefront": (0.89, 0.71), "layers": (0.90, 1.00), "sparse": (0.46, 0.47)})

    def wave_run(self, n: int, L: int) -> int:
        return L * n                     # one sweep over all blocks

    def product_target(self, gates: np.ndarray | None, h: np.ndarray, hh: np.ndarray | None) -> np.ndarray:
        return h                         # straight into the state: no gates are kept

    def forward_pointwise(self, xw: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray | None,
                          gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None, h: np.ndarray,
                          b_hn: np.ndarray | None, acts: tuple[ActGroup, ...], hh: np.ndarray | None) -> None:
        h += xw
        elman_forward(h, acts)

    def step_locals(self, h: np.ndarray, gates: np.ndarray | None, c: np.ndarray | None, inner: np.ndarray | None,
                    acts: tuple[ActGroup, ...], take: Any) -> StepLocals:
        return StepLocals(elman_local(h[1:], acts, take("cell.local", h[1:].shape, h.dtype)), None, None)

    def backward_pointwise(self, dh: np.ndarray, dc: np.ndarray | None, loc: StepLocals, t: int, dax: np.ndarray,
                           dah: np.ndarray, held: np.ndarray | None) -> np.ndarray:
        elman_backward(dh, loc.local[t], dax)
        if held is not None:
            dax[:, held] = 0
        return dax

    def wave_pointwise(self, t: int, a: np.ndarray, prod: np.ndarray, xside: Any, blocks: np.ndarray, C: Any, E: Any,
                       b_hn: np.ndarray | None, runs: tuple[ActGroup, ...], own: bool) -> None:
        a += prod
        s_new = blocks[t + 1]
        for name, b0, b1 in runs:
            elman_forward_into(name, a[b0:b1], s_new[b0:b1])   # straight into the state

    def wave_locals(self, wc: Any, runs: tuple[ActGroup, ...], Gh: int, take: Any) -> StepLocals:
        Tp1, B, _ = wc.S.shape
        L, n = len(wc.plan.blocks), wc.n
        # φ'(a) from the states, in S's batch-major order (a transposed view is slow to sweep).
        dphi = take("wave.dphi", (Tp1 - 1, B, L, n), wc.S.dtype)
        S4 = wc.S.reshape(Tp1, B, L + 1, n)
        for name, b0, b1 in runs:
            elman_local_one(name, S4[1:, :, 1 + b0 : 1 + b1], dphi[:, :, b0:b1])
        return StepLocals(dphi, None, None)

    def wave_backward_pointwise(self, wl: StepLocals, t: int, dh: np.ndarray, dhB: np.ndarray, dc: Any,
                                da: np.ndarray, daB: np.ndarray, held: np.ndarray | None, tmp: np.ndarray) -> None:
        elman_backward(dhB, wl.local[t], daB)


__all__ = ["Elman", "elman_backward", "elman_forward", "elman_forward_into", "elman_local", "elman_local_one"]
