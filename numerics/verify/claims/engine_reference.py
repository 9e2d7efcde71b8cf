"""The engine computes the cell equations: stacked and delayed networks against an independent reference.

Every other numeric claim compares two networks that run the same engine
(:mod:`numerics.engine`), so a bug they share (a swapped gate order, a
wrong activation table) cancels out. Claim ``engine-reference`` compares
each against :func:`numerics.verify.stepwise.reference_outputs`, a per-step
loop written separately from the engine, so such a bug is caught without
PyTorch.

Cases come from :func:`numerics.testing.stacked_cases` with at least two
layers and one time step (every case exercises a layer reading another
layer), widths 1–6 drawn per layer (so the delayed network runs on its dense
engine as well as on its blocked one), biases on and off, with and without
initial states.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from numerics.models import delayed_gru
from numerics.testing import EquivalenceCase, stacked_cases
from numerics.verify.claims.elman import relative_error
from numerics.verify.registry import ClaimSet, Effort
from numerics.verify.search import property_check
from numerics.verify.stepwise import reference_outputs
from theory.claims import MethodResult

#: The claims of this module, in report order.
CLAIMS = ClaimSet()

TOLERANCE = 1e-10

CLAIMS.claim(
    "engine-reference",
    "The stacked Elman, LSTM and GRU networks, the staggered delayed Elman and LSTM networks and the "
    "staggered own-reset delayed GRU all output what a per-step evaluation of the cell equations of "
    "PAPER.md §2 outputs (float64, relative error <= 1e-10), from zero or given initial states.",
    "paper §2 (ours to check)",
    "holds",
    "The reference is a plain loop over steps and layers written without the engine, so agreement checks "
    "the engine's gate order, activations, biases and state handling rather than two copies of one bug.",
)


def _reference(case: EquivalenceCase) -> np.ndarray:
    net = case.net
    h0, c0 = case.h0, None
    if net.cell == "lstm" and h0 is not None:
        h0, c0 = h0
    return reference_outputs(net.cell, net.state_dict(), net.activations, case.x, h0, c0)


def _delayed(case: EquivalenceCase) -> list[np.ndarray]:
    net = case.net
    d = delayed_gru(net, "own") if net.cell == "gru" else net.to_delayed("staggered")
    # Every schedule that runs this plan, by name: a bug in one of them must not hide behind engine="auto".
    return [d.forward(case.x, case.h0, engine=name)[0] for name in d.schedules()]


def _nontrivial(case: EquivalenceCase) -> bool:
    return case.net.num_layers >= 2 and case.x.shape[0] >= 1


def _describe(case: EquivalenceCase) -> dict[str, Any]:
    d = case.describe()
    d.pop("state_dict", None)
    return d


for _cell in ("elman", "lstm", "gru"):
    for _which, _model in (("stacked", lambda c: [c.net(c.x, c.h0)]), ("delayed", _delayed)):
        _name = f"{_which}-{_cell}"

        @CLAIMS.method("engine-reference", _name)
        def _check(effort: Effort, cell: str = _cell, model: Any = _model, name: str = _name) -> MethodResult:
            cases = stacked_cases(cells=(cell,), layers=(2, 5), widths=(1, 6), steps=(1, 12),
                                  dtypes=(np.float64,))
            def error(c: EquivalenceCase) -> float:
                ref = _reference(c)
                return max(relative_error(y, ref) for y in model(c))

            return property_check(name, cases, error, TOLERANCE, _describe, effort, nontrivial=_nontrivial)


__all__ = ["CLAIMS", "TOLERANCE"]
