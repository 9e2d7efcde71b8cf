"""Plumbing shared by the networks: checks, random layers, casts, per-layer states and their gradients.

:class:`numerics.models.stacked.StackedRNN` and
:class:`numerics.models.stacked.BidirectionalRNN` are both lists of
:class:`numerics.engine.layer.LayerParams` (one per layer, or one per layer
and direction); everything that only depends on that list lives here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from numerics._validate import as_float_array, check_allocation, check_dtype, check_seed, per_layer_states
from numerics.engine.cells import cell_of
from numerics.engine.params import LayerParams
from theory._checks import check_activation, check_count, check_real, check_type
from theory.layout import GATES

PARAM_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

#: Initial states (or their gradients) of a list of layers: ``(h, c)``, ``c`` is ``None`` unless LSTM.
States = tuple[list[np.ndarray], list[np.ndarray] | None]


def check_layer(p: LayerParams, cell: str, n_in: int, n: int, bias: bool, where: str) -> None:
    """Raise unless ``p`` has the shapes of a ``cell`` layer ``n_in -> n`` (with or without bias)."""
    check_type(p, LayerParams, where, "a numerics.engine.params.LayerParams")
    G = GATES[cell]
    want = {"weight_ih": (G * n, n_in), "weight_hh": (G * n, n), "bias_ih": (G * n,), "bias_hh": (G * n,)}
    for kind in PARAM_KINDS:
        a = getattr(p, kind)
        if kind.startswith("bias") and not bias:
            if a is not None:
                raise ValueError(f"{where}: {kind} given for a network without bias")
            continue
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{where}: {kind} must be an ndarray of shape {want[kind]}; got {type(a).__name__}")
        if a.shape != want[kind]:
            raise ValueError(f"{where}: {kind} must have shape {want[kind]} (cell={cell!r}); got {a.shape}")
        if a.dtype != p.weight_hh.dtype:
            raise ValueError(f"{where}: {kind} has dtype {a.dtype} but weight_hh has {p.weight_hh.dtype}")


def random_layer(rng: np.random.Generator, cell: str, n_in: int, n: int, bias: bool,
                 dtype: np.dtype, scale: float | None,
                 names: tuple[str, str] = ("input_size", "hidden_sizes")) -> LayerParams:
    """One layer with PyTorch's default initialisation ``U(-1/sqrt(n), 1/sqrt(n))`` (or ``U(-scale, scale)``).

    ``names`` are the user's arguments behind ``n_in`` and ``n``, so a size
    that cannot fit is refused naming the argument the user gave.
    """
    k = 1.0 / np.sqrt(n) if scale is None else check_real(scale, "scale", positive=True)
    G = GATES[cell]
    itemsize = np.dtype(dtype).itemsize
    # Blame the argument that alone cannot fit before blaming the two together.
    check_allocation(G * n * (n + 2), itemsize, f"{names[1]} ({n} units)")
    check_allocation(G * n * n_in, itemsize, f"{names[0]} ({n_in}) with {names[1]} ({n} units)")

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-k, k, size=shape).astype(dtype)

    return LayerParams(u(G * n, n_in), u(G * n, n), u(G * n) if bias else None, u(G * n) if bias else None)


def random_layers(cell: str, ins: Sequence[int], sizes: Sequence[int], *, directions: int, bias: bool,
                  dtype: np.dtype, seed: int | np.random.Generator | None,
                  scale: float | None) -> list[tuple[LayerParams, ...]]:
    """Random layers ``ins[l] -> sizes[l]``, ``directions`` of them per layer, drawn layer by layer."""
    rng = np.random.default_rng(check_seed(seed))
    return [tuple(random_layer(rng, cell, i, n, bias, dtype, scale) for _ in range(directions))
            for i, n in zip(ins, sizes)]


def check_layer_list(value: Any, name: str) -> None:
    """Raise unless ``value`` is a sequence (not a string or array) of :class:`LayerParams`."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a sequence of LayerParams; got {type(value).__name__}")
    for i, p in enumerate(value):
        check_type(p, LayerParams, f"{name}[{i}]", "a numerics.engine.params.LayerParams")


def cast_layers(layers: Sequence[LayerParams], dtype: Any) -> tuple[LayerParams, ...]:
    """The layers with every array cast to ``dtype`` (float32 or float64)."""
    dt = check_dtype(dtype)
    return tuple(p.map(lambda a: a.astype(dt)) for p in layers)


def layer_activations(cell: str, activations: Any, L: int) -> tuple[str | None, ...]:
    """One activation per layer from one name or a list (``None`` per layer for cells without one, the gated ones)."""
    if not cell_of(cell).activated:
        if activations not in (None, "tanh"):
            raise ValueError(f"activations apply to Elman cells only; got {activations!r} for cell={cell!r}")
        return (None,) * L
    acts = [activations] * L if isinstance(activations, str) or activations is None else list(activations)
    if len(acts) != L:
        raise ValueError(f"activations must be one str or a list of {L} (one per layer); got {len(acts)}")
    return tuple(check_activation("tanh" if a is None else a, f"activations[{i}]") for i, a in enumerate(acts))


def layer_states(cell: str, h0: Any, sizes: Sequence[int], batch: int, dtype: np.dtype) -> States:
    """Normalise ``h0`` to one ``(B, n_l)`` array per layer (and cell states for LSTM, else ``None``).

    ``h0`` is ``None`` (zeros), PyTorch's ``(layers, B, H)`` array or a list of
    per-layer arrays; for a cell with a cell state (LSTM) a pair ``(h0, c0)`` of these.
    """
    batch = check_count(batch, "batch")
    check_allocation(2 * batch * sum(sizes), np.dtype(dtype).itemsize, "batch")
    if not cell_of(cell).second_state:
        return per_layer_states(h0, sizes, batch, dtype), None
    if h0 is None:
        z = per_layer_states(None, sizes, batch, dtype)
        return z, [a.copy() for a in z]
    if not isinstance(h0, (tuple, list)) or len(h0) != 2:
        raise TypeError(f"h0 of an {cell.upper()} (a cell with a cell state) must be a pair (h0, c0), each an array "
                        "(layers, B, H) or a per-layer list")
    return (per_layer_states(h0[0], sizes, batch, dtype, "h0[0] (h)"),
            per_layer_states(h0[1], sizes, batch, dtype, "h0[1] (c)"))


def final_state_grads(cell: str, dh_final: Any, sizes: Sequence[int], batch: int,
                      dtype: np.dtype) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
    """Gradients with respect to the final states, one entry per layer (``None``: zero)."""
    L = len(sizes)
    if dh_final is None:
        return [None] * L, [None] * L
    h, c = layer_states(cell, dh_final, sizes, batch, dtype)
    return list(h), list(c) if c is not None else [None] * L


def state_grads(cell: str, dh0: list[np.ndarray], dc0: list[np.ndarray | None]) -> Any:
    """Initial-state gradients in the format ``h0`` was given: a list, or for a cell state (LSTM) a pair of lists."""
    return (dh0, dc0) if cell_of(cell).second_state else dh0


def check_grad(value: Any, shape: tuple[int, ...], name: str, dtype: np.dtype) -> np.ndarray:
    """An output gradient of exactly ``shape`` in the network's dtype."""
    arr = as_float_array(value, name, dtype)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (the forward output's shape); got {arr.shape}")
    return arr


def check_cache(cache: Any, kind: type, name: str = "cache") -> None:
    """Raise unless ``cache`` is the ``kind`` a ``forward`` returned."""
    check_type(cache, kind, name, f"the {kind.__name__} returned by forward()")
