"""The catalogue of lecture figures: names, drawing functions and captions (``drnn figures``, the docs gallery)."""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.figure import Figure

from numerics.figures._style import check_figure
from numerics.figures.architecture import plot_block_matrices, plot_sparsity_patterns, plot_wavefront
from numerics.figures.bidirectional import plot_horizon_error, plot_pipeline
from numerics.figures.gru import plot_gru_counterexample
from numerics.figures.receptive import plot_receptive_spectrum
from numerics.figures.slides import enlarge_text
from theory._checks import check_real
from theory.layout import stacked_plan

#: Smallest text of a notes figure, in pixels when the figure is shown 1024 pixels wide (a projector).
NOTES_MIN_TEXT_PX = 12.0

#: Width in pixels at which the docs show a figure in a 1024-pixel-wide browser window: the Read the Docs
#: theme leaves 1024 - 300 (menu) - 2 × 52 (padding) = 620 pixels for the text column, and an image wider
#: than the column is scaled down to it.
DOCS_COLUMN_PX = 620.0


def readable_at_1024(fig: Figure, min_px: float = NOTES_MIN_TEXT_PX) -> Figure:
    """Raise every text of ``fig`` to at least ``min_px`` pixels at 1024 pixels wide; returns ``fig``.

    A font of ``p`` points in a figure ``w`` inches wide shown 1024 pixels
    wide is ``p · 1024 / (72 w)`` pixels tall, so the smallest font allowed
    is ``min_px · 72 w / 1024`` points (rounded up to a tenth).

    Raises
    ------
    TypeError, ValueError
        If ``fig`` is not a Figure or ``min_px`` is not a number in ``(0, 1024]``.
    """
    fig = check_figure(fig)
    min_px = check_real(min_px, "min_px", positive=True)
    if min_px > 1024:
        raise ValueError(f"min_px must be at most 1024, the width the figure is shown at; got {min_px}")
    min_pt = -(-min_px * 72.0 * fig.get_figwidth() * 10 // 1024) / 10
    return enlarge_text(fig, min_pt)


def readable_in_docs(fig: Figure, min_px: float = NOTES_MIN_TEXT_PX) -> Figure:
    """Raise every text of ``fig`` to at least ``min_px`` pixels when shown in a docs column; returns ``fig``.

    The figure is shown :data:`DOCS_COLUMN_PX` pixels wide on a page viewed at 1024 pixels, so a font of
    ``p`` points in a figure ``w`` inches wide is ``p · 620 / (72 w)`` pixels tall. Figures embedded in the
    docs pages are drawn narrow enough (about 7 to 8 inches) that this leaves ordinary font sizes.

    Raises
    ------
    TypeError, ValueError
        If ``fig`` is not a Figure or ``min_px`` is not a number in ``(0, 620]``.
    """
    fig = check_figure(fig)
    min_px = check_real(min_px, "min_px", positive=True)
    if min_px > DOCS_COLUMN_PX:
        raise ValueError(f"min_px must be at most {DOCS_COLUMN_PX:g}, the width the figure is shown at; got {min_px}")
    return readable_at_1024(fig, min_px * 1024 / DOCS_COLUMN_PX)


#: Name → zero-argument function drawing each lecture figure (used by ``drnn figures``).
FIGURES: dict[str, Callable[[], Figure]] = {
    "wavefront": lambda: readable_in_docs(plot_wavefront(L=4, T=8, step=5).figure),
    "block_matrices": lambda: plot_block_matrices(stacked_plan("elman", 3, [4, 5, 2])),
    "block_matrices_lstm": lambda: plot_block_matrices(stacked_plan("lstm", 2, [3, 2], None)),
    "sparsity_patterns": lambda: readable_in_docs(plot_sparsity_patterns()),
    "gru_counterexample": lambda: readable_in_docs(plot_gru_counterexample()),
    "receptive_fields": lambda: readable_at_1024(plot_receptive_spectrum()),
    "bidirectional_pipeline": lambda: readable_in_docs(plot_pipeline(h=2, steps=8, t=2).figure),
    "horizon_error": lambda: readable_in_docs(plot_horizon_error().figure),
}

#: Name → (title, one-paragraph caption) of each figure in :data:`FIGURES`, for galleries.
FIGURE_CAPTIONS: dict[str, tuple[str, str]] = {
    "wavefront": (
        "One d-RNN step is a diagonal wavefront",
        "The unrolled 4-layer stacked network; node $h^l_t$ is coloured and numbered by the step of the "
        "equivalent delayed network that computes it, $t + l - 1$. The highlighted anti-diagonal is what a "
        "single step of the wide layer computes: every layer at once, each at its own lag.",
    ),
    "block_matrices": (
        "Block matrices of the construction",
        "Input, recurrent and read-out matrices of the delayed network equal to a 3-layer stacked Elman "
        "network (widths 4, 5, 2). Each non-zero block names the stacked parameter copied into it; "
        "colours give the time shift of the connection.",
    ),
    "block_matrices_lstm": (
        "The same layout, gate by gate (LSTM)",
        "For an LSTM every gate (i, f, g, o, PyTorch order) gets the block layout of the Elman "
        "construction; the cell state uses the same blocks and start rule.",
    ),
    "sparsity_patterns": (
        "The topologies in between",
        "Block-sparsity patterns from the stacked network to the dense d-RNN, all with delay 3. Each "
        "entry is the shift in represented time that the connection carries; negative shifts are "
        "look-ahead.",
    ),
    "receptive_fields": (
        "The spectrum of topologies: receptive fields",
        "Top: $\\log_{10}|\\partial y_t/\\partial x_s|$ of random networks from the stacked network "
        "(look-ahead 0) through relaxed block patterns to the dense d-RNN (look-ahead $d = 3$) and a "
        "bidirectional network (the whole sequence), with the structural field's boundary in vermillion. "
        "Bottom: the exact structural field computed from the plan alone; the Jacobian's support "
        "matches it in every case (structural zeros are exact zeros).",
    ),
    "gru_counterexample": (
        "LSTM holds, GRU breaks",
        "A stacked GRU against the GRU assembled with the same block layout: they differ from the first "
        "step, while the Elman and LSTM constructions agree to rounding. The reset gate of the single "
        "layer multiplies the lower block's contribution to the candidate state; the own-reset d-GRU, "
        "whose reset gate acts on each block's own recurrence only, agrees to rounding again.",
    ),
    "bidirectional_pipeline": (
        "A horizon-2 bidirectional layer as one delayed layer",
        "Each row is a block of the single layer compiled from a bidirectional Elman layer with backward "
        "horizon 2, each column a d-RNN step. The input delay line shifts $x$ down one slot per step; stage "
        "$j$ of the backward pipeline applies the backward cell to $x_{\\tau-2j}$ and to stage $j-1$'s previous "
        "state, so it holds the backward cell run over $x_{\\tau-j}, \\dots, x_{\\tau-2j}$. Outlined: the cells "
        "that make the output for $t = 2$, read at step $t + 2h = 6$.",
    ),
    "horizon_error": (
        "Truncation error against horizon, with its bound",
        "A random bidirectional tanh layer whose backward recurrent matrix is rescaled to "
        "$\\|U_b\\|_2 = \\rho$: the largest distance between the horizon-$h$ streaming layer and the full "
        "bidirectional layer (markers) decays geometrically and stays below $\\sqrt{n}\\,\\rho^{h+1}$ (dashed).",
    ),
}


__all__ = [
    "FIGURES",
    "FIGURE_CAPTIONS",
    "NOTES_MIN_TEXT_PX",
    "readable_at_1024",
]
