"""The delayed recurrent network: one wide layer read out ``d`` steps late (NumPy).

A :class:`theory.layout.Plan` gives the blocks (``widths``, per-block
``activations``, holds), the read-out, the delay and, for GRU, what
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
    check_dtype,
    check_seed,
    owned_sequence,
    per_layer_states,
    read_only,
)
from numerics.engine.cells import cell_of
from numerics.engine.params import LayerCache, LayerParams, ParamsKeyed
from numerics.engine.protocol import ScheduleCache, readout_states
from numerics.engine.registry import get_schedule, schedule_names
from numerics.engine.select import REQUESTS, resolve
from numerics.models._common import cast_layers, check_cache, check_grad, check_layer, random_layer
from theory._checks import check_type
from theory.layout import GATES, Plan, check_cell, check_count, check_plan, check_sizes, layer_param, relaxed_plan

#: What ``engine=`` accepts: ``"auto"``, every schedule's name and the older aliases (``"blocked"``: the wavefront).
ENGINES: tuple[str, ...] = REQUESTS


@dataclass(frozen=True)
class DelayedCache:
    """Cache of a delayed forward pass over ``T + d`` steps.

    Attributes
    ----------
    run : ScheduleCache
        The cache of the schedule that ran (:mod:`numerics.engine.protocol`),
        in that schedule's own layout; it carries its own backward.
    T : int
        Number of real (unpadded) input steps.
    """

    run: ScheduleCache
    T: int

    @property
    def schedule(self) -> str:
        """The name of the schedule that actually ran (what an experiment record should state)."""
        return self.run.schedule

    @property
    def layer(self) -> LayerCache:
        """The single layer's cache in the dense layout, whichever schedule ran (assembled once if needed)."""
        return self.run.layer

    @property
    def states(self) -> np.ndarray:
        """Raw states of all ``T + d`` steps, shape ``(T + d, B, N)``."""
        return self.run.states


@dataclass(frozen=True)
class DelayedRNN:
    """One recurrent layer of width ``N`` read out with a delay of ``d`` steps.

    The input is padded with ``d`` zero steps, the layer runs ``T + d``
    steps, and the state at step ``t + d`` (its read-out blocks) is the output
    for time ``t``. The :class:`theory.layout.Plan` gives the blocks (widths,
    per-block activations, holds), the read-out and the delay.

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
            Holds: block ``l`` keeps its initial state for its first
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

        if cell_of(self.cell).second_state:
            if h0 is None:
                return one(None, "h0"), one(None, "c0")
            if not isinstance(h0, tuple) or len(h0) != 2:
                raise TypeError(f"h0 of an {self.cell.upper()} (a cell with a cell state) must be a tuple (h0, c0)")
            return one(h0[0], "h0[0] (h)"), one(h0[1], "h0[1] (c)")
        return one(h0, "h0"), None

    def engine(self, engine: str = "auto", *, batch: int = 32, steps: int = 100, training: bool = True) -> str:
        """The schedule :meth:`forward` runs for this request (:func:`numerics.engine.select.resolve`).

        A named schedule is checked against the plan and the weights
        (:meth:`schedules` lists those that run); ``"auto"`` takes the one
        :mod:`numerics.engine.select` chooses for this ``batch`` and number of
        ``steps``: of the forward and backward pass together if ``training``
        (what :meth:`forward` runs, since its cache is for :meth:`backward`),
        of the forward pass alone otherwise (``__call__`` and :meth:`states`).
        An alias (``"blocked"``) returns the schedule's name (``"wavefront"``).
        """
        return resolve(self.plan, engine, masked=self.masked, on_plan=self._zero_outside_plan, batch=batch,
                       steps=steps, training=training)

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
    def _prepared(self) -> dict[str, ParamsKeyed]:
        """What each schedule prepared from the weights, rebuilt when a parameter array was edited in place."""
        return {}

    def _prepare(self, name: str) -> Any:
        prep = get_schedule(name).prepare
        if prep is None:
            return None
        kept = self._prepared.setdefault(name, ParamsKeyed())
        return kept.get(self.params, lambda p: prep(self.plan, p))

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

    def _run(self, x: Any, h0: Any, engine: str, keep_cache: bool = True,
             full: bool = False) -> tuple[np.ndarray | None, np.ndarray | None, DelayedCache | None]:
        """Outputs (or, with ``full``, the raw states of all steps) and the cache."""
        x = as_sequence(x, self.input_size, self.dtype)
        T, B, I = x.shape
        if h0 is None:
            # The common case without initial_states' checks (B comes from an array that exists already).
            h = np.zeros((B, self.hidden_size), dtype=self.dtype)
            c = np.zeros_like(h) if cell_of(self.cell).second_state else None
        else:
            h, c = self.initial_states(h0, B)
        xp = x if self.delay == 0 else np.concatenate([x, np.zeros((self.delay, B, I), dtype=self.dtype)], axis=0)
        name = self.engine(engine, batch=B, steps=T, training=keep_cache)
        out, cache = get_schedule(name).run(self.plan, self.params, self._prepare(name), xp, h, c, keep_cache, full)
        return out, (DelayedCache(cache, T) if keep_cache else None)

    def forward(self, x: Any, h0: Any = None, *, engine: str = "auto") -> tuple[np.ndarray, DelayedCache]:
        """Run ``T + d`` steps on the zero-padded input and read out with delay ``d``.

        Parameters
        ----------
        x : array, shape (T, B, input_size)
        h0 : optional
            Initial state; see :meth:`initial_states`.
        engine : str
            ``"auto"`` or a schedule of :func:`numerics.engine.registry.schedule_names`:
            ``"dense"`` multiplies the full ``(N, G·N)`` recurrent matrix per
            step; ``"wavefront"`` (alias ``"blocked"``) runs all blocks of a
            step as one batched product; ``"layers"`` runs block by block over
            all steps like the stacked network (both: stacked block structure
            only, see :meth:`engine`); ``"sparse"`` multiplies only the
            plan's non-zero blocks (any plan, zeros outside it); ``"blocks"``
            runs each block over all steps (plans without cycles between
            blocks). All give the same states up to summation order;
            ``cache.schedule`` names the one that ran.

        Returns
        -------
        y : ndarray, shape (T, B, output_size)
            Outputs aligned with the input, like every other model: the
            read-out units of steps ``d … d + T - 1``. Read-only (it may be a
            view of the cache): edit a ``y.copy()``. ``x`` is copied when the
            cache would otherwise share the caller's array (delay 0).
        cache : DelayedCache
            Holds all ``T + d`` raw states (``cache.states``).
        """
        if self.delay == 0:  # with a delay the engines get a zero-padded copy anyway
            x = owned_sequence(x, self.input_size, self.dtype)
        y, cache = self._run(x, h0, engine)
        return read_only(y), cache

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
        return readout_states(self.plan, states)

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
        B = cache.run.x.shape[1]
        arr = check_grad(dy, (cache.T, B, self.output_size), "dy", self.dtype)
        fin_h, fin_c = (None, None) if dh_final is None else self.initial_states(dh_final, B)
        dxp, g, dh0, dc0 = cache.run.backward(arr, fin_h, fin_c, self.masked)
        T = cache.T
        net = self._with_params(g)
        dx = dxp[:T]
        if not return_state_grads:
            return dx, net
        return dx, net, ((dh0, dc0) if cell_of(self.cell).second_state else dh0)


__all__ = [
    "ENGINES",
    "DelayedCache",
    "DelayedRNN",
]
