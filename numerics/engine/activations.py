"""Elementwise activations and their derivatives, stable for large arguments."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from theory.layout import ELMAN_ACTIVATIONS


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-z))`` without overflow.

    Uses ``exp(-|z|)``, which never overflows, so ``|z| = 1e4`` gives exactly
    0 or 1 with no warning.
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def _identity(z: np.ndarray) -> np.ndarray:
    return z


#: name -> elementwise function
FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": _relu,
    "identity": _identity,
    "sigmoid": sigmoid,
}


def derivative_from_output(name: str, h: np.ndarray) -> np.ndarray:
    """Derivative ``φ'(z)`` expressed through the output ``h = φ(z)``.

    For tanh ``1 - h²``, sigmoid ``h (1 - h)``, relu ``[h > 0]``, identity 1;
    expressing it through ``h`` lets a backward pass keep only outputs.
    """
    if name == "tanh":
        return 1 - h * h
    if name == "sigmoid":
        return h * (1 - h)
    if name == "relu":
        return (h > 0).astype(h.dtype)
    if name == "identity":
        return np.ones_like(h)
    raise ValueError(f"activation must be one of {list(ELMAN_ACTIVATIONS)}; got {name!r}")

