"""The bidirectional figures draw what the construction computes (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from numerics.figures.bidirectional import plot_conversion, plot_horizon_error, plot_pipeline


def _cell_texts(ax):
    """``{(row label, step): text}`` of the pipeline table."""
    names = {"input": "x@", "backward": "b1.", "forward": "h1"}
    labels = [t.get_text() for t in ax.get_yticklabels()]
    rows = [names[s.split(" ")[0]] + ("" if s.startswith("forward") else s.split(" ")[-1]) for s in labels]
    return {(rows[round(t.get_position()[1])], round(t.get_position()[0])): t.get_text() for t in ax.texts}


def test_pipeline_holds_the_truncated_window():
    ax = plot_pipeline(h=3, steps=12, t=2)
    cells = _cell_texts(ax)
    # Stage h at step t + 2h holds the backward cell run over x_{t+h}, …, x_t; the forward block holds h^f_t.
    assert cells[("b1.3", 8)] == r"$\tilde h^b_{2:5}$"
    assert cells[("h1", 8)] == "$h^f_{2}$"
    assert cells[("x@0", 5)] == "$x_{5}$" and cells[("x@5", 7)] == "$x_{2}$"
    # Before a stage reaches a real step it holds nothing meaningful.
    assert cells[("b1.2", 4)] == "·" and cells[("b1.2", 5)] == r"$\tilde h^b_{1:3}$"
    assert "= 6" in ax.get_title() and "$2h$" in ax.get_title()


def test_pipeline_defines_every_symbol_it_shows():
    # Row labels are words; the cell symbols x_{τ-i} and h̃^b_{a:b} are defined in the legend's title.
    ax = plot_pipeline(h=2, steps=7, t=2)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert not any("@" in s or "lag" in s or s.startswith("b1.") for s in labels), labels
    assert labels[0] == "input slot 0" and labels[-1] == "forward block"
    legend = ax.get_legend().get_title().get_text()
    assert r"slot $i$ holds $x_{\tau-i}$" in legend and r"$\tilde h^b_{a:b}$ = backward cell run" in legend


def test_horizon_error_has_integer_ticks_and_math_bound():
    ax = plot_horizon_error(rhos=(0.5,), width=2, T=12, horizons=(0, 1, 2, 3, 4, 5, 6, 7))
    ticks = ax.get_xticks()
    assert np.all(ticks == np.round(ticks)), ticks
    legend = ax.get_legend()
    assert r"$\sqrt{n}\,\rho^{h+1}$" in legend.get_title().get_text()
    assert not any("^(" in t.get_text() for t in legend.get_texts())


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


def _spread(values):
    return {"mean": float(np.mean(values)), "min": float(min(values)), "max": float(max(values)),
            "std": float(np.std(values)), "n": len(values)}


def _summary():
    return {"task": "reversal", "metric": "accuracy", "lookahead_needed": 3, "seeds": [0, 1, 2],
            "bidirectional": {"accuracy": _spread([0.8, 0.85, 0.9])},
            "converted": [{"h": h, "lookahead": h, "latency": 2 * h, "accuracy": _spread([0.5 + h / 10 + e
                                                                                          for e in (0, .02, .05)])}
                          for h in range(4)],
            "drnn": [{"delay": d, "lookahead": d, "latency": d, "accuracy": _spread([0.6, 0.7 + d / 20, 0.75])}
                     for d in (0, 3)]}


def test_conversion_figure_from_a_multi_seed_summary_draws_means_and_ranges():
    fig = plot_conversion(_summary())
    left = fig.axes[0]
    conv = left.get_lines()[0]
    np.testing.assert_allclose(conv.get_ydata(), [np.mean([0.5 + h / 10 + e for e in (0, .02, .05)])
                                                  for h in range(4)])
    # The converted network's min-max band spans the seeds at every horizon.
    band = left.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.5) and band[:, 1].max() == pytest.approx(0.85)
    # The d-RNN error bars go from the worst to the best seed.
    bars = next(c for c in left.collections if c.__class__.__name__ == "LineCollection")
    ends = sorted(tuple(np.round(seg[:, 1], 6)) for seg in bars.get_segments())
    assert ends == [(0.6, 0.75), (0.6, 0.85)]  # d = 3: the middle seed, 0.85, is the best
    assert "3 seeds" in fig._suptitle.get_text()


@pytest.mark.parametrize("change, error, words", [
    (lambda r: r.pop("task"), ValueError, "task"),
    (lambda r: r.update(metric=3), TypeError, "metric"),
    (lambda r: r.update(lookahead_needed=-1), ValueError, "lookahead_needed"),
    (lambda r: r.update(converted=[]), ValueError, "converted"),
    (lambda r: r.update(drnn="rows"), TypeError, "drnn"),
    (lambda r: r["converted"][1].pop("latency"), ValueError, "latency"),
    (lambda r: r["converted"][0].update(accuracy=float("nan")), ValueError, "accuracy"),
    (lambda r: r["drnn"][0].update(accuracy={"mean": 0.5, "min": 0.6, "max": 0.7}), ValueError, "min <= mean"),
    (lambda r: r["drnn"][0].update(accuracy={"mean": 0.5}), ValueError, "min"),
    (lambda r: r.update(bidirectional={}), ValueError, "bidirectional"),
])
def test_conversion_figure_rejects_malformed_records_naming_the_key(change, error, words):
    record = _summary()
    change(record)
    with pytest.raises(error, match=words):
        plot_conversion(record)


def test_conversion_figure_rejects_a_non_record_and_a_bad_fig():
    with pytest.raises(TypeError, match="record"):
        plot_conversion([1, 2])
    with pytest.raises(TypeError, match="fig"):
        plot_conversion(_summary(), fig="figure")
    nmse = {**_summary(), "metric": "nmse", "bidirectional": {"nmse": 0.0}}
    for row in nmse["converted"] + nmse["drnn"]:
        row["nmse"] = 0.1
    with pytest.raises(ValueError, match="log scale"):
        plot_conversion(nmse)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(rhos=0.5), TypeError, "rhos"),
    (dict(rhos=()), ValueError, "rhos"),
    (dict(rhos=(float("nan"),)), ValueError, "rhos"),
    (dict(width=10**9), ValueError, "width"),
    (dict(T=10**6), ValueError, "T"),
    (dict(T=4, horizons=(0, 3)), ValueError, "T = 4"),
    (dict(horizons="01"), TypeError, "horizons"),
    (dict(horizons=range(100)), ValueError, "horizons"),
    (dict(seed=-1), ValueError, "seed"),
    (dict(ax="axes"), TypeError, "ax"),
])
def test_horizon_error_checks_its_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        plot_horizon_error(**{"rhos": (0.5,), "width": 2, "T": 6, "horizons": (0, 1), **kwargs})
