"""Figures of the construction: the wavefront, the block matrices, and the sparsity patterns between.

Conventions follow ``docs/theory``: layers and times are numbered from 1 on
the figures (``h^l_t``, ``t = 1 … T``), as in the theorems; block ``l`` of a
delayed network computes ``h^l_t`` at d-RNN step ``t + l - 1``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Patch, Rectangle

from numerics.figures._style import (
    BLOCK_ALPHA,
    GATE_NAMES,
    HIGHLIGHT,
    LABEL_SIZE,
    MAX_GRID,
    SHIFT_COLOURS,
    TEXT_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    new_axes,
    new_figure,
    pad_rows,
    set_labels,
)
from numerics.models import DelayedRNN
from theory._checks import check_count, check_type
from theory.layout import Plan, check_plan
from theory.topologies import SHIFT_KINDS, shift_kind, topology_patterns


def plot_wavefront(L: int = 4, T: int = 8, step: int | Sequence[int] | None = None, *,
                   ax: Axes | None = None) -> Axes:
    """The unrolled stacked network as a (layer × time) grid, and what one d-RNN step computes.

    Node ``h^l_t`` (layer ``l`` on the vertical axis, time ``t`` on the
    horizontal one) is coloured by the step of the equivalent delayed
    network that computes it, ``t + l - 1`` (Theorem 1: block ``l`` lags
    ``l - 1`` steps). The nodes of one step lie on an anti-diagonal: the
    *wavefront* that a single wide recurrent step advances.

    Parameters
    ----------
    L : int
        Number of layers (1 to :data:`~numerics.figures._style.MAX_GRID`).
    T : int
        Sequence length (1 to :data:`~numerics.figures._style.MAX_GRID`).
    step : int or sequence of int, optional
        d-RNN step(s) ``1 … T + L - 1`` whose wavefront is highlighted;
        default ``L`` (the first step at which every block is busy), or
        ``T + L - 1`` if that is smaller.
    ax : Axes, optional

    Returns
    -------
    Axes

    Examples
    --------
    >>> ax = plot_wavefront(L=3, T=6, step=4)
    >>> ax.get_title()
    'One d-RNN step computes a diagonal wavefront (L = 3, T = 6, d = 2)'
    """
    L = check_count(L, "L", maximum=MAX_GRID)
    T = check_count(T, "T", maximum=MAX_GRID)
    last = T + L - 1
    if step is None:
        steps = [min(L, last)]
    else:
        raw = [step] if isinstance(step, (int, np.integer)) and not isinstance(step, bool) else step
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise TypeError(f"step must be an int or a sequence of ints; got {type(step).__name__}")
        steps = [check_count(s, "step") for s in raw]
        bad = [s for s in steps if s > last]
        if bad:
            raise ValueError(f"step must lie in 1 … T + L - 1 = {last}; got {bad[0]}")
    ax = new_axes(ax, (max(7.0, 0.75 * T + 2.2), max(3.6, 0.8 * (L + 1) + 1.6)))
    cmap = mpl.colormaps["viridis"].resampled(last)
    node_r = 0.28
    # stacked edges: vertical h^{l-1}_t -> h^l_t and recurrent h^l_{t-1} -> h^l_t
    for l in range(1, L + 1):
        for t in range(1, T + 1):
            ax.add_patch(FancyArrowPatch((t, l - 1 + node_r), (t, l - node_r), arrowstyle="-|>",
                                         mutation_scale=10, color="0.55", lw=1.0, zorder=1))
            if t > 1:
                ax.add_patch(FancyArrowPatch((t - 1 + node_r, l), (t - node_r, l), arrowstyle="-|>",
                                             mutation_scale=10, color="0.55", lw=1.0, zorder=1))
    # inputs
    for t in range(1, T + 1):
        ax.add_patch(Rectangle((t - node_r, -node_r), 2 * node_r, 2 * node_r, facecolor="white",
                               edgecolor="0.3", lw=1.2, zorder=2))
        ax.text(t, 0, f"$x_{{{t}}}$", ha="center", va="center", fontsize=TEXT_SIZE, zorder=4)
    # the highlighted wavefronts
    for s in steps:
        cells = [(s - l + 1, l) for l in range(1, L + 1) if 1 <= s - l + 1 <= T]
        xs, ys = zip(*cells)
        ax.plot(xs, ys, color=HIGHLIGHT, lw=9, alpha=0.25, solid_capstyle="round", zorder=1.5)
    # nodes coloured by the d-RNN step that computes them
    for l in range(1, L + 1):
        for t in range(1, T + 1):
            s = t + l - 1
            hot = s in steps
            ax.add_patch(Circle((t, l), node_r, facecolor=cmap(s - 1), zorder=3,
                                    edgecolor=HIGHLIGHT if hot else "0.2", lw=3.0 if hot else 0.8))
            ax.text(t, l, str(s), ha="center", va="center", fontsize=TEXT_SIZE - 1, zorder=4,
                    color="white" if s < 0.6 * last else "black", fontweight="bold" if hot else "normal")
    # Patches set the data limits; "datalim" keeps circles round without fighting the layout engine.
    ax.margins(0.04)
    ax.autoscale_view()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks(range(1, T + 1))
    ax.set_yticks(range(0, L + 1), ["input $x_t$"] + [f"layer {l}" for l in range(1, L + 1)])
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    sm = mpl.cm.ScalarMappable(cmap=cmap, norm=Normalize(0.5, last + 0.5))
    cb = ax.figure.colorbar(sm, ax=ax, shrink=0.85, pad=0.02,
                            ticks=np.unique(np.linspace(1, last, min(last, 6)).round().astype(int)))
    cb.set_label("d-RNN step that computes $h^l_t$", fontsize=LABEL_SIZE - 1)
    cb.ax.tick_params(labelsize=TICK_SIZE)
    handles = [
        Line2D([], [], color=HIGHLIGHT, lw=9, alpha=0.25,
               label="wavefront of step " + ", ".join(str(s) for s in steps)),
        Line2D([], [], color="0.55", lw=1.0, marker=">", label="stacked connections"),
    ]
    ax.figure.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=TEXT_SIZE, frameon=False)
    return set_labels(ax, f"One d-RNN step computes a diagonal wavefront (L = {L}, T = {T}, d = {L - 1})",
                  "time $t$", None)


def _fit_label(text: str, w_in: float, h_in: float) -> tuple[str, float]:
    """Pick a line split and font size so ``text`` fits a ``w_in × h_in`` inch box (roughly)."""
    options = [text]
    if "_l" in text:
        head, tail = text.rsplit("_l", 1)
        options.append(f"{head}\n_l{tail}")
    for size in (TEXT_SIZE, TEXT_SIZE - 2, TEXT_SIZE - 3):
        for option in options:
            lines = option.split("\n")
            width = 0.6 * size / 72 * max(len(line) for line in lines)
            height = 1.35 * size / 72 * len(lines)
            if width <= 0.92 * w_in and height <= 0.95 * h_in:
                return option, size
    return options[-1], TEXT_SIZE - 3


def _draw_matrix(ax: Axes, shape: tuple[int, int], boxes: list[tuple[int, int, int, int, str, str]],
                 values: np.ndarray | None, vmax: float, row_ticks: tuple[list[float], list[str]],
                 col_ticks: tuple[list[float], list[str]], row_lines: Sequence[int], col_lines: Sequence[int],
                 unit: float) -> Any:
    rows, cols = shape
    image = None
    if values is not None:
        image = ax.imshow(values, cmap="RdBu_r", vmin=-vmax, vmax=vmax, extent=(0, cols, rows, 0),
                          interpolation="nearest")
    for r in row_lines:
        ax.axhline(r, color="0.5", lw=0.8, ls=":")
    for c in col_lines:
        ax.axvline(c, color="0.5", lw=0.8, ls=":")
    for r0, r1, c0, c1, text, colour in boxes:
        if values is None:
            ax.add_patch(Rectangle((c0, r0), c1 - c0, r1 - r0, facecolor=colour,
                                   alpha=BLOCK_ALPHA["block_matrices"], edgecolor="none"))
        ax.add_patch(Rectangle((c0, r0), c1 - c0, r1 - r0, facecolor="none", edgecolor="black", lw=1.6))
        if text:
            wrapped, size = _fit_label(text, (c1 - c0) * unit, (r1 - r0) * unit)
            ax.text((c0 + c1) / 2, (r0 + r1) / 2, wrapped, ha="center", va="center", fontsize=size,
                    linespacing=1.0, bbox=dict(boxstyle="round,pad=0.12", facecolor="white", alpha=0.8,
                                               edgecolor="none"))
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)
    ax.set_aspect("equal")
    ax.set_xticks(*col_ticks)
    ax.set_yticks(*row_ticks)
    ax.tick_params(labelsize=TICK_SIZE, length=0)
    return image


def plot_block_matrices(model: Any, *, fig: Figure | None = None, show_values: bool | None = None) -> Figure:
    """The assembled matrices of a delayed network with their named blocks.

    Draws the input weights ``weight_ih`` (``G·N × n_0``), the recurrent
    weights ``weight_hh`` (``G·N × N``) and the read-out selection
    (``n_out × N``). Each non-zero block is outlined and labelled with the
    stacked parameter it is copied from (``weight_hh_l1`` …, from
    :meth:`theory.layout.Plan.placements`; the rows of the gate shown), or
    ``free`` for a trainable block of a relaxed plan. Gated cells show every
    gate in PyTorch order (LSTM ``i, f, g, o``; GRU ``r, z, n``), marked on
    the right.

    Parameters
    ----------
    model : Plan or DelayedRNN
        With a :class:`~theory.layout.Plan` the structure is drawn (blocks
        coloured by the kind of connection); with a
        :class:`~numerics.models.DelayedRNN` the actual weight values are
        drawn under the block outlines, with a colour bar.
    fig : Figure, optional
    show_values : bool, optional
        Draw the weight values (default: true for a network; a plan has none).

    Returns
    -------
    Figure
        Axes: input weights, recurrent weights, read-out, and a side panel
        with the block list and the legend or colour bar.

    Examples
    --------
    >>> from theory.layout import stacked_plan
    >>> fig = plot_block_matrices(stacked_plan("elman", 3, [4, 5, 2]))
    >>> fig.axes[1].get_title()
    'recurrent weights $\\\\hat U$'
    """
    if isinstance(model, DelayedRNN):
        plan, params = model.plan, model.params
    elif isinstance(model, Plan):
        plan, params = model, None
    else:
        raise TypeError(f"model must be a theory.layout.Plan or a DelayedRNN; got {type(model).__name__}")
    if show_values is None:
        show_values = params is not None
    check_type(show_values, bool, "show_values", "a bool or None")
    if show_values and params is None:
        raise ValueError("show_values=True needs a DelayedRNN (a Plan has no weight values)")
    N, n0, G, n_out = plan.hidden_size, plan.input_size, plan.gates, plan.output_size
    GN = G * N
    gate_names = GATE_NAMES[plan.cell]
    ih_boxes, hh_boxes = [], []
    for g in range(G):
        for e in plan.inputs:
            r0, r1 = plan.span(e.dst)
            ih_boxes.append((g * N + r0, g * N + r1, 0, n0, e.source or "free",
                             SHIFT_COLOURS["input"] if plan.blocks[e.dst].lag == 0 else SHIFT_COLOURS["acausal"]))
        for e in plan.recurrent:
            r0, r1 = plan.span(e.dst)
            c0, c1 = plan.span(e.src)
            hh_boxes.append((g * N + r0, g * N + r1, c0, c1, e.source or "free",
                             SHIFT_COLOURS[shift_kind(plan.shift(e))]))
    out_boxes, col = [], 0
    for r in plan.readout:
        a, b = plan.span(r)
        out_boxes.append((col, col + b - a, a, b, "I", "0.75"))
        col += b - a

    values = None if not show_values else (params.weight_ih, params.weight_hh)
    vmax = 1.0 if values is None else float(max(np.abs(values[0]).max(), np.abs(values[1]).max(), 1e-12))
    # Inches per matrix unit: large for small networks, shrinking so the figure stays slide-sized.
    unit = float(min(0.45, 6.0 / GN, 7.0 / (max(n0, 2.5) + N)))
    w_in, w_hh, w_note = max(n0, 2.5) * unit, N * unit, 3.0
    fig = new_figure(fig, (w_in + w_hh + w_note + 2.8, (GN + max(n_out, 1)) * unit + 2.6))
    grid = fig.add_gridspec(2, 3, width_ratios=[w_in, w_hh, w_note], height_ratios=[GN, max(n_out, 1)])
    ax_ih = fig.add_subplot(grid[0, 0])
    ax_hh = fig.add_subplot(grid[0, 1])
    ax_out = fig.add_subplot(grid[1, 1])
    ax_note = fig.add_subplot(grid[:, 2])
    ax_note.axis("off")
    pad_rows(fig, 0.12)
    gate_lines = [g * N for g in range(1, G)]
    row_ticks: tuple[list[float], list[str]] = ([], [])
    for g in range(G):
        for i in range(len(plan.blocks)):
            a, b = plan.span(i)
            row_ticks[0].append(g * N + (a + b) / 2)
            row_ticks[1].append(plan.blocks[i].name)
    block_lines = list(plan.offsets[1:])
    all_block_lines = [g * N + o for g in range(G) for o in block_lines]
    col_ticks = ([(a + b) / 2 for a, b in (plan.span(i) for i in range(len(plan.blocks)))],
                 [b.name for b in plan.blocks])
    _draw_matrix(ax_ih, (GN, n0), ih_boxes, None if values is None else values[0], vmax, row_ticks,
                 ([n0 / 2], [f"x ({n0})"]), all_block_lines, [], unit)
    image = _draw_matrix(ax_hh, (GN, N), hh_boxes, None if values is None else values[1], vmax, row_ticks,
                         col_ticks, all_block_lines, block_lines, unit)
    for g in gate_lines:
        for ax in (ax_ih, ax_hh):
            ax.axhline(g, color="black", lw=2.5)
    if G > 1:
        for g, name in enumerate(gate_names):
            ax_hh.text(N + 0.25, g * N + N / 2, f"gate {name}", ha="left", va="center", fontsize=LABEL_SIZE,
                       rotation=90, clip_on=False)
    readout_ticks: tuple[list[float], list[str]] = ([], [])
    col = 0
    for r in plan.readout:
        w = plan.blocks[r].width
        readout_ticks[0].append(col + w / 2)
        readout_ticks[1].append(f"y ← {plan.blocks[r].name}")
        col += w
    _draw_matrix(ax_out, (n_out, N), out_boxes, None, vmax, readout_ticks, col_ticks, [], block_lines, unit)
    set_labels(ax_ih, "input $\\hat W$", "input", "state block (rows)", TITLE_SIZE - 1)
    set_labels(ax_hh, "recurrent weights $\\hat U$", "reads block (at step $t-1$)", None, TITLE_SIZE - 1)
    set_labels(ax_out, "read-out", f"state block (delay d = {plan.delay})", None, TITLE_SIZE - 1)
    lines = [f"{len(plan.blocks)} blocks, N = {N}", f"input {n0}, delay {plan.delay}", ""]
    for b in plan.blocks:
        lines.append(f"{b.name}: width {b.width}, lag {b.lag}" + (f", hold {b.hold}" if b.hold else ""))
    ax_note.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", fontsize=TEXT_SIZE, family="monospace",
                 transform=ax_note.transAxes)
    if image is not None:
        cb = fig.colorbar(image, ax=ax_note, location="left", shrink=0.45, anchor=(0.0, 0.1))
        cb.set_label("weight value", fontsize=LABEL_SIZE - 1)
        cb.ax.tick_params(labelsize=TICK_SIZE)
    else:
        kinds = sorted({shift_kind(plan.shift(e)) for e in plan.recurrent},
                       key=SHIFT_KINDS.index)
        labels = {"vertical": "layer below (shift 0)", "recurrent": "own past (shift 1)",
                  "acausal": "look-ahead (shift < 0)", "feedback": "feedback (shift ≥ 2)"}
        handles = [Patch(facecolor=SHIFT_COLOURS[k], alpha=BLOCK_ALPHA["block_matrices"], edgecolor="black",
                         label=labels[k]) for k in kinds]
        handles.append(Patch(facecolor="white", edgecolor="0.6", label="zero"))
        ax_note.legend(handles=handles, loc="lower left", fontsize=TEXT_SIZE, title="block reads",
                       title_fontsize=TEXT_SIZE, frameon=False)
    fig.suptitle(f"Block matrices: {plan.description or plan.cell}", fontsize=TITLE_SIZE + 1)
    return fig


def plot_sparsity_patterns(plans: dict[str, Plan] | Sequence[Plan] | None = None, *,
                           fig: Figure | None = None, ncols: int = 3) -> Figure:
    """Block-sparsity pictures of several plans, each block labelled with the time shift it carries.

    Entry ``[l, k]`` (block ``l`` reads block ``k``) is coloured by its
    represented-time shift ``1 + λ_k - λ_l`` (docs/theory/acausality.md): 0 is a vertical
    connection, 1 ordinary recurrence, negative means look-ahead, ``>= 2``
    feedback from the past. The input column shows how far each input edge
    looks ahead (``λ_l``).

    Parameters
    ----------
    plans : dict of str to Plan, or sequence of Plan, optional
        Default :func:`topology_patterns` with ``L = 4``.
    fig : Figure, optional
    ncols : int
        Panels per row (1 to 8); rows are added as needed, so the figure stays narrow enough for a page
        (text at least 12 pixels when shown in a docs column).

    Returns
    -------
    Figure
        One Axes per plan.
    """
    ncols = check_count(ncols, "ncols", 1, 8)
    if plans is None:
        plans = topology_patterns()
    if isinstance(plans, dict):
        items = list(plans.items())
    elif isinstance(plans, Sequence) and not isinstance(plans, (str, bytes)):
        items = [(check_plan(p, f"plans[{i}]").description or f"plan {i + 1}", p) for i, p in enumerate(plans)]
    else:
        raise TypeError(f"plans must be a dict of Plans or a sequence of Plans; got {type(plans).__name__}")
    if not items:
        raise ValueError("plans must contain at least one Plan; got none")
    for name, p in items:
        check_plan(p, f"plans[{name!r}]")
    n = len(items)
    cols = min(n, ncols)
    rows = -(-n // cols)
    fig = new_figure(fig, (2.7 * cols + 0.6, 2.9 * rows + 1.0))
    grid_axes = fig.subplots(rows, cols, squeeze=False).ravel()
    axes, spare = grid_axes[:n], grid_axes[n:]
    order = ["input", "vertical", "recurrent", "acausal", "feedback"]
    cmap = ListedColormap(["white"] + [SHIFT_COLOURS[k] for k in order[1:]])
    for ax, (name, plan) in zip(axes, items):
        L = len(plan.blocks)
        grid = np.zeros((L, L + 1), dtype=int)
        texts = {}
        for e in plan.recurrent:
            s = plan.shift(e)
            grid[e.dst, e.src + 1] = order.index(shift_kind(s))
            texts[(e.dst, e.src + 1)] = f"{s:+d}" if s else "0"
        for e in plan.inputs:
            # x_t enters at step t, block dst stands for time t - lag: shift -lag (look-ahead lag).
            s = -plan.blocks[e.dst].lag
            grid[e.dst, 0] = order.index(shift_kind(s))
            texts[(e.dst, 0)] = f"{s:+d}" if s else "0"
        ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, alpha=BLOCK_ALPHA["sparsity"])
        for (r, c), t in texts.items():
            ax.text(c, r, t, ha="center", va="center", fontsize=TEXT_SIZE + 1)
        ax.axvline(0.5, color="black", lw=1.5)
        # Numbered blocks are the blocks s^l of the d-RNN state (the notation of the lecture and the docs).
        names = [re.sub(r"^[bh](\d+)$", r"$s^{\1}$", b.name) for b in plan.blocks]
        ax.set_xticks(range(L + 1), ["$x$", *names])
        ax.set_yticks(range(L), names)
        ax.set_xticks(np.arange(-0.5, L + 1), minor=True)
        ax.set_yticks(np.arange(-0.5, L), minor=True)
        ax.grid(which="minor", color="0.6", lw=0.6)
        ax.tick_params(which="minor", length=0)
        set_labels(ax, name, "reads ($x$ = input)", "block", TITLE_SIZE - 1)
    labels = {"vertical": "same time: layer below / input (0)", "recurrent": "own past (+1)",
              "acausal": "look-ahead into the future (< 0)", "feedback": "feedback from the past (≥ 2)"}
    handles = [Patch(facecolor=SHIFT_COLOURS[k], alpha=BLOCK_ALPHA["sparsity"], edgecolor="0.3", label=labels[k])
               for k in order[1:]]
    for ax in spare:
        fig.delaxes(ax)
    fig.legend(handles=handles, loc="outside lower center", ncol=4 if cols >= 4 else 2, fontsize=TEXT_SIZE,
               frameon=False)
    fig.suptitle("Block-sparsity patterns; entry = time shift the connection carries", fontsize=TITLE_SIZE + 1)
    return fig


__all__ = [
    "plot_block_matrices",
    "plot_sparsity_patterns",
    "plot_wavefront",
]
