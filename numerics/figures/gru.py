"""The GRU counterexample: the Theorem 1 block layout fails for GRU and holds for Elman and LSTM."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from numerics._validate import check_seed
from numerics.figures._style import CELL_COLOURS, MAX_GRID, MAX_STEPS, TEXT_SIZE, TITLE_SIZE, new_figure, set_labels
from numerics.models import StackedRNN, delayed_gru
from theory._checks import check_count, check_sizes


def _max_error_per_step(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b).reshape(a.shape[0], -1).max(axis=1)


def plot_gru_counterexample(T: int = 12, hidden_sizes: Sequence[int] = (3, 3), input_size: int = 2, *,
                            seed: int = 0, fig: Figure | None = None) -> Figure:
    """Stacked GRU against its naive d-GRU over time (the construction fails), with LSTM for contrast.

    Left: one output unit of a random stacked GRU and of the delayed GRU
    assembled with the Theorem 1 block layout (staggered start), which
    differ. Right: the largest output difference per time step on a log
    scale for GRU, Elman and LSTM networks of the same shape; Elman and
    LSTM stay at rounding level (exact construction), GRU does not — the
    reset gate multiplies block ``l``'s reading of block ``l - 1`` — while
    the own-reset d-GRU (:mod:`numerics.models.gru`, reset gate on each
    block's own recurrence only) is exact again.

    Parameters
    ----------
    T : int
        Sequence length (1 to :data:`~numerics.figures._style.MAX_STEPS`).
    hidden_sizes : sequence of int
        Layer widths: 2 to :data:`~numerics.figures._style.MAX_GRID` layers of at most that many units.
    input_size : int
        1 to :data:`~numerics.figures._style.MAX_GRID`.
    seed : int
        Seed of the random networks and input.
    fig : Figure, optional

    Returns
    -------
    Figure
        Two Axes.

    Raises
    ------
    TypeError, ValueError
        Naming the argument out of range.
    """
    T = check_count(T, "T", maximum=MAX_STEPS)
    hidden_sizes = check_sizes(hidden_sizes, "hidden_sizes")
    if not 2 <= len(hidden_sizes) <= MAX_GRID or max(hidden_sizes) > MAX_GRID:
        raise ValueError(f"hidden_sizes must have 2 to {MAX_GRID} layers (a counterexample needs two) of at most "
                         f"{MAX_GRID} units; got {list(hidden_sizes)[:8]}")
    input_size = check_count(input_size, "input_size", maximum=MAX_GRID)
    rng = np.random.default_rng(check_seed(seed))
    x = rng.normal(size=(T, 1, input_size))
    t = np.arange(1, T + 1)
    fig = new_figure(fig, (7.5, 8.4))
    # Side by side on a wide figure (a slide), one above the other on a page-width one (the docs column).
    w, h = fig.get_size_inches()
    ax_y, ax_e = fig.subplots(1, 2) if w > 1.5 * h else fig.subplots(2, 1)
    floor = 1e-17
    errors = {}
    for cell in ("gru", "lstm", "elman"):
        net = StackedRNN.random(input_size, hidden_sizes, cell=cell, seed=seed, scale=1.0)
        delayed = delayed_gru(net, "full") if cell == "gru" else net.to_delayed("staggered")
        y_s, y_d = net(x), delayed(x)
        errors[cell] = _max_error_per_step(y_s, y_d)
        if cell == "gru":
            y_own = delayed_gru(net, "own")(x)
            errors["gru-own"] = _max_error_per_step(y_s, y_own)
            ax_y.plot(t, y_s[:, 0, 0], "o-", color="black", lw=2, ms=7, label="stacked GRU")
            ax_y.plot(t, y_d[:, 0, 0], "s--", color=CELL_COLOURS["gru"], lw=2, ms=6, label="naive d-GRU (block layout)")
            ax_y.plot(t, y_own[:, 0, 0], "x:", color=CELL_COLOURS["gru-own"], lw=2, ms=8, mew=2,
                      label="own-reset d-GRU (the fix)")
    styles = {"gru": (CELL_COLOURS["gru"], "s-", "GRU: naive d-GRU"),
              "gru-own": (CELL_COLOURS["gru-own"], "x-", "GRU: own-reset d-GRU"),
              "lstm": (CELL_COLOURS["lstm"], "^-", "LSTM: d-LSTM"),
              "elman": (CELL_COLOURS["elman"], "o-", "Elman: d-RNN")}
    for cell, err in errors.items():
        colour, fmt, label = styles[cell]
        ax_e.semilogy(t, np.maximum(err, floor), fmt, color=colour, lw=2, ms=6, label=label)
    ax_e.axhline(np.finfo(np.float64).eps, color="0.5", ls=":", lw=1.2)
    ax_e.text(t[-1], np.finfo(np.float64).eps * 2, "float64 ε", ha="right", va="bottom", fontsize=TEXT_SIZE - 1,
              color="0.4")
    ax_e.set_ylim(floor / 2, 10)
    for ax in (ax_y, ax_e):
        ax.set_xticks(t if T <= 15 else np.unique(np.linspace(1, T, 8).round().astype(int)))
        ax.grid(alpha=0.3)
    ax_y.legend(fontsize=TEXT_SIZE, loc="best")
    ax_e.legend(fontsize=TEXT_SIZE, loc="center right")
    L = len(hidden_sizes)
    set_labels(ax_y, f"Output unit 1 of layer {L}", "time $t$", "$h^L_t$", TITLE_SIZE - 1)
    set_labels(ax_e, "Stacked vs delayed, same block layout", "time $t$",
           "max |stacked − delayed|\n(0 plotted at 1e-17)", TITLE_SIZE - 1)
    fig.suptitle("The construction holds for LSTM, fails for GRU (reset gate\non the layer below), "
                 "and holds again with the own-block reset", fontsize=TITLE_SIZE)
    return fig


__all__ = [
    "plot_gru_counterexample",
]
