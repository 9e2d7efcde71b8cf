"""The dense schedule: the whole ``(N, G·N)`` recurrent matrix per step (:func:`numerics.engine.layer.layer_forward`).

Runs every plan and every weight (zeros outside the plan included), so it is
the reference the other schedules are compared with and the one whose
backward gives every weight's gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from numerics.engine.cost import schedule_cost
from numerics.engine.layer import layer_forward
from numerics.engine.params import LayerCache, LayerParams
from numerics.engine.protocol import DenseLayoutCache, Grads, Schedule, dense_backward, readout_states, runs_any_plan
from numerics.engine.units import reset_mask, unit_groups, unit_holds
from theory.layout import Plan


@dataclass(frozen=True)
class DenseCache(DenseLayoutCache):
    """Cache of the dense schedule: the single layer's :class:`LayerCache`, and its backward."""

    schedule: ClassVar[str] = "dense"
    plan: Plan
    layer: LayerCache

    def backward(self, dy: np.ndarray, dh_final: np.ndarray | None, dc_final: np.ndarray | None,
                 masked: bool) -> Grads:
        """Gradients through the dense backward (masked to the plan if ``masked``)."""
        return dense_backward(self.plan, self.layer, dy, dh_final, dc_final, masked)


def dense_run(plan: Plan, params: LayerParams, prepared: Any, x: np.ndarray, h0: np.ndarray,
              c0: np.ndarray | None, keep_cache: bool, full: bool) -> tuple[np.ndarray, DenseCache | None]:
    """:attr:`numerics.engine.protocol.Schedule.run` of the dense schedule."""
    states, cache = layer_forward(plan.cell, params, x, h0, c0, activations=unit_groups(plan), hold=unit_holds(plan),
                                  reset_mask=reset_mask(plan), keep_cache=keep_cache)
    return (states if full else readout_states(plan, states)), (DenseCache(plan, cache) if keep_cache else None)


SCHEDULE = Schedule(
    name="dense",
    summary="the whole (N, G·N) recurrent matrix per step; any plan, any weights",
    needs=runs_any_plan,
    on_plan=False,
    cost=lambda plan, batch, steps, backward: schedule_cost(plan, batch, steps, "dense", backward),
    run=dense_run,
)

__all__ = ["SCHEDULE", "DenseCache", "dense_run"]
