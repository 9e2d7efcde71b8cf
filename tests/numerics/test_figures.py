"""Figure functions: they draw under Agg, honour ``ax=``/``fig=``, and label everything."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from numerics import StackedRNN
from numerics.figures.architecture import plot_block_matrices, plot_sparsity_patterns, plot_wavefront
from numerics.figures.catalogue import FIGURES, readable_at_1024
from numerics.figures.gru import plot_gru_counterexample
from numerics.figures.receptive import (
    jacobian_magnitude,
    plot_receptive_field,
    plot_receptive_spectrum,
    receptive_spectrum,
)
from numerics.models import delayed_gru
from theory.layout import stacked_plan
from theory.topologies import shift_kind, topology_patterns


def _labelled(ax: Axes) -> None:
    assert ax.get_title(), "every panel has a title"
    assert ax.get_xlabel(), f"panel {ax.get_title()!r} has an x label"


def test_wavefront_returns_axes_with_labels_and_colourbar() -> None:
    ax = plot_wavefront(L=3, T=5, step=[3, 4])
    assert isinstance(ax, Axes)
    _labelled(ax)
    assert "L = 3" in ax.get_title() and "d = 2" in ax.get_title()
    # main axes plus a colour bar
    assert len(ax.figure.axes) == 2
    assert ax.figure.legends, "the wavefront figure has a legend"


def test_wavefront_draws_into_given_axes() -> None:
    fig = Figure()
    ax = fig.add_subplot()
    assert plot_wavefront(L=2, T=3, ax=ax) is ax


@pytest.mark.parametrize(("kwargs", "error"), [
    (dict(L=0), ValueError), (dict(T=-1), ValueError), (dict(L=2, T=3, step=5), ValueError),
    (dict(step="2"), TypeError), (dict(ax="axes"), TypeError),
])
def test_wavefront_rejects_bad_arguments(kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        plot_wavefront(**kwargs)


@pytest.mark.parametrize("arg", ["L", "T"])
def test_wavefront_refuses_a_grid_too_large_to_draw(arg: str) -> None:
    with pytest.raises(ValueError, match=rf"{arg} must be an int in \[1, 32\]; got 100000"):
        plot_wavefront(**{arg: 10**5})


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: plot_gru_counterexample(T=10**5), ValueError, r"T must be an int in \[1, 1000\]"),
    (lambda: plot_gru_counterexample(hidden_sizes=None), TypeError, r"hidden_sizes must be a non-empty sequence"),
    (lambda: plot_gru_counterexample(hidden_sizes=(2, 10**5)), ValueError, r"hidden_sizes must have 2 to 32 layers"),
    (lambda: plot_gru_counterexample(input_size=2.0), TypeError, r"input_size must be an int"),
    (lambda: plot_gru_counterexample(seed="x"), TypeError, r"seed must be None, an int >= 0"),
    (lambda: plot_gru_counterexample(fig="fig"), TypeError, r"fig must be a matplotlib Figure or None"),
])
def test_gru_counterexample_names_a_bad_argument(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: receptive_spectrum(T=10**5), ValueError, r"T must be an int in \[1, 32\]"),
    (lambda: receptive_spectrum(L=2), ValueError, r"L must be an int in \[3, 32\]; got 2"),
    (lambda: receptive_spectrum(L=4, width=64), ValueError, r"width must keep the networks at L · width <= 128"),
    (lambda: receptive_spectrum(seed=1.5), TypeError, r"seed must be None, an int >= 0"),
    (lambda: plot_receptive_spectrum(T=3, L=3, width=1, fig=[]), TypeError, r"fig must be a matplotlib Figure"),
    (lambda: plot_receptive_field(np.array(["a"])), TypeError, r"jacobian must be a numeric array"),
    (lambda: plot_receptive_field(np.zeros((2, 1, 2, 1)), log_min=float("nan")), ValueError, r"log_min must be finite"),
    (lambda: plot_receptive_field(np.zeros((2, 1, 2, 1)), title=3), TypeError, r"title must be a str or None"),
    (lambda: plot_receptive_field(np.zeros((2, 1, 2, 1)), colorbar=None), TypeError, r"colorbar must be a bool"),
])
def test_receptive_figures_name_a_bad_argument(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: plot_sparsity_patterns([1.5]), TypeError, r"plans\[0\] must be a theory.layout.Plan; got float"),
    (lambda: plot_block_matrices(stacked_plan("elman", 1, [1]), show_values=np.ones(3)), TypeError,
     r"show_values must be a bool or None; got ndarray"),
])
def test_architecture_figures_name_a_bad_argument(call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    (dict(fig=None), TypeError, r"fig must be a matplotlib Figure; got NoneType"),
    (dict(min_px="12"), TypeError, r"min_px must be a real number"),
    (dict(min_px=float("inf")), ValueError, r"min_px must be finite"),
    (dict(min_px=1e84), ValueError, r"min_px must be at most 1024"),
])
def test_readable_at_1024_names_a_bad_argument(kwargs, exc, match) -> None:
    with pytest.raises(exc, match=match):
        readable_at_1024(**{"fig": Figure(), **kwargs})


@pytest.mark.parametrize("cell", ["elman", "lstm"])
def test_block_matrices_of_a_plan_name_every_stacked_block(cell: str) -> None:
    plan = stacked_plan(cell, 3, [4, 5, 2], None if cell == "lstm" else "tanh")
    fig = plot_block_matrices(plan)
    assert isinstance(fig, Figure)
    ax_ih, ax_hh, ax_out = fig.axes[:3]
    for ax in (ax_ih, ax_hh, ax_out):
        _labelled(ax)
    texts = {t.get_text().replace("\n", "") for t in ax_hh.texts}
    assert {"weight_hh_l0", "weight_hh_l1", "weight_hh_l2", "weight_ih_l1", "weight_ih_l2"} <= texts
    assert "weight_ih_l0" in {t.get_text().replace("\n", "") for t in ax_ih.texts}
    assert fig.axes[3].get_legend() is not None


def test_block_matrices_of_a_network_show_values_with_colour_bar() -> None:
    net = StackedRNN.random(3, [2, 2], seed=1).to_delayed()
    fig = plot_block_matrices(net)
    assert fig.axes[1].images, "weights are drawn as an image"
    assert any(ax.get_ylabel() == "weight value" for ax in fig.axes)


def test_block_matrices_reject_bad_input() -> None:
    with pytest.raises(TypeError, match="Plan or a DelayedRNN"):
        plot_block_matrices(np.eye(3))
    with pytest.raises(ValueError, match="show_values"):
        plot_block_matrices(stacked_plan("elman", 1, [1]), show_values=True)


def test_topology_patterns_span_stacked_to_dense() -> None:
    plans = topology_patterns(L=3)
    names = list(plans)
    assert names[0] == "stacked" and names[-1] == "dense"
    assert plans["stacked"].recurrent_block_mask().sum() == 3 + 2
    assert plans["input to all"].input_block_mask().all()
    assert plans["dense"].recurrent_block_mask().all()
    with pytest.raises(ValueError):
        topology_patterns(L=2)


def test_sparsity_patterns_one_labelled_panel_per_plan() -> None:
    fig = plot_sparsity_patterns(topology_patterns(L=3))
    assert len(fig.axes) == 5  # three a row: the spare sixth panel is removed
    for ax in fig.axes:
        _labelled(ax)
    assert fig.legends
    assert "-2" in {t.get_text() for t in fig.axes[-1].texts}, "dense pattern shows two steps of look-ahead"
    with pytest.raises(ValueError):
        plot_sparsity_patterns({})
    with pytest.raises(TypeError):
        plot_sparsity_patterns({"x": "not a plan"})


def test_shift_kinds() -> None:
    assert [shift_kind(s) for s in (-2, 0, 1, 3)] == ["acausal", "vertical", "recurrent", "feedback"]


def test_full_reset_delayed_gru_differs_from_stacked_gru() -> None:
    net = StackedRNN.random(2, [2, 2], cell="gru", seed=0, scale=1.0)
    x = np.random.default_rng(0).normal(size=(6, 1, 2))
    d = delayed_gru(net, "full")
    assert d.delay == 1 and d.cell == "gru"
    assert np.abs(net(x) - d(x)).max() > 1e-2
    with pytest.raises(ValueError, match="GRU"):
        delayed_gru(StackedRNN.random(2, [2, 2], seed=0))


def test_gru_counterexample_figure() -> None:
    fig = plot_gru_counterexample(T=5)
    ax_y, ax_e = fig.axes[:2]
    for ax in (ax_y, ax_e):
        _labelled(ax)
        assert ax.get_ylabel()
        assert ax.get_legend() is not None
    assert ax_e.get_yscale() == "log"
    gru, own, lstm, elman = (line.get_ydata() for line in ax_e.get_lines()[:4])
    assert gru.max() > 1e-2 and own.max() < 1e-12 and lstm.max() < 1e-12 and elman.max() < 1e-12
    with pytest.raises(ValueError):
        plot_gru_counterexample(hidden_sizes=[3])


def test_registry_draws_figures() -> None:
    assert {"wavefront", "block_matrices", "sparsity_patterns", "gru_counterexample"} <= set(FIGURES)
    fig = FIGURES["wavefront"]()
    assert isinstance(fig, Figure)


def test_receptive_field_heat_map_with_boundary() -> None:
    from numerics import DelayedRNN
    from numerics.models.jacobian import input_jacobian

    net = DelayedRNN.random(topology_patterns(L=3)["skip 1 layer"], seed=0)
    J = input_jacobian(net, np.random.default_rng(0).normal(size=(6, 1)))
    mag = jacobian_magnitude(J)
    assert mag.shape == (6, 6)
    ax = plot_receptive_field(J, mag > 0, title="skip 1 layer")
    _labelled(ax)
    assert ax.get_ylabel() == "output time $t$"
    assert ax.images and ax.collections, "heat map and boundary are drawn"
    assert len(ax.figure.axes) == 2, "with a colour bar"
    with pytest.raises(ValueError, match="field"):
        plot_receptive_field(J, np.ones((5, 5), bool))
    with pytest.raises(ValueError, match="jacobian"):
        jacobian_magnitude(np.zeros((3, 3)))


def test_receptive_spectrum_fields_match_jacobians() -> None:
    entries = receptive_spectrum(T=7, L=3)
    assert [e["name"] for e in entries] == ["stacked", "skip 1 layer", "skip 1–2 layers", "dense d-RNN",
                                            "bidirectional"]
    assert [e["lookahead"] for e in entries] == [0, 1, 1, 2, 6]
    assert all(e["matches"] for e in entries), "the Jacobian's support is the structural field"
    fig = plot_receptive_spectrum(T=7, L=3)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 10
    for ax in panels:
        _labelled(ax)
    assert fig.legends and any(ax.get_label() == "<colorbar>" for ax in fig.axes)


@pytest.mark.parametrize("name", list(FIGURES))
def test_notes_figures_are_readable_at_1024_px(name):
    """Every lecture-notes figure shown 1024 px wide (a projector) has no text below 12 px."""
    from numerics.figures.catalogue import NOTES_MIN_TEXT_PX
    from numerics.figures.slides import smallest_text_px

    fig = FIGURES[name]()
    assert smallest_text_px(fig, 1024) >= NOTES_MIN_TEXT_PX


#: Figures of the catalogue that docs pages embed, found by reading the pages (whoever edits them).
_DOCS = Path(__file__).resolve().parents[2] / "docs"
_EMBEDDED = sorted({m for page in _DOCS.rglob("*.md") if page.name != "gallery.md"
                    for m in re.findall(r"_generated/gallery/(\w+)\.png", page.read_text(encoding="utf-8"))})


@pytest.mark.parametrize("name", _EMBEDDED)
def test_figures_embedded_in_docs_pages_are_readable_in_the_column(name):
    """Shown in the 620-px text column of a page viewed 1024 px wide, no text is below 12 px, at ordinary sizes."""
    from numerics.figures.catalogue import DOCS_COLUMN_PX, NOTES_MIN_TEXT_PX
    from numerics.figures.slides import text_sizes_px

    fig = FIGURES[name]()
    sizes = text_sizes_px(fig, DOCS_COLUMN_PX)
    assert sizes[0][0] >= NOTES_MIN_TEXT_PX, sizes[0]
    # Readable because the figure is narrow, not because 6-inch-high letters were forced on a wide figure.
    assert fig.get_figwidth() <= 10.0 and max(t.get_fontsize() for t in fig.findobj(Text)) <= 20


@pytest.mark.parametrize("profile", ["quick", "standard"])
def test_experiment_plots_of_the_docs_are_narrow_and_readable(profile):
    from numerics.experiments.storage import load_records
    from numerics.figures.catalogue import DOCS_COLUMN_PX, NOTES_MIN_TEXT_PX, readable_in_docs
    from numerics.figures.experiments import plot_reversal, plot_runtime, plot_sine
    from numerics.figures.slides import text_sizes_px

    records = load_records(_DOCS.parent / "benchmarks" / f"reproduce-{profile}")
    assert records
    for fig in (plot_reversal(records).figure, plot_sine(records), plot_runtime(records)):
        assert fig.get_figwidth() <= 8.0
        assert text_sizes_px(readable_in_docs(fig), DOCS_COLUMN_PX)[0][0] >= NOTES_MIN_TEXT_PX
        assert max(t.get_fontsize() for t in fig.findobj(Text)) <= 16
