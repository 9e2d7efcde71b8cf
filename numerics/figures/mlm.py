"""Plot of the masked-language-model experiment: bits per character against delay, bidirectional LSTM as a band.

Reads the rows of :func:`numerics.experiments.mlm_report.mlm_summary`
(mean ± s.d. over seeds), so the figure and the table never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes

from numerics.figures._style import new_axes
from numerics.figures.palette import OKABE_ITO

__all__ = ["plot_mlm", "save_mlm_plot"]


def plot_mlm(rows: Sequence[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Bits per masked character of the d-LSTM against ``d`` (± 1 s.d.); bidirectional, stacked, unigram as lines.

    Parameters
    ----------
    rows : sequence of dict
        Rows of :func:`numerics.experiments.mlm_report.mlm_summary`.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a sequence of dicts (mlm_summary rows)")
    ax = new_axes(ax, (9.6, 4.2))
    sd = lambda r: float(r["bpc_sd"]) if r["bpc_sd"] != "" else 0.0  # noqa: E731
    delayed = sorted((r for r in rows if r.get("kind") == "delayed"), key=lambda r: int(r["delay"]))
    if delayed:
        ax.errorbar([int(r["delay"]) for r in delayed], [float(r["bpc_mean"]) for r in delayed],
                    yerr=[sd(r) for r in delayed], marker="o", capsize=3, lw=2, color=OKABE_ITO["blue"],
                    label="d-LSTM (mean ± s.d.)")
    styles = {"bidirectional": (OKABE_ITO["vermillion"], "-"), "stacked": (OKABE_ITO["bluish green"], "--"),
              "baseline": (OKABE_ITO["black"], ":")}
    shown = [r for r in rows if r.get("kind") in styles]
    for r in shown:
        colour, ls = styles[r["kind"]]
        m, s = float(r["bpc_mean"]), sd(r)
        label = f"{r['model']} ({m:.2f})" if r["kind"] == "baseline" else f"{r['model']} ({m:.2f} ± {s:.2f})"
        ax.axhline(m, color=colour, ls=ls, lw=1.8, label=label)
        if s > 0:
            ax.axhspan(m - s, m + s, color=colour, alpha=0.18, lw=0)
    ax.set_xlabel("delay d (characters of look-ahead)")
    ax.set_ylabel("test bits per masked character")
    if delayed:
        ax.set_xticks([int(r["delay"]) for r in delayed])
    vals = [float(r["bpc_mean"]) + k * sd(r) for r in [*delayed, *shown] for k in (-1, 1)]
    if vals:
        pad = 0.08 * (max(vals) - min(vals) or 1.0)
        ax.set_ylim(min(vals) - pad, max(vals) + pad)
    ax.set_title("Masked character model, UD English EWT text: lower is better", fontsize="medium")
    # Outside, on the right: inside it would cover one of the horizontal reference lines wherever it went.
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    ax.grid(alpha=0.3)
    return ax


def save_mlm_plot(rows: Sequence[dict[str, Any]], out: str | Path, dpi: int = 150) -> Path:
    """``out/mlm_bpc.png`` from the summary rows; returns its path."""
    ax = plot_mlm(rows)
    path = Path(out) / "mlm_bpc.png"
    ax.figure.savefig(path, dpi=dpi, metadata={"Software": None})
    return path
