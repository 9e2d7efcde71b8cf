"""Elementwise activations, in place, and their derivatives.

Every sigmoid is computed as ``σ(a) = (1 + tanh(a/2)) / 2``. The tanh form
never overflows (``|a| = 1e4`` gives exactly 0 or 1, no warning) and lets a
gated step run one ``tanh`` over all its gates: the engines halve the sigmoid
gates' weights and biases once (:func:`numerics.engine.cells.gate_scale`; halving is exact in binary
floating point) and finish those gates with :func:`finish_sigmoid_`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theory.layout import ELMAN_ACTIVATIONS


class ActGroup(NamedTuple):
    """Units ``start:stop`` of an Elman layer use activation ``name``."""

    name: str
    start: int
    stop: int


def finish_sigmoid_(v: np.ndarray) -> np.ndarray:
    """In place ``v <- (1 + v) / 2``: turns ``tanh(a/2)`` into ``σ(a)``."""
    v *= 0.5
    v += 0.5
    return v


def sigmoid_from_half_(v: np.ndarray) -> np.ndarray:
    """In place ``σ(a)`` given ``v = a/2``."""
    np.tanh(v, out=v)
    return finish_sigmoid_(v)


def activate_(z: np.ndarray, groups: tuple[ActGroup, ...]) -> np.ndarray:
    """Apply the activation groups to ``z`` (any leading axes, units last) in place."""
    for name, a, b in groups:
        v = z if len(groups) == 1 else z[..., a:b]
        if name == "tanh":
            np.tanh(v, out=v)
        elif name == "relu":
            np.maximum(v, 0, out=v)
        elif name == "sigmoid":
            v *= 0.5
            sigmoid_from_half_(v)
        # identity: nothing to do
    return z


def derivative_from_output(name: str, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Derivative ``φ'(z)`` expressed through the output ``h = φ(z)``.

    For tanh ``1 - h²``, sigmoid ``h (1 - h)``, relu ``[h > 0]``, identity 1;
    expressing it through ``h`` lets a backward pass keep only outputs.
    ``out`` (shape of ``h``) receives the result if given, else a new array does.
    """
    # Built in the one result array (no temporaries): over all steps these are megabytes.
    if name == "tanh":
        d = np.multiply(h, h, out=out)
        return np.subtract(1, d, out=d)
    if name == "sigmoid":
        d = np.subtract(1, h, out=out)
        d *= h
        return d
    if name == "relu":
        d = np.empty(h.shape, h.dtype) if out is None else out
        np.copyto(d, h > 0)
        return d
    if name == "identity":
        d = np.empty(h.shape, h.dtype) if out is None else out
        d[...] = 1
        return d
    raise ValueError(f"activation must be one of {list(ELMAN_ACTIVATIONS)}; got {name!r}")


def activation_grad(h: np.ndarray, groups: tuple[ActGroup, ...], out: np.ndarray | None = None) -> np.ndarray:
    """``φ'(z)`` from the outputs ``h = φ(z)`` for every activation group (any leading axes).

    ``out`` (shape of ``h``) receives the result if given, else a new array does.
    """
    if len(groups) == 1:
        return derivative_from_output(groups[0].name, h, out)
    out = np.empty(h.shape, h.dtype) if out is None else out
    for name, a, b in groups:
        derivative_from_output(name, h[..., a:b], out[..., a:b])
    return out


__all__ = [
    "ActGroup",
    "activate_",
    "activation_grad",
    "derivative_from_output",
    "finish_sigmoid_",
    "sigmoid_from_half_",
]
