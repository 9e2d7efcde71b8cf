"""The look shared by every figure: type sizes, colours, and how a figure gets its Axes.

Every plot function takes an optional ``ax=`` (or ``fig=``) and returns it;
:func:`new_axes` and :func:`new_figure` create a ``matplotlib.figure.Figure``
directly, not through ``pyplot``, so drawing needs no GUI backend and leaves
no global figure state behind (works under ``Agg``, in notebooks and in the
``drnn figures`` command). Type sizes are chosen so that a figure saved at
its default size is readable on a slide.
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from numerics.figures.palette import OKABE_ITO
from theory._checks import check_type

#: Font sizes (points) used on every figure: readable when a figure is shown on a slide.
TITLE_SIZE = 15
LABEL_SIZE = 13
TICK_SIZE = 11
TEXT_SIZE = 11

#: Most layers or time steps of a figure that draws every node of a (layer × time) grid: past it the nodes
#: are illegible, and a mistyped size (10**5) would draw for minutes or exhaust memory.
MAX_GRID = 32

#: Most time steps of a figure that plots series over time (beyond it a line is a blur).
MAX_STEPS = 1000

#: Colours of the edge kinds of docs/theory/acausality.md (by represented-time shift), from the
#: colour-blind-safe Okabe–Ito palette; tests/numerics/test_palette.py checks them under deuteranopia.
SHIFT_COLOURS = {
    "input": OKABE_ITO["sky blue"],
    "vertical": OKABE_ITO["sky blue"],
    "recurrent": OKABE_ITO["yellow"],
    "acausal": OKABE_ITO["vermillion"],
    "feedback": OKABE_ITO["reddish purple"],
}

#: Opacity of the block colours in the block-matrix and sparsity figures.
BLOCK_ALPHA = {"block_matrices": 0.55, "sparsity": 0.8}

#: Colour of what a figure highlights (the wavefront, a receptive field's boundary).
HIGHLIGHT = OKABE_ITO["vermillion"]

#: Colour of the cells a receptive field covers.
FIELD_COLOUR = OKABE_ITO["sky blue"]

#: Colours of the cells compared in the GRU counterexample figure.
CELL_COLOURS = {
    "elman": OKABE_ITO["blue"],
    "lstm": OKABE_ITO["bluish green"],
    "gru": OKABE_ITO["vermillion"],
    "gru-own": OKABE_ITO["orange"],
}

#: Gate names of each cell, in PyTorch's order.
GATE_NAMES = {"elman": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}

def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new constrained-layout Figure of ``figsize`` inches if ``ax`` is None."""
    if ax is None:
        return Figure(figsize=figsize, layout="constrained").add_subplot()
    return check_type(ax, Axes, "ax", "a matplotlib Axes or None")


def new_figure(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    """``fig``, or a new constrained-layout Figure of ``figsize`` inches if ``fig`` is None."""
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    return check_type(fig, Figure, "fig", "a matplotlib Figure or None")


def check_figure(fig: object, name: str = "fig") -> Figure:
    """Return ``fig`` if it is a matplotlib Figure, else raise ``TypeError``."""
    return check_type(fig, Figure, name, "a matplotlib Figure")


def pad_rows(fig: Figure, h_pad: float) -> None:
    """Extra vertical padding (inches) between rows when the figure uses the constrained layout."""
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "h_pad" in engine.get():
        engine.set(h_pad=h_pad)


def set_labels(ax: Axes, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
          title_size: float = TITLE_SIZE) -> Axes:
    """Title and axis labels at the slide sizes; returns ``ax``."""
    if title is not None:
        ax.set_title(title, fontsize=title_size)
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    return ax


def plain_log_ticks(axis: Any) -> None:
    """Log-axis ticks at 1, 2, 5 × 10^k labelled as plain numbers (``0.5``, ``2``, ``20``), not ``2×10^0``."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())
