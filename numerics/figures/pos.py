"""Plot of the tagging experiment: test accuracy against delay, with the bidirectional LSTM as a band.

Reads the rows of :func:`numerics.experiments.pos_report.pos_summary`
(mean ± s.d. over seeds), so the figure and the table never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from numerics.figures._style import new_axes
from numerics.figures.palette import OKABE_ITO

__all__ = ["plot_pos", "save_pos_plot"]


def plot_pos(rows: Sequence[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Accuracy (%) of the d-LSTM against ``d`` with ± 1 s.d. bars; bidirectional, stacked and baseline as lines.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`numerics.experiments.pos_report.pos_summary`.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, (6.0, 4.4))
    sd = lambda r: float(r["accuracy_sd"]) if r["accuracy_sd"] != "" else 0.0  # noqa: E731
    delayed = sorted((r for r in rows if r.get("kind") == "delayed"), key=lambda r: int(r["delay"]))
    if delayed:
        ax.errorbar([int(r["delay"]) for r in delayed], [float(r["accuracy_mean"]) for r in delayed],
                    yerr=[sd(r) for r in delayed], marker="o", capsize=3, color=OKABE_ITO["blue"], label="d-LSTM")
    # The baseline is far below the networks; the axis keeps the networks' differences readable and
    # names a baseline it cannot show instead of listing an invisible line in the legend.
    lo = hi = None
    if delayed:
        ax.set_xticks([int(r["delay"]) for r in delayed])
        lo = min(float(r["accuracy_mean"]) - sd(r) for r in rows if r.get("kind") != "baseline") - 0.5
        hi = max(float(r["accuracy_mean"]) + sd(r) for r in rows if r.get("kind") != "baseline") + 0.5
        ax.set_ylim(lo, hi)
    styles = {"bidirectional": (OKABE_ITO["vermillion"], "-"), "stacked": (OKABE_ITO["bluish green"], "--"),
              "baseline": (OKABE_ITO["black"], ":")}
    below = []
    for r in rows:
        kind = r.get("kind")
        if kind not in styles:
            continue
        colour, ls = styles[kind]
        m, s = float(r["accuracy_mean"]), sd(r)
        if lo is not None and hi is not None and not lo <= m <= hi:
            below.append(f"{r['model']}: {m:.2f}% (off the axis)")
            continue
        ax.axhline(m, color=colour, ls=ls, label=f"{r['model']} ({m:.2f}%)")
        if s > 0:
            ax.axhspan(m - s, m + s, color=colour, alpha=0.15, lw=0)
    ax.set_xlabel("delay d (words of look-ahead)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("POS tagging, UD English EWT: accuracy against look-ahead", fontsize="medium")
    handles, labels = ax.get_legend_handles_labels()
    if below:
        handles.append(Line2D([], [], ls="none"))
        labels.append("; ".join(below))
    # Below the axes: inside, the legend covered the d = 0 point and the stacked band.
    ax.figure.legend(handles, labels, loc="outside lower center", ncol=2, fontsize="small", frameon=False)
    ax.grid(alpha=0.3)
    return ax


def save_pos_plot(rows: Sequence[dict[str, Any]], out: str | Path, dpi: int = 150) -> Path:
    """``out/pos_accuracy.png`` from the summary rows."""
    ax = plot_pos(rows)
    path = Path(out) / "pos_accuracy.png"
    ax.figure.savefig(path, dpi=dpi, metadata={"Software": None})
    return path
