"""Plot of the tagging experiment: test accuracy against delay, with the bidirectional LSTM as a band.

Reads the rows of :func:`numerics.experiments.pos_report.pos_summary`
(mean ± s.d. over seeds), so the figure and the table never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes

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
    ax = new_axes(ax, (6.0, 3.8))
    sd = lambda r: float(r["accuracy_sd"]) if r["accuracy_sd"] != "" else 0.0  # noqa: E731
    delayed = sorted((r for r in rows if r.get("kind") == "delayed"), key=lambda r: int(r["delay"]))
    if delayed:
        ax.errorbar([int(r["delay"]) for r in delayed], [float(r["accuracy_mean"]) for r in delayed],
                    yerr=[sd(r) for r in delayed], marker="o", capsize=3, color=OKABE_ITO["blue"], label="d-LSTM")
    styles = {"bidirectional": (OKABE_ITO["vermillion"], "-"), "stacked": (OKABE_ITO["bluish green"], "--"),
              "baseline": (OKABE_ITO["black"], ":")}
    for r in rows:
        kind = r.get("kind")
        if kind not in styles:
            continue
        colour, ls = styles[kind]
        m, s = float(r["accuracy_mean"]), sd(r)
        ax.axhline(m, color=colour, ls=ls, label=f"{r['model']} ({m:.2f}%)")
        if s > 0:
            ax.axhspan(m - s, m + s, color=colour, alpha=0.15, lw=0)
    ax.set_xlabel("delay d (words of look-ahead)")
    ax.set_ylabel("test accuracy (%)")
    if delayed:
        ax.set_xticks([int(r["delay"]) for r in delayed])
        lo = min(float(r["accuracy_mean"]) - sd(r) for r in rows if r.get("kind") != "baseline")
        hi = max(float(r["accuracy_mean"]) + sd(r) for r in rows)
        ax.set_ylim(lo - 0.5, hi + 0.5)
    ax.set_title("POS tagging, UD English EWT: accuracy against look-ahead", fontsize="medium")
    ax.legend(fontsize="small", loc="lower left")
    ax.grid(alpha=0.3)
    return ax


def save_pos_plot(rows: Sequence[dict[str, Any]], out: str | Path, dpi: int = 150) -> Path:
    """``out/pos_accuracy.png`` from the summary rows."""
    ax = plot_pos(rows)
    path = Path(out) / "pos_accuracy.png"
    ax.figure.savefig(path, dpi=dpi, metadata={"Software": None})
    return path
