"""The delayed recurrent network: one wide layer read out ``d`` steps late (NumPy).

A :class:`theory.layout.Plan` gives the blocks (``widths``, per-block
``activations``, start schedule), the read-out, the delay and, for GRU, what
the reset gate multiplies. The conversions from and to stacked networks are
:meth:`numerics.models.stacked.StackedRNN.to_delayed` and
:meth:`numerics.models.stacked.StackedRNN.from_delayed`, one layer up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np

from numerics._validate import (
    as_float_array,
    as_sequence,
    check_allocation,
    check_choice,
    check_dtype,
    check_seed,
    per_layer_states,
)
from numerics.engine.blocked import (
    WaveCache,
    blocked_forward,  # noqa: F401  (the wavefront in the dense layout, importable here)
    has_stacked_structure,
    prefer_blocked,
    wave_backward,
    wave_forward,
)
from numerics.engine.cost import cheapest
from numerics.engine.layer import layer_backward, layer_forward
from numerics.engine.layerorder import (
    BlockCaches,
    Incoming,
    dense_cache,
    layer_order_grads,
    layer_order_run,
    supports_layer_order,
)
from numerics.engine.params import LayerCache, LayerParams, ParamsKeyed
from numerics.engine.registry import AUTO, schedule_names
from numerics.engine.schedule import reset_mask, unit_groups, unit_holds
from numerics.engine.sparse import SparseProduct, sparse_backward, sparse_forward, sparse_product
from numerics.models._common import cast_layers, check_cache, check_grad, check_layer, random_layer
from theory._checks import check_type
from theory.layout import GATES, Plan, check_cell, check_count, check_plan, check_sizes, layer_param, relaxed_plan

#: ``"blocked"`` is the wavefront (all blocks of a step in one batched product), ``"layers"`` the layer order,
#: ``"sparse"`` the block-sparse wavefront for any pattern (only the non-zero blocks are multiplied).
ENGINES: tuple[str, ...] = (AUTO, *schedule_names())


@dataclass(frozen=True)
class DelayedCache:
    """Cache of a delayed forward pass over ``T + d`` steps.

    Attributes
    ----------
    dense : LayerCache or None
        The single layer's cache (dense and wavefront engines).
    T : int
        Number of real (unpadded) input steps.
    wave : WaveCache or None
        The wavefront engine's cache, in its padded block layout.
    blocks : BlockCaches or None
        The per-block caches of the layer-order engine. Each block stops
        at the last step the read-out needs, so the steps that only change
        the final states are skipped; :attr:`full_blocks` runs them when
        asked for (the final states, a final-state gradient, the dense cache).
    """

    dense: LayerCache | None
    T: int
    blocks: BlockCaches | None = None
    sparse: SparseProduct | None = None
    wave: WaveCache | None = None

    @cached_property
    def full_blocks(self) -> BlockCaches:
        """The layer-order pass with every block run to the last step (computed once, if needed)."""
        bc = self.blocks
        if bc.full:
            return bc
        return layer_order_run(bc.plan, bc.params, bc.x, bc.h0, bc.c0, keep_cache=True, full=True)

    @cached_property
    def layer(self) -> LayerCache:
        """The single layer's cache in the dense layout, whichever engine ran (assembled once if needed)."""
        if self.dense is not None:
            return self.dense
        return self.wave.layer if self.wave is not None else dense_cache(self.full_blocks)

    @property
    def states(self) -> np.ndarray:
        """Raw states of all ``T + d`` steps, shape ``(T + d, B, N)``."""
        if self.dense is not None:
            return self.dense.h[1:]
        return self.wave.states if self.wave is not None else self.full_blocks.states


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
        check_plan(self.plan)
        check_type(self.params, LayerParams, "params", "a numerics.engine.params.LayerParams")
        check_dtype(self.params.dtype, "parameter dtype")
        check_layer(self.params, self.plan.cell, self.plan.input_size, self.plan.hidden_size,
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
    def from_weights(
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
        if w_hh.shape[0] != GATES[check_cell(cell)] * N:
            raise ValueError(f"weight_hh must have shape (G·N, N) = ({GATES[cell] * N}, {N}) for a {cell} cell; "
                             f"got {w_hh.shape}")
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
        check_plan(plan)
        dt = check_dtype(dtype)
        rng = np.random.default_rng(check_seed(seed))
        p = random_layer(rng, plan.cell, plan.input_size, plan.hidden_size, plan.bias, dt, scale,
                         ("plan.input_size", "plan.hidden_size"))
        if masked:
            p = replace(p, weight_ih=p.weight_ih * plan.weight_ih_mask(), weight_hh=p.weight_hh * plan.weight_hh_mask())
        return cls(plan, p, masked=masked)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters as a one-layer PyTorch network (``weight_ih_l0`` …)."""
        return {layer_param(k, 0): a for k, a in self.params.arrays().items()}

    def astype(self, dtype: Any) -> DelayedRNN:
        """The same network with parameters cast to ``dtype``."""
        (params,) = cast_layers([self.params], dtype)
        return replace(self, params=params)

    # --------------------------------------------------------------- forward
    def initial_states(self, h0: Any, batch: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Normalise ``h0`` to a ``(B, N)`` state (and cell state for LSTM).

        Accepts ``None``, an ``(N,)``, ``(B, N)`` or PyTorch ``(1, B, N)``
        array, or a list of per-block arrays ``(n_l,)`` / ``(B, n_l)``; for
        LSTM a pair ``(h0, c0)`` of these.
        """
        batch = check_count(batch, "batch")
        check_allocation(2 * batch * self.hidden_size, self.dtype.itemsize, "batch")

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

    def engine(self, engine: str = "auto", *, batch: int = 32, steps: int = 100, training: bool = True) -> str:
        """The engine :meth:`forward` uses: ``"dense"``, ``"blocked"`` (wavefront), ``"layers"`` or ``"sparse"``.

        The block-sparse wavefront (``"sparse"``, :mod:`numerics.engine.sparse`)
        runs any plan whose weights are zero outside its blocks.

        The wavefront and the layer order need the stacked structure
        (:func:`numerics.engine.blocked.has_stacked_structure`; for an
        unmasked network also zeros outside it), the layer order for GRU also
        the own-reset cell (:func:`numerics.engine.layerorder.supports_layer_order`).
        ``"auto"`` takes the possible engine with the smallest modelled time
        for this ``batch`` and number of ``steps``
        (:func:`numerics.engine.cost.schedule_costs`): of the forward and
        backward pass together if ``training`` (what :meth:`forward` runs,
        since its cache is for :meth:`backward`), of the forward pass alone
        otherwise (``__call__`` and :meth:`states`, which keep no cache).
        For an unmasked network ``training`` means ``"dense"``: every weight
        gets a gradient, and only the dense engine's backward gives them all
        without converting another engine's cache first.
        """
        check_choice(engine, ENGINES, "engine")
        check_count(batch, "batch")
        check_count(steps, "steps", minimum=0)
        if engine == "dense":
            return engine
        stacked, layers_plan = self._plan_structure
        on_plan = self.masked or self._zero_outside_plan()
        if engine == "sparse" and not on_plan:
            raise ValueError("engine='sparse' needs zero weights outside the plan's blocks (a masked network, "
                             "or checked zeros); use 'dense' or 'auto'")
        ok = stacked and on_plan
        layers_ok = ok and layers_plan
        if engine == "blocked" and not ok:
            raise ValueError("engine='blocked' needs the stacked block structure (block l reads blocks l and "
                             "l-1 only, input into block 0 only, zero weights elsewhere); use 'dense' or 'auto'")
        if engine == "layers" and not layers_ok:
            raise ValueError("engine='layers' needs the stacked block structure (block l reads blocks l and "
                             "l-1 only, input into block 0 only, zero weights elsewhere) and, for GRU, the "
                             "own-reset cell; use 'dense' or 'auto'")
        if engine != "auto":
            return engine
        if training and not self.masked:
            # An unmasked network trains every weight, so backward needs the dense gradient, which only the
            # dense engine's cache gives without first converting the other engines' caches to it.
            return "dense"
        # The layer order first: on a tie (one block) it is exactly the stacked layer's computation,
        # while the dense engine carries the start schedule and, for an own-reset GRU, a split W_hn.
        # The block-sparse engine is for plans outside the stacked structure: on a stacked plan its block
        # order is the layer order's computation and its wavefront the blocked one's, each with more overhead.
        options = (("layers",) if layers_ok else ()) + ("dense",) + \
            (("blocked",) if ok and prefer_blocked(self.plan) else ()) + \
            (("sparse",) if on_plan and len(self.plan.blocks) > 1 and not ok else ())
        key = (options, batch, steps, bool(training))
        if key not in self._auto_choices:
            self._auto_choices[key] = cheapest(self.plan, batch, steps, options, backward=bool(training))
        return self._auto_choices[key]

    def schedules(self) -> tuple[str, ...]:
        """The schedules that can run this network, forward and backward (never ``"auto"``).

        Returns
        -------
        tuple of str
            A subset of :func:`numerics.engine.registry.schedule_names`, in its
            order; ``"dense"`` is always there. Pass any of them as ``engine=``
            to :meth:`forward`, :meth:`states` or ``__call__``.
        """
        names = []
        for name in schedule_names():
            try:
                self.engine(name)
            except ValueError:  # this schedule does not run this plan or these weights
                continue
            names.append(name)
        return tuple(names)

    @cached_property
    def _plan_structure(self) -> tuple[bool, bool]:
        """Whether the plan has the stacked structure, and whether it can run in layer order."""
        return has_stacked_structure(self.plan), supports_layer_order(self.plan)

    @cached_property
    def _sparse_kept(self) -> ParamsKeyed:
        return ParamsKeyed()

    @property
    def _sparse_product(self) -> SparseProduct:
        """The block-sparse product of the plan's blocks, rebuilt when a parameter array was edited in place."""
        return self._sparse_kept.get(self.params, lambda p: sparse_product(self.plan, p))

    @cached_property
    def _engine_choices(self) -> dict[tuple[Any, ...], str]:
        """:meth:`_run`'s resolved engines per (requested engine, batch, steps, training): checks run once."""
        return {}

    @cached_property
    def _auto_choices(self) -> dict[tuple[Any, ...], str]:
        """``engine="auto"``'s choices so far (the cost model depends on the plan, batch and steps only)."""
        return {}

    @cached_property
    def _readout_slice(self) -> slice | None:
        """The read-out units as one slice if they are contiguous, else None."""
        u = self.plan.readout_units()
        if len(u) and np.array_equal(u, np.arange(u[0], u[0] + len(u))):
            return slice(int(u[0]), int(u[0]) + len(u))
        return None

    def _zero_outside_plan(self) -> bool:
        return not (np.any(self.params.weight_hh[~self.plan.weight_hh_mask()])
                    or np.any(self.params.weight_ih[~self.plan.weight_ih_mask()]))

    def _with_params(self, params: LayerParams) -> DelayedRNN:
        """This network with other parameters of the same shapes, zero outside the plan if ``masked``.

        Skips :meth:`__post_init__`'s checks (a pass over every weight): the
        caller guarantees them, as :meth:`backward` does for gradients.
        """
        net = object.__new__(DelayedRNN)
        for f in ("plan", "params", "masked"):
            object.__setattr__(net, f, params if f == "params" else getattr(self, f))
        return net

    @cached_property
    def _masks(self) -> tuple[np.ndarray, np.ndarray]:
        """The plan's ``weight_ih`` and ``weight_hh`` masks (the plan is immutable)."""
        return self.plan.weight_ih_mask(), self.plan.weight_hh_mask()

    def _run(self, x: Any, h0: Any, engine: str, keep_cache: bool = True,
             full: bool = False) -> tuple[np.ndarray | None, np.ndarray | None, DelayedCache | None]:
        """Outputs (or, with ``full``, the raw states of all steps) and the cache."""
        x = as_sequence(x, self.input_size, self.dtype)
        T, B, I = x.shape
        if h0 is None:
            # The common case without initial_states' checks (B comes from an array that exists already).
            h = np.zeros((B, self.hidden_size), dtype=self.dtype)
            c = np.zeros_like(h) if self.cell == "lstm" else None
        else:
            h, c = self.initial_states(h0, B)
        xp = x if self.delay == 0 else np.concatenate([x, np.zeros((self.delay, B, I), dtype=self.dtype)], axis=0)
        # A masked network's possible engines do not depend on the weights' values, so its choice is kept.
        key = (engine, B, T, keep_cache)
        chosen = self._engine_choices.get(key) if (self.masked and isinstance(engine, str)) else None
        if chosen is None:
            chosen = self.engine(engine, batch=B, steps=T, training=keep_cache)
            if self.masked:
                self._engine_choices[key] = chosen
        if chosen == "layers":
            bc = layer_order_run(self.plan, self.params, xp, h, c, keep_cache=keep_cache, full=full)
            cache = DelayedCache(None, T, bc) if keep_cache else None
            return (bc.states if full else bc.readout(self.delay, T)), cache
        if chosen == "blocked":
            wc = wave_forward(self.plan, self.params, xp, h, c)
            return (wc.states if full else wc.readout(self.delay, T)), (DelayedCache(None, T, wave=wc)
                                                                      if keep_cache else None)
        if chosen == "sparse":
            sp = self._sparse_product
            states, cache = sparse_forward(self.plan, self.params, xp, h, c, keep_cache=keep_cache, product=sp)
            return ((states if full else self.readout(states)),
                    (DelayedCache(cache, T, sparse=sp) if keep_cache else None))
        else:
            states, cache = layer_forward(self.cell, self.params, xp, h, c, activations=unit_groups(self.plan),
                                          hold=unit_holds(self.plan), reset_mask=reset_mask(self.plan),
                                          keep_cache=keep_cache)
        return (states if full else self.readout(states)), (DelayedCache(cache, T) if keep_cache else None)

    def forward(self, x: Any, h0: Any = None, *, engine: str = "auto") -> tuple[np.ndarray, DelayedCache]:
        """Run ``T + d`` steps on the zero-padded input and read out with delay ``d``.

        Parameters
        ----------
        x : array, shape (T, B, input_size)
        h0 : optional
            Initial state; see :meth:`initial_states`.
        engine : {"auto", "dense", "blocked", "layers", "sparse"}
            ``"dense"`` multiplies the full ``(N, G·N)`` recurrent matrix per
            step; ``"blocked"`` (the wavefront) runs all blocks of a step as
            one batched product; ``"layers"`` runs block by block over all
            steps like the stacked network (both: stacked block structure
            only, see :meth:`engine`); ``"sparse"`` multiplies only the
            plan's non-zero blocks (any plan, zeros outside it). All give the same states up to
            summation order and the same cache (``cache.layer``), so
            :meth:`backward` accepts any of them.

        Returns
        -------
        y : ndarray, shape (T, B, output_size)
            Outputs aligned with the input, like every other model: the
            read-out units of steps ``d … d + T - 1``.
        cache : DelayedCache
            Holds all ``T + d`` raw states (``cache.states``).
        """
        return self._run(x, h0, engine)

    def states(self, x: Any, h0: Any = None, *, engine: str = "auto") -> np.ndarray:
        """Raw states of all ``T + d`` steps, shape ``(T + d, B, N)`` (no cache is built)."""
        return self._run(x, h0, engine, keep_cache=False, full=True)[0]

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
        if not isinstance(states, np.ndarray) or not np.issubdtype(states.dtype, np.floating):
            states = as_float_array(states, "states")  # forward() passes its own float array unchecked
        if states.ndim != 3 or states.shape[2] != self.hidden_size or states.shape[0] < self.delay:
            raise ValueError(f"states must have shape (T + {self.delay}, B, {self.hidden_size}); got {states.shape}")
        sl = self._readout_slice
        return states[self.delay:][:, :, self.plan.readout_units() if sl is None else sl]

    def __call__(self, x: Any, h0: Any = None, *, engine: str = "auto") -> np.ndarray:
        """Outputs aligned with the input, shape ``(T, B, output_size)``.

        The inference path: nothing only the backward pass needs (gates,
        every step's cell state) is kept.
        """
        return self._run(x, h0, engine, keep_cache=False)[0]

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
            format of :meth:`initial_states`.
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
        check_cache(cache, DelayedCache)
        bc = cache.blocks
        x_padded = cache.dense.x if cache.dense is not None else (cache.wave.x if cache.wave is not None else bc.x)
        Tp, B, I = x_padded.shape
        T, d, N = cache.T, self.delay, self.hidden_size
        arr = check_grad(dy, (T, B, self.output_size), "dy", self.dtype)
        fin_h, fin_c = (None, None) if dh_final is None else self.initial_states(dh_final, B)
        if cache.wave is not None and self.masked:
            # Wavefront backward: gradients on the stacked pattern only (exact zeros outside), the masked one.
            dxp, g, dh0, dc0 = wave_backward(cache.wave, arr, d, fin_h, fin_c)
        elif cache.blocks is not None and self.masked:
            # Layer order backward: gradients on the plan's pattern only (exact zeros outside), which is
            # the masked gradient; the read-out gradient goes straight to its blocks, no dense buffer.
            if fin_h is not None:
                bc = cache.full_blocks
            incoming: dict[int, list[Incoming]] = {}
            col = 0
            for r in self.plan.readout:
                w = self.plan.blocks[r].width
                incoming.setdefault(r, []).append((d, arr[:, :, col : col + w]))
                col += w
            (o, dx0), g, dh0, dc0 = layer_order_grads(bc, incoming, fin_h, fin_c)
            if o == 0 and dx0.shape[0] >= T:
                dxp = dx0
            else:
                dxp = np.zeros((Tp, B, I), dtype=self.dtype)
                dxp[o : o + dx0.shape[0]] = dx0
        else:
            if d == 0 and self._readout_slice == slice(0, N):
                ds = arr
            else:
                ds = np.zeros((Tp, B, N), dtype=self.dtype)
                ds[d:, :, self.plan.readout_units()] = arr
            if cache.sparse is not None and self.masked:
                # Block-sparse backward: W_hh's gradient on the plan's blocks only, which is the masked one.
                dxp, g, dh0, dc0 = sparse_backward(cache.sparse, cache.layer, ds, fin_h, fin_c)
            else:
                dxp, g, dh0, dc0 = layer_backward(cache.layer, ds, fin_h, fin_c)
            if self.masked:
                m_ih, m_hh = self._masks
                g = replace(g, weight_ih=g.weight_ih * m_ih, weight_hh=g.weight_hh * m_hh)
        net = self._with_params(g)
        dx = dxp[:T]
        if not return_state_grads:
            return dx, net
        return dx, net, ((dh0, dc0) if self.cell == "lstm" else dh0)
