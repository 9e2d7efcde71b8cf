"""The data of one recurrent layer: its parameters (PyTorch layout) and the cache of a forward pass."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from numerics.engine.activations import ActGroup


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
    tanh_c : ndarray, shape (T, B, H), or None
        LSTM ``tanh(c_t)``.
    hn : ndarray, shape (T, B, H), or None
        GRU: what the reset gate multiplies, ``W_hn h_{t-1} + b_hn`` (with
        ``reset_mask``, its masked part only).
    activations : tuple of ActGroup
        Elman activation groups.
    hold : ndarray of int, shape (H,), or None
        Unit ``j`` keeps its previous state at steps ``t < hold[j]`` (0-based).
    reverse : bool
        The layer ran over the reversed sequence.
    reset_mask : bool ndarray, shape (H, H), or None
        GRU: the entries of ``W_hn`` inside the reset gate (``None``: all).
    """

    cell: str
    params: LayerParams
    x: np.ndarray
    h: np.ndarray
    c: np.ndarray | None
    gates: np.ndarray | None
    tanh_c: np.ndarray | None
    hn: np.ndarray | None
    activations: tuple[ActGroup, ...]
    hold: np.ndarray | None
    reverse: bool
    reset_mask: np.ndarray | None = None


class ParamsKeyed:
    """A value derived from a layer's parameters, rebuilt whenever any parameter array changed.

    A schedule that prepares something from the weights once per network
    (the block-sparse product, gathered weight blocks) keeps it here, keyed on
    a copy of the arrays it was built from: an in-place edit of any array
    (``net.params.weight_hh *= 0.5``, an optimiser step) is caught by one
    comparison per call, which costs a fraction of one forward step.
    """

    def __init__(self) -> None:
        self._seen: dict[str, np.ndarray] | None = None
        self._value: Any = None

    def get(self, params: LayerParams, build: Any) -> Any:
        """``build(params)``, or the value built before if every array still holds the same numbers.

        Parameters
        ----------
        params : LayerParams
        build : callable
            ``build(params)`` makes the value.
        """
        arrays = params.arrays()
        seen = self._seen
        if (seen is None or seen.keys() != arrays.keys()
                or any(seen[k].shape != a.shape or seen[k].dtype != a.dtype
                       or not np.array_equal(seen[k], a, equal_nan=True) for k, a in arrays.items())):
            self._value = build(params)
            self._seen = {k: a.copy() for k, a in arrays.items()}
        return self._value


__all__ = ["LayerCache", "LayerParams", "ParamsKeyed"]
