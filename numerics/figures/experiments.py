"""Plots of the experiments' results: reversal accuracy, sine-filtering error and runtime against their sweeps.

Each function reads run records (:func:`numerics.experiments.storage.load_records`)
through the same rows as the tables (:mod:`numerics.experiments.report`) and
draws into the ``ax=`` / ``fig=`` it is given or a new one. :func:`save_plots`
writes the PNG files of ``drnn reproduce``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from numerics.experiments.report import grouped, result_rows
from numerics.experiments.specs import CELLS, RUNTIME_MODELS
from numerics.experiments.tasks import reversal_accuracy_bound
from numerics.figures._style import new_axes, new_figure, plain_log_ticks
from numerics.figures.palette import OKABE_ITO

_CELL_COLOURS = {"lstm": OKABE_ITO["blue"], "elman": OKABE_ITO["orange"]}


def _spread(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation over seeds (0 for a single seed)."""
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _curve(ax: Axes, groups: list[tuple[tuple, list[dict[str, Any]]]], field_: str, factor: float,
           **style: Any) -> None:
    """Mean over seeds against delay with ± 1 s.d. error bars."""
    stats = [_spread([factor * g[field_] for g in grp]) for _, grp in groups]
    ax.errorbar([k[0] for k, _ in groups], [m for m, _ in stats], yerr=[s for _, s in stats], capsize=3, **style)


def _reference(ax: Axes, values: Sequence[float], colour: Any, **style: Any) -> float:
    """Horizontal line at the mean over seeds with a ± 1 s.d. band; returns the mean."""
    m, s = _spread(values)
    ax.axhline(m, color=colour, **style)
    if s > 0:
        ax.axhspan(m - s, m + s, color=colour, alpha=0.12, lw=0)
    return m


def plot_reversal(records: Sequence[dict[str, Any]], ax: Axes | None = None) -> Axes:
    """Reversal test accuracy against delay, bidirectional and stacked networks as reference lines.

    Parameters
    ----------
    records : run records (others than reversal are ignored)
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    rows = [r for r in result_rows(records) if r["task"] == "reversal"]
    if not rows:
        raise ValueError("no reversal results to plot")
    ax = new_axes(ax, (7.0, 4.5))
    T, V = rows[0]["T"], rows[0]["V"]
    delays = sorted({r["delay"] for r in rows if r["kind"] == "delayed"} | {0, T - 1})
    dd = np.arange(0, max(delays) + 1)
    ax.step(dd, [100 * reversal_accuracy_bound(V, T, int(d)) for d in dd], where="post", color="0.55", lw=1.2,
            ls=(0, (1, 1)), label="best possible with look-ahead d")
    ax.axvline(T - 1, color="0.6", lw=1, ls="--", zorder=0, label=f"d = T − 1 = {T - 1}: every symbol seen")
    styles = {"stacked": [":", "-."], "bidirectional": ["--"]}
    for cell in CELLS:
        sub = [r for r in rows if r["cell"] == cell]
        dly = sorted(grouped([r for r in sub if r["kind"] == "delayed"], ("delay",)).items())
        colour = _CELL_COLOURS[cell]
        name = "LSTM" if cell == "lstm" else "Elman"
        if dly:
            n = min(len(grp) for _, grp in dly)
            _curve(ax, dly, "test_accuracy", 100.0, fmt="o-", color=colour, lw=2, ms=6,
                   label=f"d-{name} (width {sub[0]['width']}; mean ± s.d., {n} seeds)")
        for kind in ("bidirectional", "stacked"):
            for i, ((model,), grp) in enumerate(grouped([r for r in sub if r["kind"] == kind], ("model",)).items()):
                ls = styles[kind][i % len(styles[kind])]
                m = _reference(ax, [100 * g["test_accuracy"] for g in grp], colour, ls=ls,
                               lw=2.0 if kind == "bidirectional" else 1.4,
                               alpha=1.0 if kind == "bidirectional" else 0.75)
                ax.plot([], [], color=colour, ls=ls, lw=2.0 if kind == "bidirectional" else 1.4,
                        label=f"{model} (width {grp[0]['width']}): {m:.1f}%")
    ax.set_xlabel("delay d (steps of look-ahead)")
    ax.set_ylabel("test accuracy per symbol (%)")
    ax.set_ylim(100 / V - 5, 102)  # from just below chance (1/V) to perfect
    ax.set_xlim(-0.3, max(delays) + 0.3)
    ax.set_xticks(delays)
    ax.set_title(f"Sequence reversal (V = {V}, T = {T}): accuracy vs delay\n"
                 "(error bars and bands: ± 1 s.d. over seeds)", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, loc="lower right", framealpha=0.95)
    return ax


def plot_sine(records: Sequence[dict[str, Any]], fig: Figure | None = None) -> Figure:
    """Sine-filtering test NMSE against delay: one panel per scale, one curve per acausal span.

    The bidirectional LSTM of each span is a dashed line of the same colour;
    a vertical dotted line marks ``d = a``.

    Parameters
    ----------
    records : run records (others are ignored)
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    rows = [r for r in result_rows(records) if r["task"] == "sine" and r["cell"] == "lstm"]
    if not rows:
        raise ValueError("no sine-filtering results to plot")
    scales = sorted({r["scale"] for r in rows})
    spans = sorted({r["acausal"] for r in rows})
    # At most two panels a row: the figure stays about 7.5 inches wide, readable in a docs column.
    cols = min(len(scales), 2)
    rows_n = -(-len(scales) // cols)
    fig = new_figure(fig, (3.6 * cols + 0.6, 3.1 * rows_n + 1.4))
    grid = fig.subplots(rows_n, cols, sharey=True, squeeze=False).ravel()
    axes = grid[:len(scales)]
    for ax in grid[len(scales):]:
        fig.delaxes(ax)
    cycle = [OKABE_ITO[k] for k in ("blue", "vermillion", "bluish green", "reddish purple", "orange")]
    colours = dict(zip(spans, cycle * 4))
    for ax, scale in zip(axes, scales):
        for a in spans:
            sub = [r for r in rows if r["scale"] == scale and r["acausal"] == a]
            if not sub:
                continue
            c = colours[a]
            dly = sorted(grouped([r for r in sub if r["kind"] == "delayed"], ("delay",)).items())
            _curve(ax, dly, "test_nmse", 1.0, fmt="o-", color=c, lw=2, label=f"d-LSTM, a = {a} (mean ± s.d.)")
            for (model,), grp in grouped([r for r in sub if r["kind"] == "bidirectional"], ("model",)).items():
                _reference(ax, [g["test_nmse"] for g in grp], c, ls="--", lw=1.3, label=f"{model}, a = {a}")
            for (model,), grp in grouped([r for r in sub if r["kind"] == "stacked"], ("model",)).items():
                _reference(ax, [g["test_nmse"] for g in grp], c, ls="-.", lw=1, alpha=0.6, label=f"{model}, a = {a}")
            ax.axvline(a, color=c, ls=":", lw=1)
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)
        ax.set_xlabel("delay d (steps)")
        ax.set_title(f"scale = {scale:g}")
        ax.grid(alpha=0.35, which="major")
        ax.grid(alpha=0.12, which="minor")
    axes[0].set_ylabel("test NMSE (MSE / Var y, log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    seen = dict(zip(labels, handles))
    for ax in axes[1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center", ncol=min(len(seen), 2),
               fontsize=10)
    c0 = rows[0]["causal"]
    fig.suptitle(f"Sine filtering (T = {rows[0]['T']}, c = {c0} causal taps, a acausal; dotted: d = a):\n"
                 "test error vs delay", fontsize=12)
    return fig


#: Colour and marker of each runtime model, keyed (and ordered) as RUNTIME_MODELS.
_RUNTIME_STYLE = dict(zip(RUNTIME_MODELS, [("0.45", "s"), (OKABE_ITO["orange"], "^"), (OKABE_ITO["blue"], "o"),
                                           (OKABE_ITO["bluish green"], "D")]))


def plot_runtime(records: Sequence[dict[str, Any]], fig: Figure | None = None) -> Figure:
    """Forward and forward+backward time of the four LSTM networks as width and depth grow.

    Parameters
    ----------
    records : run records (others are ignored)
    fig : Figure, optional

    Returns
    -------
    Figure
        2 × 2 panels: rows forward / forward+backward, columns width sweep /
        depth sweep (log-scaled times).
    """
    recs = [r["result"] for r in records if r["spec"]["task"] == "runtime"]
    if not recs:
        raise ValueError("no runtime results to plot")
    depths = [r["depth"] for r in recs]
    widths = [r["width"] for r in recs]
    fixed_depth = max(set(depths), key=depths.count)
    fixed_width = max(set(widths), key=widths.count)
    by_width = sorted((r for r in recs if r["depth"] == fixed_depth), key=lambda r: r["width"])
    by_depth = sorted((r for r in recs if r["width"] == fixed_width), key=lambda r: r["depth"])
    fig = new_figure(fig, (7.6, 7.2))
    axes = fig.subplots(2, 2)
    for col, (sweep, key, xlabel) in enumerate(
            [(by_width, "width", f"width per layer (depth {fixed_depth})"),
             (by_depth, "depth", f"depth = number of layers (width {fixed_width})")]):
        for row, (field_, what) in enumerate([("forward_s", "forward"), ("forward_backward_s", "forward + backward")]):
            ax = axes[row, col]
            for name, (colour, marker) in _RUNTIME_STYLE.items():
                ax.plot([r[key] for r in sweep], [1e3 * r["models"][name][field_] for r in sweep], marker=marker,
                        color=colour, lw=1.8, label=name)
            ax.set_yscale("log")
            plain_log_ticks(ax.yaxis)
            if key == "width":
                ax.set_xscale("log", base=2)
            ax.set_xticks([r[key] for r in sweep], [str(r[key]) for r in sweep])
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"{what} time (ms)")
            ax.set_title(f"{what}, {'growing width' if key == 'width' else 'growing depth'}", fontsize=11)
            ax.grid(alpha=0.3, which="both")
    axes[0, 0].legend(fontsize=10)
    r0 = recs[0]
    fig.suptitle(f"Runtime of LSTM networks (NumPy, T = {r0['T']}, batch {r0['batch']}, one thread, median of "
                 f"{r0['repeats']})\nd-LSTM (construction) equals the stacked network; d-LSTM (dense) has\nits "
                 "parameter count; both use delay = depth − 1", fontsize=11)
    return fig


#: Metadata that would make repeated runs differ byte for byte is left out.
_PNG_METADATA = {"Software": None}


def save_plots(records: Sequence[dict[str, Any]], out: str | Path, dpi: int = 150) -> list[Path]:
    """PNG plots of every task that has results, saved in ``out``.

    Parameters
    ----------
    records : sequence of dict
        Run records.
    out : str or Path
        Existing directory.
    dpi : int

    Returns
    -------
    list of Path
        ``reversal_accuracy_vs_delay.png``, ``sine_error_vs_delay.png`` (LSTM
        sine runs only), ``runtime.png``: those whose task has results.
    """
    out = Path(out)
    tasks = {r["spec"]["task"] for r in records}
    figures: list[tuple[str, Figure]] = []
    if "reversal" in tasks:
        figures.append(("reversal_accuracy_vs_delay.png", plot_reversal(records).figure))
    if any(r["spec"]["task"] == "sine" and r["spec"]["model"]["cell"] == "lstm" for r in records):
        figures.append(("sine_error_vs_delay.png", plot_sine(records)))
    if "runtime" in tasks:
        figures.append(("runtime.png", plot_runtime(records)))
    written = []
    from numerics.figures.catalogue import readable_in_docs  # the docs pages embed these PNG files

    for name, fig in figures:
        readable_in_docs(fig)
        fig.savefig(out / name, dpi=dpi, metadata=_PNG_METADATA)
        written.append(out / name)
    return written


__all__ = [
    "plot_reversal",
    "plot_runtime",
    "plot_sine",
    "save_plots",
]
