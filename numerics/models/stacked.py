"""Stacked and bidirectional recurrent networks (NumPy), PyTorch's ``num_layers`` and ``bidirectional``.

Every model is a frozen dataclass of arrays. Calling it runs the forward
pass: ``y = net(x, h0)``; ``y, cache = net.forward(x, h0)`` also returns what
a backward pass needs, and ``dx, grads = net.backward(cache, dy)`` (plus the
initial-state gradients with ``return_state_grads=True``) is the same tuple
for every model. Parameter names follow PyTorch (``weight_ih_l0``, …), so
``net.state_dict()`` and :func:`numerics.from_torch` move models in and out
as plain dicts of arrays.

Names: a *network's* layer widths are ``hidden_sizes`` (PyTorch's
``hidden_size``, one per layer); a *plan's* or delayed network's block widths
are ``widths``. Elman nonlinearities are ``activations`` everywhere (one name
for all layers or blocks, or one per layer or block).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypeVar

import numpy as np

from numerics._validate import check_choice, check_dtype, owned_sequence, read_only, writable
from numerics.engine.activations import ActGroup
from numerics.engine.cells import cell_of
from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.params import LayerCache, LayerParams
from numerics.models._common import (
    States,
    cast_layers,
    check_cache,
    check_grad,
    check_layer,
    check_layer_list,
    final_state_grads,
    layer_activations,
    layer_states,
    random_layers,
    state_grads,
)
from numerics.models._names import layers_from_state_dict
from numerics.models.construction import assemble, disassemble
from numerics.models.delayed import DelayedRNN
from theory._checks import check_type
from theory.latex import stacked_latex
from theory.layout import Plan, check_cell, check_count, check_sizes, layer_param, stacked_plan


@dataclass(frozen=True)
class StackedCache:
    """Per-layer caches of a stacked forward pass (bottom layer first)."""

    layers: tuple[LayerCache, ...]


class _LayerStack:
    """What stacked and bidirectional networks share: one tuple of layers per direction, and what follows from it.

    A subclass names its per-direction layer fields in :attr:`_DIRECTIONS`
    (``("layers",)`` or ``("forward_layers", "backward_layers")``); its
    dataclass fields are ``cell``, those tuples and ``activations``.
    """

    _DIRECTIONS: ClassVar[tuple[str, ...]]
    cell: str
    activations: tuple[str | None, ...]

    @property
    def _first(self) -> tuple[LayerParams, ...]:
        return getattr(self, self._DIRECTIONS[0])

    # ------------------------------------------------------------ properties
    @property
    def input_size(self) -> int:
        return self._first[0].input_size

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        """Width of each layer (per direction)."""
        return tuple(p.hidden_size for p in self._first)

    @property
    def num_layers(self) -> int:
        return len(self._first)

    @property
    def output_size(self) -> int:
        """The top layer's width times the number of directions."""
        return len(self._DIRECTIONS) * self.hidden_sizes[-1]

    @property
    def bias(self) -> bool:
        return self._first[0].bias

    @property
    def dtype(self) -> np.dtype:
        return self._first[0].dtype

    # ---------------------------------------------------------- constructors
    @classmethod
    def random(
        cls: type[_Net],
        input_size: int,
        hidden_sizes: Sequence[int],
        *,
        cell: str = "elman",
        activations: str | Sequence[str] | None = "tanh",
        bias: bool = True,
        dtype: Any = np.float64,
        seed: int | np.random.Generator | None = 0,
        scale: float | None = None,
    ) -> _Net:
        """A network with PyTorch-style random weights ``U(-k, k)``, ``k = 1/sqrt(n_l)``.

        Parameters
        ----------
        input_size : int
        hidden_sizes : sequence of int
            Widths ``n_1 … n_L``.
        cell : {"elman", "lstm", "gru"}
        activations : str or sequence of str
            Elman activation(s), one for all layers or one per layer:
            ``"tanh"``, ``"relu"``, ``"identity"``, ``"sigmoid"``.
        bias : bool
        dtype : float32 or float64
        seed : int or Generator
        scale : float, optional
            Use ``U(-scale, scale)`` for every parameter instead.

        Examples
        --------
        >>> net = StackedRNN.random(input_size=3, hidden_sizes=[4, 5, 2], activations="tanh", seed=0)
        >>> net(np.zeros((7, 2, 3))).shape
        (7, 2, 2)
        """
        check_cell(cell)
        input_size = check_count(input_size, "input_size")
        sizes = check_sizes(hidden_sizes, "hidden_sizes")
        acts = layer_activations(cell, activations, len(sizes))
        D = len(cls._DIRECTIONS)
        layers = random_layers(cell, (input_size, *(D * n for n in sizes[:-1])), sizes, directions=D, bias=bias,
                               dtype=check_dtype(dtype), seed=seed, scale=scale)
        return cls(cell, *(tuple(per[k] for per in layers) for k in range(D)), acts)

    @classmethod
    def from_state_dict(cls: type[_Net], state_dict: dict[str, Any], cell: str = "elman",
                        activations: str | Sequence[str] | None = "tanh") -> _Net:
        """Build from PyTorch-named arrays (``weight_ih_l0`` …, ``_reverse`` for a second direction).

        See :func:`numerics.from_torch`.
        """
        layers, reverse = layers_from_state_dict(state_dict, cell)
        acts = layer_activations(cell, activations, len(layers))
        if len(cls._DIRECTIONS) == 1:
            if reverse is not None:
                raise ValueError("state_dict has '_reverse' parameters: use BidirectionalRNN.from_state_dict")
            return cls(cell, tuple(layers), acts)
        if reverse is None:
            raise ValueError("state_dict has no '_reverse' parameters: use StackedRNN.from_state_dict")
        return cls(cell, tuple(layers), tuple(reverse), acts)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters under PyTorch's names (``weight_ih_l{k}``, …; ``_reverse`` for the backward direction)."""
        out = {}
        for l in range(self.num_layers):
            for k, name in enumerate(self._DIRECTIONS):
                for kind, a in getattr(self, name)[l].arrays().items():
                    out[layer_param(kind, l, reverse=k == 1)] = a
        return out

    def astype(self: _Net, dtype: Any) -> _Net:
        """The same network with parameters cast to ``dtype``."""
        return replace(self, **{name: cast_layers(getattr(self, name), dtype) for name in self._DIRECTIONS})


_Net = TypeVar("_Net", bound=_LayerStack)


@dataclass(frozen=True)
class StackedRNN(_LayerStack):
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

    _DIRECTIONS: ClassVar[tuple[str, ...]] = ("layers",)
    cell: str
    layers: tuple[LayerParams, ...]
    activations: tuple[str | None, ...]

    def __post_init__(self) -> None:
        check_cell(self.cell)
        check_layer_list(self.layers, "layers")
        check_type(self.activations, (tuple, list), "activations", "a tuple (one entry per layer)")
        if not self.layers:
            raise ValueError("layers must contain at least one LayerParams")
        if len(self.activations) != len(self.layers):
            raise ValueError(f"activations must have one entry per layer ({len(self.layers)}); "
                             f"got {len(self.activations)}")
        bias = self.layers[0].bias
        n_in = self.layers[0].input_size
        check_dtype(self.layers[0].dtype, "parameter dtype")
        for l, p in enumerate(self.layers):
            check_layer(p, self.cell, n_in, p.hidden_size, bias, f"layer {l}")
            n_in = p.hidden_size

    # --------------------------------------------------------------- forward
    def initial_states(self, h0: Any, batch: int) -> States:
        """Normalise ``h0`` to per-layer ``(B, n_l)`` arrays (and cell states for LSTM, else ``None``)."""
        return layer_states(self.cell, h0, self.hidden_sizes, batch, self.dtype)

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
            Read-only (a view of the cache): edit a ``y.copy()``. ``x`` is
            copied when the cache would otherwise share the caller's array.
        cache : StackedCache
        """
        x = owned_sequence(x, self.input_size, self.dtype)
        hs, cs = self.initial_states(h0, x.shape[1])
        caches = []
        inp = x
        for l, p in enumerate(self.layers):
            groups = (ActGroup(self.activations[l], 0, p.hidden_size),) if cell_of(self.cell).activated else ()
            inp, cache = layer_forward(self.cell, p, inp, hs[l], None if cs is None else cs[l], activations=groups)
            caches.append(cache)
        return read_only(inp), StackedCache(tuple(caches))

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        """Outputs of the top layer, shape ``(T, B, n_L)``."""
        return writable(self.forward(x, h0)[0])  # the cache is dropped: the output is the caller's

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
        check_cache(cache, StackedCache)
        T, B = cache.layers[0].x.shape[:2]
        g = check_grad(dy, (T, B, self.output_size), "dy", self.dtype)
        L = self.num_layers
        fin_h, fin_c = final_state_grads(self.cell, dh_final, self.hidden_sizes, B, self.dtype)
        grads: list[LayerParams] = [None] * L  # type: ignore[list-item]
        dh0: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        dc0: list[np.ndarray | None] = [None] * L
        for l in range(L - 1, -1, -1):
            g, grads[l], dh0[l], dc0[l] = layer_backward(cache.layers[l], g, fin_h[l], fin_c[l])
        net = replace(self, layers=tuple(grads))
        if not return_state_grads:
            return g, net
        return g, net, state_grads(self.cell, dh0, dc0)

    # ---------------------------------------------------------- construction
    def _repr_latex_(self) -> str:
        """Jupyter display: the stacked equations and the block matrices of the construction."""
        return stacked_latex(self.plan())

    def plan(self, start: str = "staggered") -> Plan:
        """Block layout of the equivalent delayed network (:func:`theory.layout.stacked_plan`)."""
        return stacked_plan(self.cell, self.input_size, self.hidden_sizes,
                            self.activations if cell_of(self.cell).activated else None, bias=self.bias, start=start)

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
        plan = self.plan(check_choice(start, ("staggered", "zero"), "start"))
        return DelayedRNN(plan, assemble(plan, self.state_dict(), self.dtype), masked=True)

    @classmethod
    def from_delayed(cls, net: DelayedRNN) -> StackedRNN:
        """The stacked network a delayed network equals, if its weights have the block structure.

        The inverse of :meth:`to_delayed`: ``StackedRNN.from_delayed(net.to_delayed())``
        recovers every parameter bit for bit. A GRU qualifies with the
        own-reset cell only (``plan.gru_reset == "own"``, see
        :func:`numerics.models.gru.delayed_gru`).

        Parameters
        ----------
        net : DelayedRNN

        Returns
        -------
        StackedRNN

        Raises
        ------
        ValueError
            If the plan is not ``L`` blocks read out from the last with delay
            ``L - 1``, or a weight block outside the lower-bidiagonal pattern
            is non-zero (the message names the first such block and its
            largest entry).
        """
        check_type(net, DelayedRNN, "net")
        plan = net.plan
        L = len(plan.blocks)
        if cell_of(plan.cell).reset_gate and plan.gru_reset != "own":
            raise ValueError("a GRU delayed network with PyTorch's reset gate has no stacked equivalent "
                             "(see claim 'gru-naive'); the own-reset cell (gru_reset='own') has")
        if plan.readout != (L - 1,):
            raise ValueError(f"readout must be the last block ({L - 1}) to be a stacked network; got {plan.readout}")
        if plan.delay != L - 1:
            raise ValueError(f"delay must be L - 1 = {L - 1} for {L} blocks; got {plan.delay}")
        acts = list(plan.activations) if cell_of(plan.cell).activated else None
        target = stacked_plan(plan.cell, plan.input_size, plan.widths, acts, bias=plan.bias, allow_gru=True)
        return cls.from_state_dict(disassemble(target, net.params), plan.cell, acts)

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
            if cache.layer.c is not None:
                cs.append(cache.layer.c[l, 0, a:b].copy())
        return (hs, cs) if cell_of(self.cell).second_state else hs


@dataclass(frozen=True)
class BidirectionalCache:
    """Per-layer ``(forward, backward)`` caches."""

    layers: tuple[tuple[LayerCache, LayerCache], ...]


@dataclass(frozen=True)
class BidirectionalRNN(_LayerStack):
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

    _DIRECTIONS: ClassVar[tuple[str, ...]] = ("forward_layers", "backward_layers")
    cell: str
    forward_layers: tuple[LayerParams, ...]
    backward_layers: tuple[LayerParams, ...]
    activations: tuple[str | None, ...]

    def __post_init__(self) -> None:
        check_cell(self.cell)
        check_layer_list(self.forward_layers, "forward_layers")
        check_layer_list(self.backward_layers, "backward_layers")
        check_type(self.activations, (tuple, list), "activations", "a tuple (one entry per layer)")
        if not self.forward_layers or len(self.forward_layers) != len(self.backward_layers):
            raise ValueError("forward_layers and backward_layers must be non-empty and of equal length")
        bias = self.forward_layers[0].bias
        n_in = self.forward_layers[0].input_size
        for l, (f, b) in enumerate(zip(self.forward_layers, self.backward_layers)):
            check_layer(f, self.cell, n_in, f.hidden_size, bias, f"layer {l} (forward)")
            check_layer(b, self.cell, n_in, f.hidden_size, bias, f"layer {l} (backward)")
            n_in = 2 * f.hidden_size

    @property
    def _state_sizes(self) -> list[int]:
        """Widths of the per-direction states in PyTorch order."""
        return [n for n in self.hidden_sizes for _ in range(2)]

    def initial_states(self, h0: Any, batch: int) -> States:
        """Per-direction states in PyTorch order: layer 0 forward, layer 0 backward, layer 1 forward, …"""
        return layer_states(self.cell, h0, self._state_sizes, batch, self.dtype)

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
            ``[h^f_t; h^b_t]`` of the top layer; read-only like every model's
            ``forward`` output (edit a ``y.copy()``).
        cache : BidirectionalCache
        """
        x = owned_sequence(x, self.input_size, self.dtype)
        hs, cs = self.initial_states(h0, x.shape[1])
        caches = []
        inp = x
        for l, (f, b) in enumerate(zip(self.forward_layers, self.backward_layers)):
            g = (ActGroup(self.activations[l], 0, f.hidden_size),) if cell_of(self.cell).activated else ()
            yf, cf = layer_forward(self.cell, f, inp, hs[2 * l], None if cs is None else cs[2 * l], activations=g)
            yb, cb = layer_forward(self.cell, b, inp, hs[2 * l + 1], None if cs is None else cs[2 * l + 1],
                                   activations=g, reverse=True)
            inp = np.concatenate([yf, yb], axis=-1)
            caches.append((cf, cb))
        return read_only(inp), BidirectionalCache(tuple(caches))

    def __call__(self, x: Any, h0: Any = None) -> np.ndarray:
        return writable(self.forward(x, h0)[0])

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
        check_cache(cache, BidirectionalCache)
        T, B = cache.layers[0][0].x.shape[:2]
        g = check_grad(dy, (T, B, self.output_size), "dy", self.dtype)
        L = self.num_layers
        fin_h, fin_c = final_state_grads(self.cell, dh_final, self._state_sizes, B, self.dtype)
        gf: list[LayerParams] = [None] * L  # type: ignore[list-item]
        gb: list[LayerParams] = [None] * L  # type: ignore[list-item]
        dh0: list[np.ndarray] = [None] * 2 * L  # type: ignore[list-item]
        dc0: list[np.ndarray | None] = [None] * 2 * L
        for l in range(L - 1, -1, -1):
            H = self.hidden_sizes[l]
            cf, cb = cache.layers[l]
            dxf, gf[l], dh0[2 * l], dc0[2 * l] = layer_backward(cf, g[..., :H], fin_h[2 * l], fin_c[2 * l])
            dxb, gb[l], dh0[2 * l + 1], dc0[2 * l + 1] = layer_backward(
                cb, g[..., H:], fin_h[2 * l + 1], fin_c[2 * l + 1])
            g = dxf + dxb
        net = replace(self, forward_layers=tuple(gf), backward_layers=tuple(gb))
        if not return_state_grads:
            return g, net
        return g, net, state_grads(self.cell, dh0, dc0)


__all__ = [
    "BidirectionalCache",
    "BidirectionalRNN",
    "StackedCache",
    "StackedRNN",
]
