"""The bidirectional figures draw what the construction computes (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from numerics.figures.bidirectional import plot_conversion, plot_horizon_error, plot_pipeline


def _cell_texts(ax):
    """``{(row label, step): text}`` of the pipeline table."""
    rows = [t.get_text().split(" ")[0] for t in ax.get_yticklabels()]
    return {(rows[round(t.get_position()[1])], round(t.get_position()[0])): t.get_text() for t in ax.texts}


def test_pipeline_holds_the_truncated_window():
    ax = plot_pipeline(h=3, steps=12, t=2)
    cells = _cell_texts(ax)
    # Stage h at step t + 2h holds the backward cell run over x_{t+h}, …, x_t; the forward block holds h^f_t.
    assert cells[("b1.3", 8)] == r"$\tilde b[2{:}5]$"
    assert cells[("h1", 8)] == "$h^f_{2}$"
    assert cells[("x@0", 5)] == "$x_{5}$" and cells[("x@5", 7)] == "$x_{2}$"
    # Before a stage reaches a real step it holds nothing meaningful.
    assert cells[("b1.2", 4)] == "·" and cells[("b1.2", 5)] == r"$\tilde b[1{:}3]$"
    assert "delay 6" in ax.get_title()


def test_horizon_error_stays_below_the_bound():
    ax = plot_horizon_error(rhos=(0.6,), width=3, T=20, horizons=range(0, 12, 2))
    measured, bound = (np.asarray(line.get_ydata()) for line in ax.get_lines()[:2])
    assert np.all(measured <= bound) and measured[-1] < measured[0] * 1e-3
    np.testing.assert_allclose(bound, np.sqrt(3) * 0.6 ** (np.arange(0, 12, 2) + 1))


def test_horizon_error_rejects_a_non_contractive_rho():
    with pytest.raises(ValueError, match="rhos"):
        plot_horizon_error(rhos=(1.2,), horizons=(0, 1))


def test_conversion_figure_from_a_record():
    record = {"task": "sine", "metric": "nmse", "lookahead_needed": 2, "bidirectional": {"nmse": 0.1},
              "converted": [{"h": h, "lookahead": h, "latency": 2 * h, "nmse": 1.0 / (h + 1)} for h in range(5)],
              "drnn": [{"delay": d, "lookahead": d, "latency": d, "nmse": 0.5 / (d + 1)} for d in (0, 2, 4)]}
    fig = plot_conversion(record)
    right = fig.axes[1]
    xs = right.get_lines()[0].get_xdata()
    assert list(xs) == [0, 2, 4, 6, 8]  # the converted network's latency is 2h
    with pytest.raises(ValueError, match="drnn"):
        plot_conversion({k: v for k, v in record.items() if k != "drnn"})
