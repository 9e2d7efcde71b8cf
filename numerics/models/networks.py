"""Stacked, bidirectional and delayed recurrent networks (NumPy).

Every model is a frozen dataclass of arrays. Calling it runs the forward
pass: ``y = net(x, h0)``; ``y, cache = net.forward(x, h0)`` also returns what
a backward pass needs. Parameter names follow PyTorch (``weight_ih_l0``, …),
so ``net.state_dict()`` and :func:`numerics.from_torch` move models in and
out as plain dicts of arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from numerics._validate import (
    as_float_array,
    as_sequence,
    check_choice,
    check_dtype,
    per_layer_states,
)
from numerics.engine.layer import ActGroup, LayerCache, LayerParams, layer_backward, layer_forward
from theory.layout import (
    GATES,
    Plan,
    check_activation,
    check_cell,
    check_count,
    check_sizes,
    layer_param,
    relaxed_plan,
    stacked_plan,
)

PARAM_KINDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _check_layer(p: LayerParams, cell: str, n_in: int, n: int, bias: bool, where: str) -> None:
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
            raise ValueError(f"{where}: {kind} must have shape {want[kind]}; got {a.shape}")
        if a.dtype != p.weight_hh.dtype:
            raise ValueError(f"{where}: {kind} has dtype {a.dtype} but weight_hh has {p.weight_hh.dtype}")


def _random_layer(rng: np.random.Generator, cell: str, n_in: int, n: int, bias: bool,
                  dtype: np.dtype, scale: float | None) -> LayerParams:
    # PyTorch's default initialisation: U(-1/sqrt(H), 1/sqrt(H)) for every parameter.
    k = 1.0 / np.sqrt(n) if scale is None else scale
    G = GATES[cell]

    def u(*shape: int) -> np.ndarray:
        return rng.uniform(-k, k, size=shape).astype(dtype)

    return LayerParams(u(G * n, n_in), u(G * n, n), u(G * n) if bias else None, u(G * n) if bias else None)


def _lstm_states(h0: Any, sizes: Sequence[int], batch: int, dtype: np.dtype) -> tuple[list, list]:
    if h0 is None:
        z = per_layer_states(None, sizes, batch, dtype)
        return z, [a.copy() for a in z]
    if not isinstance(h0, (tuple, list)) or len(h0) != 2:
        raise TypeError("h0 of an LSTM must be a pair (h0, c0), each an array (layers, B, H) or a per-layer list")
    return (per_layer_states(h0[0], sizes, batch, dtype, "h0[0] (h)"),
            per_layer_states(h0[1], sizes, batch, dtype, "h0[1] (c)"))


def _elman_activations(cell: str, activation: Any, L: int) -> tuple[str | None, ...]:
    if cell != "elman":
        if activation not in (None, "tanh"):
            raise ValueError(f"activation applies to Elman cells only; got {activation!r} for cell={cell!r}")
        return (None,) * L
    acts = [activation] * L if isinstance(activation, str) or activation is None else list(activation)
    if len(acts) != L:
        raise ValueError(f"activation must be one str or a list of {L} (one per layer); got {len(acts)}")
    return tuple(check_activation("tanh" if a is None else a, f"activation[{i}]") for i, a in enumerate(acts))


def _check_grad(value: Any, shape: tuple[int, ...], name: str, dtype: np.dtype) -> np.ndarray:
    """An output gradient of exactly ``shape`` in the network's dtype."""
    arr = as_float_array(value, name, dtype)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (the forward output's shape); got {arr.shape}")
    return arr


def _check_cache(cache: Any, kind: type, name: str = "cache") -> None:
    if not isinstance(cache, kind):
        raise TypeError(f"{name} must be the {kind.__name__} returned by forward(); got {type(cache).__name__}")


@dataclass(frozen=True)
class StackedCache:
    """Per-layer caches of a stacked forward pass (bottom layer first)."""

    layers: tuple[LayerCache, ...]


@dataclass(frozen=True)
class StackedRNN:
    """``L`` recurrent layers on top of each other (``nn.RNN``/``nn.LSTM``/``nn.GRU`` with ``num_layers=L``).

    ``h^0_t = x_t``, ``h^l_t = cell_l(h^{l-1}_t, h^l_{t-1})``, output ``h^L_t``.
    Layers may have unequal widths ``n_1 … n_L``.

    Attributes
    ----------
    cell : {"elman", "lstm", "gru"}
    layers : tuple of LayerParams
        Layer ``l`` has ``weight_ih (G·n_l, n_{l-1})``, ``weight_hh (G·n_l, n_l)``.
    activations : tuple of str
        Elman activation per layer (``None`` entries for gated cells).
    """

    cell: str
    layers: tuple[LayerParams, ...]
    activations: tuple[str | None, ...]

    def __post_init__(self) -> None:
        check_cell(self.cell)
        if not self.layers:
            raise ValueError("layers must contain at least one LayerParams")
        if len(self.activations) != len(self.layers):
            raise ValueError(f"activations must have one entry per layer ({len(self.layers)}); "
                             f"got {len(self.activations)}")
        bias = self.layers[0].bias
        n_in = self.layers[0].input_size
        check_dtype(self.layers[0].dtype, "parameter dtype")
        for l, p in enumerate(self.layers):
            _check_layer(p, self.cell, n_in, p.hidden_size, bias, f"layer {l}")
            n_in = p.hidden_size

    # ------------------------------------------------------------ properties
    @property
    def input_size(self) -> int:
        return self.layers[0].input_size

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(p.hidden_size for p in self.layers)

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def output_size(self) -> int:
        return self.hidden_sizes[-1]

    @property
    def bias(self) -> bool:
        return self.layers[0].bias

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].dtype

    # ---------------------------------------------------------- constructors
    @classmethod
    def random(
        cls,
        input_size: int,
        hidden_sizes: Sequence[int],
        *,
        cell: str = "elman",
        activation: str | Sequence[str] | None = "tanh",
        bias: bool = True,
        dtype: Any = np.float64,
        seed: int | np.random.Generator | None = 0,
        scale: float | None = None,
    ) -> StackedRNN:
        """A stacked network with PyTorch-style random weights ``U(-k, k)``, ``k = 1/sqrt(n_l)``.

        Parameters
        ----------
        input_size : int
        hidden_sizes : sequence of int
            Widths ``n_1 … n_L``.
        cell : {"elman", "lstm", "gru"}
        activation : str or sequence of str
            Elman activation(s): ``"tanh"``, ``"relu"``, ``"identity"``, ``"sigmoid"``.
        bias : bool
        dtype : float32 or float64
        seed : int or Generator
        scale : float, optional
            Use ``U(-scale, scale)`` for every parameter instead.

        Examples
        --------
        >>> net = StackedRNN.random(input_size=3, hidden_sizes=[4, 5, 2], activation="tanh", seed=0)
        >>> net(np.zeros((7, 2, 3))).shape
        (7, 2, 2)
        """
        check_cell(cell)
        input_size = check_count(input_size, "input_size")
        sizes = check_sizes(hidden_sizes, "hidden_sizes")
        dt = check_dtype(dtype)
        acts = _elman_activations(cell, activation, len(sizes))
        rng = np.random.default_rng(seed)
        ins = (input_size, *sizes[:-1])
        layers = tuple(_random_layer(rng, cell, i, n, bias, dt, scale) for i, n in zip(ins, sizes))
        return cls(cell, layers, acts)

    @classmethod
    def from_state_dict(cls, state_dict: dict[str, Any], cell: str = "elman",
                        activation: str | Sequence[str] | None = "tanh") -> StackedRNN:
        """Build from PyTorch-named arrays (``weight_ih_l0`` …); see :func:`numerics.from_torch`."""
        from numerics.models.torch_io import layers_from_state_dict

        layers, reverse = layers_from_state_dict(state_dict, cell)
        if reverse is not None:
            raise ValueError("state_dict has '_reverse' parameters: use BidirectionalRNN.from_state_dict")
        return cls(cell, tuple(layers), _elman_activations(cell, activation, len(layers)))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters under PyTorch's names (``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_*_l{k}``)."""
        out = {}
        for l, p in enumerate(self.layers):
            for kind, a in p.arrays().items():
                out[layer_param(kind, l)] = a
        return out

    def astype(self, dtype: Any) -> StackedRNN:
        """The same network with parameters cast to ``dtype``."""
        dt = check_dtype(dtype)
        return replace(self, layers=tuple(p.map(lambda a: a.astype(dt)) for p in self.layers))

    # --------------------------------------------------------------- forward
    def initial_states(self, h0: Any, batch: int) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Normalise ``h0`` to per-layer ``(B, n_l)`` arrays (and cell states for LSTM)."""
        if self.cell == "lstm":
            return _lstm_states(h0, self.hidden_sizes, batch, self.dtype)
        return per_layer_states(h0, self.hidden_sizes, batch, self.dtype), None

    def forward(self, x: Any, h0: Any = None) -> tuple[np.ndarray, StackedCache]:
        """Run the network.

        Parameters
        ----------
        x : array, shape (T, B, input_size)
        h0 : optional
            Initial states: PyTorch's ``(L, B, H)`` array (equal widths), or a
            list of ``(n_l,)`` / ``(B, n_l)`` arrays; for LSTM a pair ``(h0, c0)``.

        Returns
        -------
        y : ndarray, shape (T, B, n_L)
        cache : StackedCache
        """
        x = as_sequence(x, self.input_size, self.dtype)
        hs, cs = self.initial_states(h0, x.shape[1])
        caches = []
        inp = x
        for l, p in enumerate(self.layers):
            groups: tuple[ActGroup, ...] = ((self.activations[l], 0, p.hidden_size),) if self.cell == "elman" else ()
            inp, cache = layer_forward(self.cell, p, inp, hs[l], None if cs is None else cs[l], activations=groups)
            caches.append(cache)
        return inp, StackedCache(tuple(caches))

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        """Outputs of the top layer, shape ``(T, B, n_L)``."""
        return self.forward(x, h0)[0]

    def backward(self, cache: StackedCache, dy: Any, *, dh_final: Any = None,
                 return_state_grads: bool = False) -> tuple[Any, ...]:
        """Backpropagation through time.

        Parameters
        ----------
        cache : StackedCache
            From :meth:`forward`.
        dy : array, shape (T, B, n_L)
            Gradient of the loss with respect to the outputs ``y``.
        dh_final : optional
            Gradient with respect to the final states, in the format
            :meth:`forward` accepts for ``h0`` (default zero).
        return_state_grads : bool
            Also return the gradient with respect to the initial states.

        Returns
        -------
        dx : ndarray, shape (T, B, input_size)
        grads : StackedRNN
            Parameter gradients as a network of the same type and shapes, so
            ``grads.state_dict()`` has PyTorch's parameter names.
        dh0 : list of ndarray, shape (B, n_l) each; only if ``return_state_grads``
            Gradient with respect to the initial states, one entry per layer;
            for LSTM a pair ``(dh0_list, dc0_list)``.
        """
        _check_cache(cache, StackedCache)
        T, B = cache.layers[0].x.shape[:2]
        g = _check_grad(dy, (T, B, self.output_size), "dy", self.dtype)
        L = self.num_layers
        fin_h, fin_c = ([None] * L, [None] * L) if dh_final is None else self.initial_states(dh_final, B)
        if fin_c is None:
            fin_c = [None] * L
        grads: list[LayerParams] = [None] * L  # type: ignore[list-item]
        dh0: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        dc0: list[np.ndarray | None] = [None] * L
        for l in range(L - 1, -1, -1):
            g, dh0[l], dc0[l], grads[l] = layer_backward(cache.layers[l], g, fin_h[l], fin_c[l])
        net = replace(self, layers=tuple(grads))
        if not return_state_grads:
            return g, net
        return g, net, ((dh0, dc0) if self.cell == "lstm" else dh0)

    # ---------------------------------------------------------- construction
    def _repr_latex_(self) -> str:
        """Jupyter display: the stacked equations and the block matrices of the construction."""
        from theory.latex import stacked_latex

        return stacked_latex(self.plan())

    def plan(self, start: str = "staggered") -> Plan:
        """Block layout of the equivalent delayed network (:func:`theory.layout.stacked_plan`)."""
        return stacked_plan(self.cell, self.input_size, self.hidden_sizes,
                            self.activations if self.cell == "elman" else None, bias=self.bias, start=start)

    def to_delayed(self, start: str = "staggered") -> DelayedRNN:
        """The single-layer delayed network with delay ``L - 1`` that equals this network.

        Parameters
        ----------
        start : {"staggered", "zero"}
            ``"staggered"``: block ``l`` keeps its initial state for its first
            ``l`` steps; with initial state ``concat(h0)`` it equals this
            network from any ``h0``. ``"zero"``: all blocks start at once; it
            equals this network run from :meth:`warmup_states`.

        Returns
        -------
        DelayedRNN
        """
        from numerics.models.construction import assemble

        plan = self.plan(check_choice(start, ("staggered", "zero"), "start"))
        return DelayedRNN(plan, assemble(plan, self.state_dict(), self.dtype), masked=True)

    def warmup_states(self) -> Any:
        """Initial states for which this network equals ``to_delayed(start="zero")`` from zero.

        The zero-start delayed network runs each block ``l`` for ``l`` steps
        before its first real input arrives, driven by the biases alone; those
        states do not depend on the input (docs/theory/theorem1.md (b)).

        Returns
        -------
        list of ndarray, each shape (n_l,)
            For LSTM a pair ``(h_list, c_list)``.
        """
        d = self.to_delayed("zero")
        _, cache = d.forward(np.zeros((0, 1, self.input_size), dtype=self.dtype))
        # cache.layer.h[l] is the state after step l: block l's warm-up state.
        hs, cs = [], []
        for l in range(self.num_layers):
            a, b = d.plan.span(l)
            hs.append(cache.layer.h[l, 0, a:b].copy())
            if self.cell == "lstm":
                cs.append(cache.layer.c[l, 0, a:b].copy())
        return (hs, cs) if self.cell == "lstm" else hs


@dataclass(frozen=True)
class BidirectionalCache:
    """Per-layer ``(forward, backward)`` caches."""

    layers: tuple[tuple[LayerCache, LayerCache], ...]


@dataclass(frozen=True)
class BidirectionalRNN:
    """Stacked bidirectional network (PyTorch's ``bidirectional=True``).

    Layer ``l`` runs a forward cell over ``t = 1…T`` and a backward cell over
    ``t = T…1`` on the concatenated output ``[h^f_t; h^b_t]`` of layer ``l-1``.

    Attributes
    ----------
    cell : {"elman", "lstm", "gru"}
    forward_layers, backward_layers : tuple of LayerParams
        Backward layers carry PyTorch's ``_reverse`` suffix in ``state_dict``.
    activations : tuple of str
    """

    cell: str
    forward_layers: tuple[LayerParams, ...]
    backward_layers: tuple[LayerParams, ...]
    activations: tuple[str | None, ...]

    def __post_init__(self) -> None:
        check_cell(self.cell)
        if not self.forward_layers or len(self.forward_layers) != len(self.backward_layers):
            raise ValueError("forward_layers and backward_layers must be non-empty and of equal length")
        bias = self.forward_layers[0].bias
        n_in = self.forward_layers[0].input_size
        for l, (f, b) in enumerate(zip(self.forward_layers, self.backward_layers)):
            _check_layer(f, self.cell, n_in, f.hidden_size, bias, f"layer {l} (forward)")
            _check_layer(b, self.cell, n_in, f.hidden_size, bias, f"layer {l} (backward)")
            n_in = 2 * f.hidden_size

    @property
    def input_size(self) -> int:
        return self.forward_layers[0].input_size

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(p.hidden_size for p in self.forward_layers)

    @property
    def num_layers(self) -> int:
        return len(self.forward_layers)

    @property
    def output_size(self) -> int:
        return 2 * self.hidden_sizes[-1]

    @property
    def bias(self) -> bool:
        return self.forward_layers[0].bias

    @property
    def dtype(self) -> np.dtype:
        return self.forward_layers[0].dtype

    @classmethod
    def random(
        cls,
        input_size: int,
        hidden_sizes: Sequence[int],
        *,
        cell: str = "elman",
        activation: str | Sequence[str] | None = "tanh",
        bias: bool = True,
        dtype: Any = np.float64,
        seed: int | np.random.Generator | None = 0,
        scale: float | None = None,
    ) -> BidirectionalRNN:
        """Random bidirectional network; arguments as :meth:`StackedRNN.random`."""
        check_cell(cell)
        input_size = check_count(input_size, "input_size")
        sizes = check_sizes(hidden_sizes, "hidden_sizes")
        dt = check_dtype(dtype)
        acts = _elman_activations(cell, activation, len(sizes))
        rng = np.random.default_rng(seed)
        ins = (input_size, *(2 * n for n in sizes[:-1]))
        fw, bw = [], []
        for i, n in zip(ins, sizes):
            fw.append(_random_layer(rng, cell, i, n, bias, dt, scale))
            bw.append(_random_layer(rng, cell, i, n, bias, dt, scale))
        return cls(cell, tuple(fw), tuple(bw), acts)

    @classmethod
    def from_state_dict(cls, state_dict: dict[str, Any], cell: str = "elman",
                        activation: str | Sequence[str] | None = "tanh") -> BidirectionalRNN:
        """Build from PyTorch-named arrays including ``_reverse`` parameters."""
        from numerics.models.torch_io import layers_from_state_dict

        layers, reverse = layers_from_state_dict(state_dict, cell)
        if reverse is None:
            raise ValueError("state_dict has no '_reverse' parameters: use StackedRNN.from_state_dict")
        return cls(cell, tuple(layers), tuple(reverse), _elman_activations(cell, activation, len(layers)))

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {}
        for l, (f, b) in enumerate(zip(self.forward_layers, self.backward_layers)):
            for kind, a in f.arrays().items():
                out[layer_param(kind, l)] = a
            for kind, a in b.arrays().items():
                out[layer_param(kind, l, reverse=True)] = a
        return out

    def astype(self, dtype: Any) -> BidirectionalRNN:
        dt = check_dtype(dtype)
        return replace(self, forward_layers=tuple(p.map(lambda a: a.astype(dt)) for p in self.forward_layers),
                       backward_layers=tuple(p.map(lambda a: a.astype(dt)) for p in self.backward_layers))

    def initial_states(self, h0: Any, batch: int) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """Per-direction states in PyTorch order: layer 0 forward, layer 0 backward, layer 1 forward, …"""
        sizes = [n for n in self.hidden_sizes for _ in range(2)]
        if self.cell == "lstm":
            return _lstm_states(h0, sizes, batch, self.dtype)
        return per_layer_states(h0, sizes, batch, self.dtype), None

    def forward(self, x: Any, h0: Any = None) -> tuple[np.ndarray, BidirectionalCache]:
        """Run the network.

        Parameters
        ----------
        x : array, shape (T, B, input_size)
        h0 : optional
            PyTorch's ``(2·L, B, H)`` array or a list of ``2·L`` per-direction
            arrays (forward, backward per layer); for LSTM a pair ``(h0, c0)``.

        Returns
        -------
        y : ndarray, shape (T, B, 2·n_L)
            ``[h^f_t; h^b_t]`` of the top layer.
        cache : BidirectionalCache
        """
        x = as_sequence(x, self.input_size, self.dtype)
        hs, cs = self.initial_states(h0, x.shape[1])
        caches = []
        inp = x
        for l, (f, b) in enumerate(zip(self.forward_layers, self.backward_layers)):
            g: tuple[ActGroup, ...] = ((self.activations[l], 0, f.hidden_size),) if self.cell == "elman" else ()
            yf, cf = layer_forward(self.cell, f, inp, hs[2 * l], None if cs is None else cs[2 * l], activations=g)
            yb, cb = layer_forward(self.cell, b, inp, hs[2 * l + 1], None if cs is None else cs[2 * l + 1],
                                   activations=g, reverse=True)
            inp = np.concatenate([yf, yb], axis=-1)
            caches.append((cf, cb))
        return inp, BidirectionalCache(tuple(caches))

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        return self.forward(x, h0)[0]

    def backward(self, cache: BidirectionalCache, dy: Any, *, dh_final: Any = None,
                 return_state_grads: bool = False) -> tuple[Any, ...]:
        """Backpropagation through time through both directions of every layer.

        Parameters
        ----------
        cache : BidirectionalCache
        dy : array, shape (T, B, 2·n_L)
        dh_final : optional
            Gradient with respect to the final states (for the backward
            direction: its state after processing ``t = 1``), in the format
            :meth:`forward` accepts for ``h0``.
        return_state_grads : bool

        Returns
        -------
        dx : ndarray, shape (T, B, input_size)
        grads : BidirectionalRNN
            ``grads.state_dict()`` uses PyTorch's names incl. ``_reverse``.
        dh0 : list of 2·L ndarrays (B, n_l); only if ``return_state_grads``
            PyTorch order (layer 0 forward, layer 0 backward, …); for LSTM a
            pair ``(dh0_list, dc0_list)``.
        """
        _check_cache(cache, BidirectionalCache)
        T, B = cache.layers[0][0].x.shape[:2]
        g = _check_grad(dy, (T, B, self.output_size), "dy", self.dtype)
        L = self.num_layers
        fin_h, fin_c = ([None] * 2 * L, [None] * 2 * L) if dh_final is None else self.initial_states(dh_final, B)
        if fin_c is None:
            fin_c = [None] * 2 * L
        gf: list[LayerParams] = [None] * L  # type: ignore[list-item]
        gb: list[LayerParams] = [None] * L  # type: ignore[list-item]
        dh0: list[np.ndarray] = [None] * 2 * L  # type: ignore[list-item]
        dc0: list[np.ndarray | None] = [None] * 2 * L
        for l in range(L - 1, -1, -1):
            H = self.hidden_sizes[l]
            cf, cb = cache.layers[l]
            dxf, dh0[2 * l], dc0[2 * l], gf[l] = layer_backward(cf, g[..., :H], fin_h[2 * l], fin_c[2 * l])
            dxb, dh0[2 * l + 1], dc0[2 * l + 1], gb[l] = layer_backward(
                cb, g[..., H:], fin_h[2 * l + 1], fin_c[2 * l + 1])
            g = dxf + dxb
        net = replace(self, forward_layers=tuple(gf), backward_layers=tuple(gb))
        if not return_state_grads:
            return g, net
        return g, net, ((dh0, dc0) if self.cell == "lstm" else dh0)


@dataclass(frozen=True)
class DelayedCache:
    """Cache of a delayed forward pass: the single layer's cache over ``T + d`` steps."""

    layer: LayerCache
    T: int

    @property
    def states(self) -> np.ndarray:
        """Raw states of all ``T + d`` steps, shape ``(T + d, B, N)``."""
        return self.layer.h[1:]


@dataclass(frozen=True)
class DelayedRNN:
    """One recurrent layer of width ``N`` read out with a delay of ``d`` steps.

    The input is padded with ``d`` zero steps, the layer runs ``T + d``
    steps, and the state at step ``t + d`` (its read-out blocks) is the output
    for time ``t``. The :class:`theory.layout.Plan` gives the blocks (widths,
    per-block activations, start schedule), the read-out and the delay.

    Attributes
    ----------
    plan : Plan
    params : LayerParams
        ``weight_ih (G·N, I)``, ``weight_hh (G·N, N)``, biases ``(G·N,)``.
    masked : bool
        If true, the plan's block-sparsity pattern is part of the model:
        weights outside it must be zero (and training keeps them zero).
    """

    plan: Plan
    params: LayerParams
    masked: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.plan, Plan):
            raise TypeError(f"plan must be a theory.layout.Plan; got {type(self.plan).__name__}")
        check_dtype(self.params.dtype, "parameter dtype")
        _check_layer(self.params, self.plan.cell, self.plan.input_size, self.plan.hidden_size,
                     self.plan.bias, "DelayedRNN")
        if self.masked:
            for kind, mask in (("weight_ih", self.plan.weight_ih_mask()), ("weight_hh", self.plan.weight_hh_mask())):
                w = getattr(self.params, kind)
                if np.any(w[~mask] != 0):
                    raise ValueError(f"{kind} has non-zero entries outside the plan's block mask "
                                     f"(largest {np.abs(w[~mask]).max():.3g}); pass masked=False for a dense network")

    # ------------------------------------------------------------ properties
    @property
    def cell(self) -> str:
        return self.plan.cell

    @property
    def delay(self) -> int:
        return self.plan.delay

    @property
    def input_size(self) -> int:
        return self.plan.input_size

    @property
    def hidden_size(self) -> int:
        return self.plan.hidden_size

    @property
    def output_size(self) -> int:
        return self.plan.output_size

    @property
    def dtype(self) -> np.dtype:
        return self.params.dtype

    # ---------------------------------------------------------- constructors
    @classmethod
    def create(
        cls,
        weight_ih: Any,
        weight_hh: Any,
        bias_ih: Any = None,
        bias_hh: Any = None,
        *,
        delay: int,
        cell: str = "elman",
        widths: Sequence[int] | None = None,
        activations: str | Sequence[str] | None = "tanh",
        hold: Sequence[int] | None = None,
        readout: Sequence[int] | None = None,
        recurrent_mask: Any = None,
        input_mask: Any = None,
    ) -> DelayedRNN:
        """A delayed network from explicit weights.

        Parameters
        ----------
        weight_ih : array, shape (G·N, I)
        weight_hh : array, shape (G·N, N)
        bias_ih, bias_hh : array, shape (G·N,), optional
            Both or neither.
        delay : int
            ``d >= 0``.
        cell : {"elman", "lstm", "gru"}
        widths : sequence of int, optional
            Block widths summing to ``N``; default one block of width ``N``.
        activations : str or sequence of str
            Elman activation per block.
        hold : sequence of int, optional
            Start schedule: block ``l`` keeps its initial state for its first
            ``hold[l]`` steps (default 0).
        readout : sequence of int, optional
            Blocks read out (default: all blocks if ``widths`` is omitted,
            else the last block).
        recurrent_mask : bool array (L, L), optional
            ``[dst, src]`` block-sparsity of ``weight_hh``; with either mask the
            network is ``masked`` (zeros outside are enforced).
        input_mask : bool array (L,), optional

        Returns
        -------
        DelayedRNN
        """
        check_cell(cell)
        w_hh = as_float_array(weight_hh, "weight_hh")
        dt = w_hh.dtype
        w_ih = as_float_array(weight_ih, "weight_ih", dt)
        if w_hh.ndim != 2:
            raise ValueError(f"weight_hh must be 2-D (G·N, N); got shape {w_hh.shape}")
        N = w_hh.shape[1]
        if w_ih.ndim != 2:
            raise ValueError(f"weight_ih must be 2-D (G·N, I); got shape {w_ih.shape}")
        if (bias_ih is None) != (bias_hh is None):
            raise ValueError("bias_ih and bias_hh must be given together or not at all")
        b_ih = None if bias_ih is None else as_float_array(bias_ih, "bias_ih", dt)
        b_hh = None if bias_hh is None else as_float_array(bias_hh, "bias_hh", dt)
        sizes = (N,) if widths is None else check_sizes(widths, "widths")
        if sum(sizes) != N:
            raise ValueError(f"widths must sum to N = {N} (weight_hh columns); "
                             f"got {list(sizes)} summing to {sum(sizes)}")
        L = len(sizes)
        masked = recurrent_mask is not None or input_mask is not None
        rm = np.ones((L, L), bool) if recurrent_mask is None else np.asarray(recurrent_mask)
        im = np.ones(L, bool) if input_mask is None else np.asarray(input_mask)
        if readout is None:
            readout = tuple(range(L)) if widths is None else (L - 1,)
        plan = relaxed_plan(cell, w_ih.shape[1], sizes, rm, im, delay=check_count(delay, "delay", 0),
                            readout=readout, activations=activations, bias=b_ih is not None)
        if hold is not None:
            holds = [check_count(h, f"hold[{i}]", 0) for i, h in enumerate(hold)]
            if len(holds) != L:
                raise ValueError(f"hold must have one entry per block ({L}); got {len(holds)}")
            plan = replace(plan, blocks=tuple(replace(b, hold=h) for b, h in zip(plan.blocks, holds)))
        return cls(plan, LayerParams(w_ih, w_hh, b_ih, b_hh), masked=masked)

    @classmethod
    def random(cls, plan: Plan, *, dtype: Any = np.float64, seed: int | np.random.Generator | None = 0,
               scale: float | None = None, masked: bool = True) -> DelayedRNN:
        """Random weights ``U(-k, k)`` (``k = 1/sqrt(N)``) on the plan's block pattern."""
        dt = check_dtype(dtype)
        rng = np.random.default_rng(seed)
        p = _random_layer(rng, plan.cell, plan.input_size, plan.hidden_size, plan.bias, dt, scale)
        if masked:
            p = replace(p, weight_ih=p.weight_ih * plan.weight_ih_mask(), weight_hh=p.weight_hh * plan.weight_hh_mask())
        return cls(plan, p, masked=masked)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters as a one-layer PyTorch network (``weight_ih_l0`` …)."""
        return {layer_param(k, 0): a for k, a in self.params.arrays().items()}

    def astype(self, dtype: Any) -> DelayedRNN:
        dt = check_dtype(dtype)
        return replace(self, params=self.params.map(lambda a: a.astype(dt)))

    def to_stacked(self) -> StackedRNN:
        """The stacked network this delayed network equals, if its weights have the block structure.

        Raises
        ------
        ValueError
            If the plan is not ``L`` blocks read out from the last with delay
            ``L - 1``, or a weight block outside the lower-bidiagonal pattern
            is non-zero (the message names the first such block and its
            largest entry).
        """
        from numerics.models.construction import disassemble

        plan = self.plan
        L = len(plan.blocks)
        if plan.cell == "gru":
            raise ValueError("a GRU delayed network has no stacked equivalent (see claim 'gru-naive')")
        if plan.readout != (L - 1,):
            raise ValueError(f"readout must be the last block ({L - 1}) to be a stacked network; got {plan.readout}")
        if plan.delay != L - 1:
            raise ValueError(f"delay must be L - 1 = {L - 1} for {L} blocks; got {plan.delay}")
        target = stacked_plan(plan.cell, plan.input_size, plan.widths,
                              list(plan.activations) if plan.cell == "elman" else None, bias=plan.bias)
        sd = disassemble(target, self.params)
        return StackedRNN.from_state_dict(sd, plan.cell, list(plan.activations) if plan.cell == "elman" else None)

    # --------------------------------------------------------------- forward
    def initial_state(self, h0: Any, batch: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Normalise ``h0`` to a ``(B, N)`` state (and cell state for LSTM).

        Accepts ``None``, an ``(N,)``, ``(B, N)`` or PyTorch ``(1, B, N)``
        array, or a list of per-block arrays ``(n_l,)`` / ``(B, n_l)``; for
        LSTM a pair ``(h0, c0)`` of these.
        """
        def one(v: Any, name: str) -> np.ndarray:
            if isinstance(v, (list, tuple)):
                return np.concatenate(per_layer_states(v, self.plan.widths, batch, self.dtype, name), axis=1)
            if v is None:
                return np.zeros((batch, self.hidden_size), dtype=self.dtype)
            a = as_float_array(v, name, self.dtype)
            N = self.hidden_size
            if a.shape == (N,):
                return np.array(np.broadcast_to(a, (batch, N)))
            if a.shape == (batch, N):
                return a
            if a.shape == (1, batch, N):
                return a[0]
            widths = self.plan.widths
            if len(set(widths)) == 1 and a.shape == (len(widths), batch, widths[0]):
                # PyTorch's per-layer (L, B, H) layout of the stacked network this one was built from.
                return np.concatenate(list(a), axis=1)
            raise ValueError(f"{name} must have shape ({N},), ({batch}, {N}), (1, {batch}, {N}) or "
                             f"(blocks, {batch}, width) for equal block widths, or be a list of per-block "
                             f"arrays; got {a.shape}")

        if self.cell == "lstm":
            if h0 is None:
                return one(None, "h0"), one(None, "c0")
            if not isinstance(h0, tuple) or len(h0) != 2:
                raise TypeError("h0 of an LSTM must be a tuple (h0, c0)")
            return one(h0[0], "h0[0] (h)"), one(h0[1], "h0[1] (c)")
        return one(h0, "h0"), None

    def _groups(self) -> tuple[ActGroup, ...]:
        if self.cell != "elman":
            return ()
        groups: list[list[Any]] = []
        for i, act in enumerate(self.plan.activations):
            a, b = self.plan.span(i)
            if groups and groups[-1][0] == act:
                groups[-1][2] = b
            else:
                groups.append([act, a, b])
        return tuple((str(g[0]), int(g[1]), int(g[2])) for g in groups)

    def _hold(self) -> np.ndarray | None:
        if not any(self.plan.holds):
            return None
        return np.repeat(np.array(self.plan.holds), self.plan.widths)

    def engine(self, engine: str = "auto") -> str:
        """The engine :meth:`forward` uses: ``"dense"`` or ``"blocked"``.

        ``"auto"`` picks the block-batched engine when the weights have the
        stacked structure (:func:`numerics.engine.blocked.has_stacked_structure`,
        and for an unmasked network, zeros outside it) and it multiplies
        fewer numbers than the dense product
        (:func:`numerics.engine.blocked.prefer_blocked`).
        """
        from numerics.engine.blocked import ENGINES, has_stacked_structure, prefer_blocked

        check_choice(engine, ENGINES, "engine")
        if engine == "dense":
            return engine
        ok = has_stacked_structure(self.plan) and (self.masked or self._zero_outside_plan())
        if engine == "blocked":
            if not ok:
                raise ValueError("engine='blocked' needs the stacked block structure (block l reads blocks l and "
                                 "l-1 only, input into block 0 only, zero weights elsewhere); use 'dense' or 'auto'")
            return engine
        return "blocked" if ok and prefer_blocked(self.plan) else "dense"

    def _zero_outside_plan(self) -> bool:
        return not (np.any(self.params.weight_hh[~self.plan.weight_hh_mask()])
                    or np.any(self.params.weight_ih[~self.plan.weight_ih_mask()]))

    def _run(self, x: Any, h0: Any, engine: str) -> tuple[np.ndarray, DelayedCache]:
        x = as_sequence(x, self.input_size, self.dtype)
        T, B, I = x.shape
        h, c = self.initial_state(h0, B)
        xp = np.concatenate([x, np.zeros((self.delay, B, I), dtype=self.dtype)], axis=0)
        if self.engine(engine) == "blocked":
            from numerics.engine.blocked import blocked_forward

            states, cache = blocked_forward(self.plan, self.params, xp, h, c, self._groups(), self._hold())
        else:
            states, cache = layer_forward(self.cell, self.params, xp, h, c, activations=self._groups(),
                                          hold=self._hold())
        return states, DelayedCache(cache, T)

    def forward(self, x: Any, h0: Any = None, *, engine: str = "auto") -> tuple[np.ndarray, DelayedCache]:
        """Run ``T + d`` steps on the zero-padded input and read out with delay ``d``.

        Parameters
        ----------
        x : array, shape (T, B, input_size)
        h0 : optional
            Initial state; see :meth:`initial_state`.
        engine : {"auto", "dense", "blocked"}
            ``"dense"`` multiplies the full ``(N, G·N)`` recurrent matrix per
            step; ``"blocked"`` runs all blocks of a step as one batched
            product (stacked block structure only, see :meth:`engine`).
            Both give the same states up to summation order and the same
            cache, so :meth:`backward` does not care which ran.

        Returns
        -------
        y : ndarray, shape (T, B, output_size)
            Outputs aligned with the input, like every other model: the
            read-out units of steps ``d … d + T - 1``.
        cache : DelayedCache
            Holds all ``T + d`` raw states (``cache.states``).
        """
        states, cache = self._run(x, h0, engine)
        return self.readout(states), cache

    def states(self, x: Any, h0: Any = None, *, engine: str = "auto") -> np.ndarray:
        """Raw states of all ``T + d`` steps, shape ``(T + d, B, N)``."""
        return self._run(x, h0, engine)[0]

    def _repr_latex_(self) -> str:
        """Jupyter display: the plan's block matrices (:func:`theory.latex.plan_latex`)."""
        return self.plan._repr_latex_()

    def _repr_html_(self) -> str:
        """Jupyter display: the plan's block table and matrices (:func:`theory.latex.plan_html`)."""
        return self.plan._repr_html_()

    def readout(self, states: np.ndarray) -> np.ndarray:
        """Outputs aligned with the input time axis: read-out units of steps ``d … d + T - 1``.

        Parameters
        ----------
        states : ndarray, shape (T + d, B, N)

        Returns
        -------
        ndarray, shape (T, B, output_size)
        """
        return states[self.delay:][:, :, self.plan.readout_units()]

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        """Outputs aligned with the input, shape ``(T, B, output_size)``."""
        return self.forward(x, h0)[0]

    def backward(self, cache: DelayedCache, dy: Any, *, dh_final: Any = None,
                 return_state_grads: bool = False) -> tuple[Any, ...]:
        """Backpropagation through the ``T + d`` steps of the delayed layer.

        Parameters
        ----------
        cache : DelayedCache
            From :meth:`forward`.
        dy : array, shape (T, B, output_size)
            Gradient with respect to the outputs of :meth:`forward`; the
            padding steps and the units not read out get zero gradient.
        dh_final : optional
            Gradient with respect to the state after the last step, in the
            format of :meth:`initial_state`.
        return_state_grads : bool

        Returns
        -------
        dx : ndarray, shape (T, B, input_size)
            Gradient with respect to the real (unpadded) inputs.
        grads : DelayedRNN
            Same plan; ``grads.params`` holds the gradients. If the network is
            ``masked``, the weight gradients are masked to the plan's pattern
            (exact zeros outside), so a masked step keeps the pattern.
        dh0 : ndarray, shape (B, N); only if ``return_state_grads``
            For LSTM a pair ``(dh0, dc0)``.
        """
        _check_cache(cache, DelayedCache)
        lc = cache.layer
        Tp, B = lc.x.shape[:2]
        T, d, N = cache.T, self.delay, self.hidden_size
        arr = _check_grad(dy, (T, B, self.output_size), "dy", self.dtype)
        ds = np.zeros((Tp, B, N), dtype=self.dtype)
        ds[d:, :, self.plan.readout_units()] = arr
        fin_h, fin_c = (None, None) if dh_final is None else self.initial_state(dh_final, B)
        dxp, dh0, dc0, g = layer_backward(lc, ds, fin_h, fin_c)
        if self.masked:
            g = replace(g, weight_ih=g.weight_ih * self.plan.weight_ih_mask(),
                        weight_hh=g.weight_hh * self.plan.weight_hh_mask())
        net = replace(self, params=g)
        dx = dxp[:T]
        if not return_state_grads:
            return dx, net
        return dx, net, ((dh0, dc0) if self.cell == "lstm" else dh0)
