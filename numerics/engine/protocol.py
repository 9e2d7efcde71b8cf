"""What a schedule is: the protocol every entry of :mod:`numerics.engine.registry` follows.

A *schedule* is one order in which the single wide layer of a delayed
network (:class:`numerics.models.delayed.DelayedRNN`) is computed. Every
schedule gives the same states and gradients up to summation order; they
differ in speed. A schedule declares

* what it supports (:attr:`Schedule.needs`: the plan structure it needs, and
  :attr:`Schedule.on_plan`: whether weights outside the plan's blocks must be zero),
* its modelled cost (:attr:`Schedule.cost`, what ``engine="auto"`` compares,
  :mod:`numerics.engine.select`),
* what it prepares from the weights once per network (:attr:`Schedule.prepare`,
  kept by :class:`numerics.engine.params.ParamsKeyed`, so an in-place edit of
  the weights is seen),
* its forward (:attr:`Schedule.run`), whose cache carries its own backward
  (:class:`ScheduleCache`).

A new schedule is one module that defines a :class:`Schedule` and its cache,
plus its entry in :data:`numerics.engine.registry.REGISTRY`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from numerics.engine.layer import layer_backward
from numerics.engine.params import LayerCache, LayerParams
from theory.layout import Plan

#: ``(dx of the padded input (T', B, I), gradients, dh0 (B, N), dc0 (B, N) or None)``.
Grads = tuple[np.ndarray, LayerParams, np.ndarray, "np.ndarray | None"]


class ScheduleCache(Protocol):
    """What every schedule's forward cache offers (its own layout is its own business).

    Attributes
    ----------
    schedule : str
        The name of the schedule that ran (what an experiment record states).
    x : ndarray, shape (T', B, I)
        The zero-padded input.
    states : ndarray, shape (T', B, N)
        The states after every step.
    layer : LayerCache
        The same pass in the dense unit layout (assembled on demand).
    """

    schedule: str

    @property
    def x(self) -> np.ndarray: ...

    @property
    def states(self) -> np.ndarray: ...

    @property
    def layer(self) -> LayerCache: ...

    def backward(self, dy: np.ndarray, dh_final: np.ndarray | None, dc_final: np.ndarray | None,
                 masked: bool) -> Grads:
        """Gradients from the read-out gradient ``dy (T, B, output_size)`` (steps ``d … d + T - 1``).

        With ``masked`` the weight gradients are the plan's pattern only
        (exact zeros outside); otherwise every weight's gradient.
        """
        ...


@dataclass(frozen=True)
class Schedule:
    """One schedule of the delayed layer, as the registry lists it.

    Attributes
    ----------
    name : str
        The name ``engine=`` takes.
    summary : str
        One line for listings and docs.
    needs : callable
        ``needs(plan)``: None if the schedule runs the plan's structure, else
        what it needs (completes "engine='name' needs …").
    on_plan : bool
        The schedule reads only the plan's blocks, so weights outside them
        must be zero (a masked network, or checked zeros).
    cost : callable
        ``cost(plan, batch, steps, backward)``: modelled µs of the forward
        pass (plus the backward pass if ``backward``).
    run : callable
        ``run(plan, params, prepared, x, h0, c0, keep_cache, full)`` with
        ``x (T', B, I)`` already zero-padded: returns ``(out, cache)``, where
        ``out`` is the states of all ``T'`` steps if ``full``, else the
        read-out ``(T' - d, B, output_size)``; ``cache`` a
        :class:`ScheduleCache` if ``keep_cache``, else None.
    prepare : callable or None
        ``prepare(plan, params)``: what the schedule derives from the
        weights once per network (passed to ``run`` as ``prepared``).
    aliases : tuple of str
        Older names ``engine=`` still accepts.
    """

    name: str
    summary: str
    needs: Callable[[Plan], str | None]
    on_plan: bool
    cost: Callable[[Plan, int, int, bool], float]
    run: Callable[..., tuple[np.ndarray, Any]]
    prepare: Callable[[Plan, LayerParams], Any] | None = None
    aliases: tuple[str, ...] = ()


def runs_any_plan(plan: Plan) -> str | None:
    """:attr:`Schedule.needs` of a schedule that runs every plan."""
    return None


@lru_cache(maxsize=64)
def _readout_index(plan: Plan) -> slice | np.ndarray:
    """The read-out units as one slice if they are contiguous, else their indices."""
    u = plan.readout_units()
    if len(u) and np.array_equal(u, np.arange(u[0], u[0] + len(u))):
        return slice(int(u[0]), int(u[0]) + len(u))
    return u


def readout_states(plan: Plan, states: np.ndarray) -> np.ndarray:
    """The read-out units of steps ``d … T' - 1``, shape ``(T' - d, B, output_size)``."""
    return states[plan.delay:][:, :, _readout_index(plan)]


def state_grad(plan: Plan, dy: np.ndarray, Tp: int) -> np.ndarray:
    """The read-out gradient ``dy (T, B, output_size)`` as a gradient of every state, ``(T', B, N)``."""
    d, N = plan.delay, plan.hidden_size
    idx = _readout_index(plan)
    if d == 0 and isinstance(idx, slice) and idx == slice(0, N):
        return dy
    ds = np.zeros((Tp, dy.shape[1], N), dtype=dy.dtype)
    ds[d:, :, idx] = dy
    return ds


@lru_cache(maxsize=64)
def _masks(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    return plan.weight_ih_mask(), plan.weight_hh_mask()


def mask_grads(plan: Plan, g: LayerParams) -> LayerParams:
    """Weight gradients restricted to the plan's pattern (exact zeros outside)."""
    m_ih, m_hh = _masks(plan)
    return replace(g, weight_ih=g.weight_ih * m_ih, weight_hh=g.weight_hh * m_hh)


class DenseLayoutCache:
    """``x`` and ``states`` of a schedule cache that holds the single layer's :class:`LayerCache` as ``layer``.

    The dense, block-sparse and block-order caches keep their states in the dense layout; the
    wavefront and the layer order keep their own layouts and define these themselves.
    """

    layer: LayerCache

    @property
    def x(self) -> np.ndarray:
        """The (padded) input, shape ``(T + d, B, I)``."""
        return self.layer.x

    @property
    def states(self) -> np.ndarray:
        """Raw states of all steps, shape ``(T + d, B, N)``."""
        return self.layer.h[1:]


def dense_backward(plan: Plan, layer: LayerCache, dy: np.ndarray, dh_final: np.ndarray | None,
                   dc_final: np.ndarray | None, masked: bool, product: Any = None) -> Grads:
    """The dense unit-layout backward of any schedule's pass (every weight's gradient, masked if ``masked``)."""
    dxp, g, dh0, dc0 = layer_backward(layer, state_grad(plan, dy, layer.x.shape[0]), dh_final, dc_final,
                                      product=product)
    return dxp, (mask_grads(plan, g) if masked else g), dh0, dc0


__all__ = ["DenseLayoutCache", "Grads", "Schedule", "ScheduleCache", "dense_backward", "mask_grads", "readout_states",
           "runs_any_plan", "state_grad"]
