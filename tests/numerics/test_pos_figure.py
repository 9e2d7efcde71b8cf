"""The tagging figure shows the table's numbers and names a baseline it cannot show."""

from __future__ import annotations

import numpy as np

from numerics.figures.pos import plot_pos

ROWS = [
    {"kind": "delayed", "model": "d-LSTM d=0", "delay": 0, "accuracy_mean": 89.0, "accuracy_sd": 0.13},
    {"kind": "delayed", "model": "d-LSTM d=1", "delay": 1, "accuracy_mean": 91.0, "accuracy_sd": 0.02},
    {"kind": "bidirectional", "model": "bi-LSTM", "delay": "", "accuracy_mean": 91.7, "accuracy_sd": 0.04},
    {"kind": "stacked", "model": "stacked LSTM ×2", "delay": "", "accuracy_mean": 88.7, "accuracy_sd": 0.42},
    {"kind": "baseline", "model": "majority tag", "delay": "", "accuracy_mean": 86.2, "accuracy_sd": ""},
]


def _legend_texts(ax):
    return [t.get_text() for legend in ax.figure.legends for t in legend.get_texts()]


def test_points_and_lines_are_the_rows():
    ax = plot_pos(ROWS)
    line = ax.lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [0, 1])
    np.testing.assert_array_equal(line.get_ydata(), [89.0, 91.0])
    lo, hi = ax.get_ylim()
    # Every network's mean ± s.d. is inside the axis; the baseline far below it is not drawn but named.
    assert lo <= 88.7 - 0.42 and hi >= 91.7 + 0.04
    assert not any(np.allclose(ln.get_ydata(), 86.2) for ln in ax.lines)
    texts = _legend_texts(ax)
    assert "bi-LSTM (91.70%)" in texts and "stacked LSTM ×2 (88.70%)" in texts
    assert any("majority tag: 86.20% (off the axis)" in t for t in texts)


def test_a_baseline_inside_the_axis_is_drawn():
    rows = [dict(r, accuracy_mean=89.5) if r["kind"] == "baseline" else r for r in ROWS]
    ax = plot_pos(rows)
    assert any(np.allclose(ln.get_ydata(), 89.5) for ln in ax.lines)
    assert "majority tag (89.50%)" in _legend_texts(ax)
