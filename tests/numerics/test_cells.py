"""The cell objects are the only place that knows a cell: a new cell needs no schedule edit.

:mod:`numerics.engine.cells` (one module per cell) holds each cell's structure, pointwise steps and
cost figures; the schedules, the cost model and the selection ask the cell
object. These tests register a new cell in the cells package and theory alone
and run it through every schedule, and price a cell the cost model has no
figures for.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from schedule_nets import masked_net as _net
from schedule_nets import random_inputs as _inputs
from schedule_nets import run_grads as _grads

import numerics.engine.cells as cells
from numerics import DelayedRNN
from numerics.engine import cost
from theory import _checks, layout

ENGINE = Path(cells.__file__).parents[1]          # numerics/engine, whose modules (not the cells package) are checked


def test_no_engine_module_but_the_cells_module_names_a_cell() -> None:
    # A quoted cell name in a schedule, the cost model or the selection is a per-cell branch a new cell would
    # have to extend.
    names = "|".join(map(re.escape, _checks.GATES))
    pattern = re.compile(rf"""["']({names})["']""")
    found = [f"{p.name}:{i}: {line.strip()}" for p in sorted(ENGINE.glob("*.py"))
             for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not found, found


class _NewLSTM(cells.LSTM):
    """A new cell: LSTM's mathematics under another name, with no measured cost figures."""

    name, costs = "lstm-new", None


class _NewGRU(cells.GRU):
    """A new reset-gate cell: GRU's mathematics under another name, with no measured cost figures."""

    name, costs = "gru-new", None


@pytest.fixture
def new_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the two new cells where a new cell is registered: the cells module and theory."""
    for cell, like in ((_NewLSTM(), "lstm"), (_NewGRU(), "gru")):
        monkeypatch.setitem(cells.CELLS, cell.name, cell)
        monkeypatch.setitem(_checks.GATES, cell.name, _checks.GATES[like])
        monkeypatch.setitem(layout.GATE_NAMES, cell.name, layout.GATE_NAMES[like])


@pytest.mark.usefixtures("new_cells")
@pytest.mark.parametrize(("like", "new", "reset"), [("lstm", "lstm-new", "own"), ("gru", "gru-new", "full")])
@pytest.mark.parametrize("kind", ["stacked", "skip", "cyclic"])
def test_a_new_cell_runs_on_every_schedule_with_no_schedule_edited(like: str, new: str, reset: str,
                                                                   kind: str) -> None:
    ref = _net(like, kind, reset=reset, holds=(0, 2, 1))
    plan = replace(ref.plan, cell=new)
    if reset != "own":
        # theory's Plan accepts gru_reset for "gru" only: the new reset-gate cell runs PyTorch's reset
        plan = replace(plan, gru_reset="full")
    net = DelayedRNN(plan, ref.params, masked=ref.masked)
    x, h0, dy = _inputs(ref, T=6, B=2)
    assert net.schedules() == ref.schedules()
    for name in net.schedules():
        a, b = _grads(ref, name, x, h0, dy), _grads(net, name, x, h0, dy)
        np.testing.assert_array_equal(b[0], a[0], err_msg=f"{name}: outputs")
        np.testing.assert_array_equal(b[1], a[1], err_msg=f"{name}: dx")
        for k in a[2]:
            np.testing.assert_array_equal(b[2][k], a[2][k], err_msg=f"{name}: d{k}")
    for training in (False, True):          # auto prices the new cell by the fallback, never a KeyError
        assert net.engine("auto", batch=8, steps=20, training=training) in net.schedules()


def test_a_cell_without_figures_is_priced_per_gate_from_the_measured_cells(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cells.CELLS, "lstm", _NewLSTM())       # the LSTM loses its figures
    fig = cost.figures("lstm", "dense")
    # G = 4 times the mean of Elman's (G = 1) and GRU's (G = 3) dense figures per gate; the calibration the mean.
    assert fig.step_us == pytest.approx((4 * (2.7 + 26.7 / 3) / 2, 4 * (6.4 + 1.5 / 3) / 2))
    assert fig.pointwise_us == pytest.approx((4 * (0.00003 + 0.0025 / 3) / 2, 4 * (0.0028 + 0.0179 / 3) / 2))
    assert fig.scale == pytest.approx(((0.92 + 0.90) / 2, (0.51 + 0.61) / 2))
    assert cost.figures("lstm", "blocks") == cost.figures("lstm", "sparse")
    plan = _net("lstm", "stacked").plan
    costs = cost.schedule_costs(plan, 8, 20, ("dense", "wavefront", "layers", "sparse", "blocks"), True)
    assert all(math.isfinite(v) and v > 0 for v in costs.values()), costs


def test_a_cell_keeps_its_measured_figures() -> None:
    assert cost.figures("gru", "layers") == cost.Figures((16.2, 10.5), (0.0016, 0.0013), (0.88, 0.88))
    with pytest.raises(ValueError, match="cell"):
        cost.figures("rnn", "dense")
    with pytest.raises(ValueError, match="schedule"):
        cost.figures("gru", "fast")


def test_a_cell_missing_a_pointwise_step_cannot_be_made() -> None:
    class Half(cells.Cell):
        name = "half"

        def forward_pointwise(self, *args: object) -> None:
            pass

    with pytest.raises(TypeError, match="abstract") as e:
        Half()
    for step in ("step_locals", "backward_pointwise", "wave_pointwise", "wave_locals", "wave_backward_pointwise"):
        assert step in str(e.value)
    assert "forward_pointwise" not in str(e.value)
