"""Slide figures: 16:9, every text at least 18 px at 1024 px wide, and the measurement itself."""

import pytest
from matplotlib.figure import Figure

from numerics.figures.slides import (
    MIN_TEXT_PX,
    SLIDE_FIGURES,
    SLIDE_WIDTH_PX,
    enlarge_text,
    plot_gate_matrices,
    slide_figure,
    slide_receptive,
    slide_sparsity,
    smallest_text_px,
    text_sizes_px,
)
from theory.layout import stacked_plan


@pytest.mark.parametrize("name", list(SLIDE_FIGURES))
def test_slide_figure_is_16_9_and_readable_at_1024_px(name):
    fig = SLIDE_FIGURES[name]()
    w, h = fig.get_size_inches()
    assert w / h == pytest.approx(16 / 9)
    sizes = text_sizes_px(fig, SLIDE_WIDTH_PX)
    assert len(sizes) >= 5, "a slide figure has a title, labels and ticks"
    px, text = sizes[0]
    assert px >= MIN_TEXT_PX, f"{name}: {text!r} is {px:.1f} px at {SLIDE_WIDTH_PX} px wide"


def test_measurement_follows_points_and_width():
    fig = Figure(figsize=(8, 4.5))
    fig.text(0.5, 0.5, "nine points", fontsize=9)
    fig.text(0.5, 0.2, "eighteen points", fontsize=18)
    # 9 pt = 0.125 in; the figure is 8 in shown 1024 px wide, 128 px per inch: 16 px.
    assert text_sizes_px(fig, 1024) == [(16.0, "nine points"), (32.0, "eighteen points")]
    assert smallest_text_px(fig, 2048) == 32.0
    assert smallest_text_px(Figure()) == float("inf")
    with pytest.raises(ValueError, match="width_px"):
        text_sizes_px(fig, 0)


def test_measurement_sees_tick_labels_and_enlarge_text_fixes_them():
    fig = slide_figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=6)
    assert smallest_text_px(fig) < MIN_TEXT_PX
    enlarge_text(fig)
    assert smallest_text_px(fig) >= MIN_TEXT_PX


def test_the_notes_spectrum_would_fail_on_a_slide():
    # The 10-panel notes figure is why the slide set exists: its ticks are far below 18 px at 1024 px.
    from numerics.figures import plot_receptive_spectrum
    assert smallest_text_px(plot_receptive_spectrum(T=6)) < MIN_TEXT_PX


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: text_sizes_px(Figure(), "wide"), TypeError, r"width_px must be a real number; got str"),
    (lambda: text_sizes_px(Figure(), float("nan")), ValueError, r"width_px must be finite"),
    (lambda: text_sizes_px(None), TypeError, r"fig must be a matplotlib Figure; got NoneType"),
    (lambda: smallest_text_px(Figure(), [1024]), TypeError, r"width_px must be a real number"),
    (lambda: smallest_text_px("fig"), TypeError, r"fig must be a matplotlib Figure; got str"),
    (lambda: enlarge_text(Figure(), -1.0), ValueError, r"min_pt must be > 0"),
    (lambda: plot_gate_matrices(stacked_plan("lstm", 1, [1, 1]), fig=1), TypeError, r"fig must be a matplotlib Figure"),
    (lambda: plot_gate_matrices(None), TypeError, r"plan must be a theory.layout.Plan"),
    # The factories check before returning a drawing function, not when it is called later.
    (lambda: slide_receptive(5), ValueError, r"index"),
    (lambda: slide_receptive("0"), TypeError, r"index"),
    (lambda: slide_sparsity("no such topology"), ValueError, r"name"),
    (lambda: slide_sparsity(None), TypeError, r"name"),
])
def test_bad_arguments_are_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
