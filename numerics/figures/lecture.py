"""Lecture figures: the wavefront, block matrices, topologies, the GRU counterexample, receptive fields.

Every function draws into a Matplotlib ``Axes`` (argument ``ax=``) or
``Figure`` (argument ``fig=``) it is given, or creates one, and returns it.
Nothing here calls ``plt.show()``, so the module works under the ``Agg``
backend, in notebooks and in the ``drnn figures`` command. Type sizes are
chosen so that a figure saved at its default size is readable on a slide.

Conventions follow ``docs/theory``: layers and times are numbered from 1 on
the figures (``h^l_t``, ``t = 1 … T``), as in the theorems; block ``l`` of a
delayed network computes ``h^l_t`` at d-RNN step ``t + l - 1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, Patch, Rectangle

from theory.layout import Plan, check_count, stacked_plan

__all__ = [
    "FIGURES",
    "FIGURE_CAPTIONS",
    "jacobian_magnitude",
    "plot_block_matrices",
    "plot_gru_counterexample",
    "plot_receptive_field",
    "plot_receptive_spectrum",
    "plot_sparsity_patterns",
    "plot_wavefront",
    "receptive_spectrum",
    "shift_kind",
    "topology_patterns",
]

#: Font sizes (points) used on every figure: readable when a figure is shown on a slide.
TITLE_SIZE = 15
LABEL_SIZE = 13
TICK_SIZE = 11
TEXT_SIZE = 11

#: Colours of the edge kinds of docs/theory/acausality.md (by represented-time shift).
SHIFT_COLOURS = {
    "input": "#4c72b0",
    "vertical": "#4c72b0",
    "recurrent": "#55a868",
    "acausal": "#c44e52",
    "feedback": "#8172b2",
}

_GATE_NAMES = {"elman": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


# ----------------------------------------------------------------- helpers
def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot()
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}")
    return ax


def _new_figure(fig: Figure | None, figsize: tuple[float, float]) -> Figure:
    if fig is None:
        return Figure(figsize=figsize, layout="constrained")
    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure or None; got {type(fig).__name__}")
    return fig


def _pad_rows(fig: Figure, h_pad: float) -> None:
    """Extra vertical padding (inches) between rows when the figure uses the constrained layout."""
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "h_pad" in engine.get():
        engine.set(h_pad=h_pad)


def _label(ax: Axes, title: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
           title_size: float = TITLE_SIZE) -> Axes:
    if title is not None:
        ax.set_title(title, fontsize=title_size)
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    return ax


def _check_plan(plan: object, name: str = "plan") -> Plan:
    if not isinstance(plan, Plan):
        raise TypeError(f"{name} must be a theory.layout.Plan; got {type(plan).__name__}")
    return plan


def shift_kind(shift: int) -> str:
    """Name the kind of a recurrent edge by its represented-time shift (docs/theory/acausality.md).

    Parameters
    ----------
    shift : int
        ``1 + lag[src] - lag[dst]``.

    Returns
    -------
    str
        ``"vertical"`` (0), ``"recurrent"`` (1), ``"acausal"`` (< 0) or ``"feedback"`` (>= 2).
    """
    if shift == 0:
        return "vertical"
    if shift == 1:
        return "recurrent"
    return "acausal" if shift < 0 else "feedback"


# --------------------------------------------------------- (a) wavefront
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
        Number of layers (>= 1).
    T : int
        Sequence length (>= 1).
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
    L = check_count(L, "L")
    T = check_count(T, "T")
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
    ax = _new_axes(ax, (max(7.0, 0.9 * T + 2.5), max(3.6, 0.9 * (L + 1) + 1.6)))
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
        ax.plot(xs, ys, color="#d62728", lw=9, alpha=0.25, solid_capstyle="round", zorder=1.5)
    # nodes coloured by the d-RNN step that computes them
    for l in range(1, L + 1):
        for t in range(1, T + 1):
            s = t + l - 1
            hot = s in steps
            ax.add_patch(Circle((t, l), node_r, facecolor=cmap(s - 1), zorder=3,
                                    edgecolor="#d62728" if hot else "0.2", lw=3.0 if hot else 0.8))
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
        Line2D([], [], color="#d62728", lw=9, alpha=0.25,
               label="wavefront of step " + ", ".join(str(s) for s in steps)),
        Line2D([], [], color="0.55", lw=1.0, marker=">", label="stacked connections"),
    ]
    ax.figure.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=TEXT_SIZE, frameon=False)
    return _label(ax, f"One d-RNN step computes a diagonal wavefront (L = {L}, T = {T}, d = {L - 1})",
                  "time $t$", None)


# --------------------------------------------------- (b) block matrices
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
            ax.add_patch(Rectangle((c0, r0), c1 - c0, r1 - r0, facecolor=colour, alpha=0.55, edgecolor="none"))
        ax.add_patch(Rectangle((c0, r0), c1 - c0, r1 - r0, facecolor="none", edgecolor="black", lw=1.6))
        if text:
            label, size = _fit_label(text, (c1 - c0) * unit, (r1 - r0) * unit)
            ax.text((c0 + c1) / 2, (r0 + r1) / 2, label, ha="center", va="center", fontsize=size,
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
        :class:`~numerics.models.delayed.DelayedRNN` the actual weight values are
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
    from numerics.models import DelayedRNN

    if isinstance(model, DelayedRNN):
        plan, params = model.plan, model.params
    elif isinstance(model, Plan):
        plan, params = model, None
    else:
        raise TypeError(f"model must be a theory.layout.Plan or a DelayedRNN; got {type(model).__name__}")
    if show_values is None:
        show_values = params is not None
    if show_values and params is None:
        raise ValueError("show_values=True needs a DelayedRNN (a Plan has no weight values)")
    N, n0, G, n_out = plan.hidden_size, plan.input_size, plan.gates, plan.output_size
    GN = G * N
    gate_names = _GATE_NAMES[plan.cell]
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
    fig = _new_figure(fig, (w_in + w_hh + w_note + 2.8, (GN + max(n_out, 1)) * unit + 2.6))
    grid = fig.add_gridspec(2, 3, width_ratios=[w_in, w_hh, w_note], height_ratios=[GN, max(n_out, 1)])
    ax_ih = fig.add_subplot(grid[0, 0])
    ax_hh = fig.add_subplot(grid[0, 1])
    ax_out = fig.add_subplot(grid[1, 1])
    ax_note = fig.add_subplot(grid[:, 2])
    ax_note.axis("off")
    _pad_rows(fig, 0.12)
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
    _label(ax_ih, "input $\\hat W$", "input", "state block (rows)", TITLE_SIZE - 1)
    _label(ax_hh, "recurrent weights $\\hat U$", "reads block (at step $t-1$)", None, TITLE_SIZE - 1)
    _label(ax_out, "read-out", f"state block (delay d = {plan.delay})", None, TITLE_SIZE - 1)
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
                       key=["vertical", "recurrent", "acausal", "feedback"].index)
        labels = {"vertical": "layer below (shift 0)", "recurrent": "own past (shift 1)",
                  "acausal": "look-ahead (shift < 0)", "feedback": "feedback (shift ≥ 2)"}
        handles = [Patch(facecolor=SHIFT_COLOURS[k], alpha=0.55, edgecolor="black", label=labels[k]) for k in kinds]
        handles.append(Patch(facecolor="white", edgecolor="0.6", label="zero"))
        ax_note.legend(handles=handles, loc="lower left", fontsize=TEXT_SIZE, title="block reads",
                       title_fontsize=TEXT_SIZE, frameon=False)
    fig.suptitle(f"Block matrices: {plan.description or plan.cell}", fontsize=TITLE_SIZE + 1)
    return fig


# ---------------------------------------------- (b) relaxed sparsity patterns
def topology_patterns(L: int = 4, width: int = 2, input_size: int = 1) -> dict[str, Plan]:
    """Block patterns from the stacked network to the dense d-RNN ("the topologies in between").

    All plans have ``L`` blocks of width ``width``, lags ``0 … L-1``, the
    read-out from the last block and delay ``L - 1``; they differ only in
    which blocks read which, and so in their look-ahead.

    Parameters
    ----------
    L : int
        Number of blocks (>= 3).
    width : int
        Units per block.
    input_size : int

    Returns
    -------
    dict of str to Plan
        In order of growing look-ahead (for ``L = 4``):

        * ``"stacked"``: lower-bidiagonal, input into block 1 — look-ahead 0;
        * ``"skip 1 layer"``: each block also reads the block two below
          (shift -1) — look-ahead ``d - ceil(d / 2)``;
        * ``"skip 1–2 layers"``: also the block three below (shift -2);
        * ``"input to all"``: the stacked pattern with the input fed into
          every block — look-ahead ``d``, as sparse as the stacked one;
        * ``"dense"``: every block reads every block — look-ahead ``d``.
    """
    L = check_count(L, "L", minimum=3)
    width = check_count(width, "width")
    input_size = check_count(input_size, "input_size")
    from theory.layout import relaxed_plan

    idx = np.arange(L)
    below = idx[:, None] - idx[None, :]
    bidiag = (below == 0) | (below == 1)
    first = idx == 0
    every = np.ones(L, bool)
    specs = {
        "stacked": (bidiag, first),
        "skip 1 layer": (bidiag | (below == 2), first),
        "skip 1–2 layers": (bidiag | (below == 2) | (below == 3), first),
        "input to all": (bidiag, every),
        "dense": (np.ones((L, L), bool), every),
    }
    return {name: relaxed_plan("elman", input_size, [width] * L, rm, im, delay=L - 1, description=name)
            for name, (rm, im) in specs.items()}


def plot_sparsity_patterns(plans: dict[str, Plan] | Sequence[Plan] | None = None, *,
                           fig: Figure | None = None) -> Figure:
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

    Returns
    -------
    Figure
        One Axes per plan.
    """
    if plans is None:
        plans = topology_patterns()
    if isinstance(plans, dict):
        items = list(plans.items())
    elif isinstance(plans, Sequence) and not isinstance(plans, (str, bytes)):
        items = [(p.description or f"plan {i + 1}", p) for i, p in enumerate(plans)]
    else:
        raise TypeError(f"plans must be a dict of Plans or a sequence of Plans; got {type(plans).__name__}")
    if not items:
        raise ValueError("plans must contain at least one Plan; got none")
    for name, p in items:
        _check_plan(p, f"plans[{name!r}]")
    n = len(items)
    fig = _new_figure(fig, (2.9 * n + 0.6, 3.9))
    axes = fig.subplots(1, n, squeeze=False)[0]
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
        ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, alpha=0.8)
        for (r, c), t in texts.items():
            ax.text(c, r, t, ha="center", va="center", fontsize=TEXT_SIZE + 1)
        ax.axvline(0.5, color="black", lw=1.5)
        ax.set_xticks(range(L + 1), ["x"] + [b.name for b in plan.blocks])
        ax.set_yticks(range(L), [b.name for b in plan.blocks])
        ax.set_xticks(np.arange(-0.5, L + 1), minor=True)
        ax.set_yticks(np.arange(-0.5, L), minor=True)
        ax.grid(which="minor", color="0.6", lw=0.6)
        ax.tick_params(which="minor", length=0)
        _label(ax, name, "reads (x = input)", "block", TITLE_SIZE - 1)
    labels = {"vertical": "same time: layer below / input (0)", "recurrent": "own past (+1)",
              "acausal": "look-ahead into the future (< 0)", "feedback": "feedback from the past (≥ 2)"}
    handles = [Patch(facecolor=SHIFT_COLOURS[k], alpha=0.8, edgecolor="0.3", label=labels[k]) for k in order[1:]]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=TEXT_SIZE, frameon=False)
    fig.suptitle("Block-sparsity patterns; entry = time shift the connection carries", fontsize=TITLE_SIZE + 1)
    return fig


# ------------------------------------------------ (c) the GRU counterexample
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
        Sequence length.
    hidden_sizes : sequence of int
        Layer widths (at least two layers).
    input_size : int
    seed : int
        Seed of the random networks and input.
    fig : Figure, optional

    Returns
    -------
    Figure
        Two Axes.
    """
    from numerics.models import StackedRNN, delayed_gru

    T = check_count(T, "T")
    if len(hidden_sizes) < 2:
        raise ValueError(f"hidden_sizes must have at least 2 layers for a counterexample; got {list(hidden_sizes)}")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, 1, input_size))
    t = np.arange(1, T + 1)
    fig = _new_figure(fig, (12.5, 4.8))
    ax_y, ax_e = fig.subplots(1, 2)
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
            ax_y.plot(t, y_d[:, 0, 0], "s--", color="#c44e52", lw=2, ms=6, label="naive d-GRU (block layout)")
            ax_y.plot(t, y_own[:, 0, 0], "x:", color="#dd8452", lw=2, ms=8, mew=2,
                      label="own-reset d-GRU (the fix)")
    styles = {"gru": ("#c44e52", "s-", "GRU: naive d-GRU"), "gru-own": ("#dd8452", "x-", "GRU: own-reset d-GRU"),
              "lstm": ("#55a868", "^-", "LSTM: d-LSTM"), "elman": ("#4c72b0", "o-", "Elman: d-RNN")}
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
    _label(ax_y, f"Output unit 1 of layer {L}", "time $t$", "$h^L_t$", TITLE_SIZE - 1)
    _label(ax_e, "Stacked vs delayed, same block layout", "time $t$",
           "max |stacked − delayed|\n(0 plotted at 1e-17)", TITLE_SIZE - 1)
    fig.suptitle("The construction holds for LSTM, fails for GRU (reset gate on the layer below),\n"
                 "and holds again with the own-block reset", fontsize=TITLE_SIZE)
    return fig


# ---------------------------------------------------- (d) receptive fields
def jacobian_magnitude(jacobian: Any) -> np.ndarray:
    """``max_{k,i} |∂y_t[k] / ∂x_s[i]|`` as a ``(T_out, T_in)`` array.

    Parameters
    ----------
    jacobian : array, shape (T_out, n_out, T_in, n_in)
        As returned by :func:`numerics.models.jacobian.input_jacobian`.
    """
    J = np.asarray(jacobian)
    if J.ndim != 4:
        raise ValueError(f"jacobian must have shape (T_out, n_out, T_in, n_in); got shape {J.shape}")
    if not np.all(np.isfinite(J)):
        raise ValueError("jacobian has non-finite entries")
    return np.abs(J).max(axis=(1, 3)) if J.size else np.zeros((J.shape[0], J.shape[2]))


def _field_outline(field: np.ndarray) -> list[list[tuple[float, float]]]:
    """Segments (in 1-based cell coordinates) separating true cells from false ones or the border."""
    pad = np.pad(field, 1)
    segs = []
    for t, s in zip(*np.nonzero(field)):
        y, x = t + 1, s + 1          # cell centre, 1-based
        if not pad[t, s + 1]:        # above
            segs.append([(x - 0.5, y - 0.5), (x + 0.5, y - 0.5)])
        if not pad[t + 2, s + 1]:    # below
            segs.append([(x - 0.5, y + 0.5), (x + 0.5, y + 0.5)])
        if not pad[t + 1, s]:        # left
            segs.append([(x - 0.5, y - 0.5), (x - 0.5, y + 0.5)])
        if not pad[t + 1, s + 2]:    # right
            segs.append([(x + 0.5, y - 0.5), (x + 0.5, y + 0.5)])
    return segs


def _time_ticks(T: int) -> list[int]:
    """Time ticks (1-based) that stay legible on a panel about three inches wide."""
    if T <= 8:
        return list(range(1, T + 1))
    if T <= 20:
        return list(range(1, T + 1, 2))
    return sorted({1, *range(5, T + 1, 5)})


def plot_receptive_field(jacobian: Any, field: Any = None, *, ax: Axes | None = None, title: str | None = None,
                         log_min: float | None = None, colorbar: bool = True) -> Axes:
    """Heat map of ``log10 |∂y_t/∂x_s|`` with the structural receptive field's boundary drawn on it.

    Rows are output times ``t``, columns input times ``s`` (both from 1);
    each cell shows the largest entry of the block ``∂y_t/∂x_s`` over
    output and input features. Exact zeros are left white. The dashed
    diagonal is ``s = t``: cells right of it are look-ahead.

    Parameters
    ----------
    jacobian : array, shape (T_out, n_out, T_in, n_in)
        From :func:`numerics.models.jacobian.input_jacobian`.
    field : bool array, shape (T_out, T_in), optional
        Structural receptive field (``theory.receptive``); its boundary is
        drawn in red.
    ax : Axes, optional
    title : str, optional
    log_min : float, optional
        Lower end of the colour scale (``log10``); default: the smallest
        non-zero entry, rounded down, and at least -16.
    colorbar : bool
        Add a colour bar to the Axes' figure.

    Returns
    -------
    Axes
        ``ax.images[0]`` is the heat map (for a shared colour bar).
    """
    mag = jacobian_magnitude(jacobian)
    T_out, T_in = mag.shape
    if field is not None:
        field = np.asarray(field)
        if field.shape != mag.shape or field.dtype != bool:
            raise ValueError(f"field must be a bool array of shape {mag.shape}; got {field.dtype} {field.shape}")
    ax = _new_axes(ax, (5.2, 4.6))
    with np.errstate(divide="ignore"):
        logm = np.where(mag > 0, np.log10(np.where(mag > 0, mag, 1.0)), np.nan)
    finite = logm[np.isfinite(logm)]
    if log_min is None:
        log_min = float(max(np.floor(finite.min()), -16.0)) if finite.size else -1.0
    vmax = max(0.0, float(np.ceil(finite.max())) if finite.size else 0.0, log_min + 1.0)
    image = ax.imshow(np.ma.masked_invalid(logm), cmap="viridis", vmin=log_min, vmax=vmax,
                      extent=(0.5, T_in + 0.5, T_out + 0.5, 0.5), interpolation="nearest")
    ax.plot([0.5, min(T_in, T_out) + 0.5], [0.5, min(T_in, T_out) + 0.5], ls="--", color="0.35", lw=1.0)
    if field is not None:
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection(_field_outline(field), colors="#d62728", linewidths=2.2))
    ax.set_xticks(_time_ticks(T_in))
    ax.set_yticks(_time_ticks(T_out))
    ax.set_aspect("equal")
    if colorbar:
        cb = ax.figure.colorbar(image, ax=ax, shrink=0.85)
        cb.set_label("log$_{10}$ |∂y$_t$/∂x$_s$|", fontsize=LABEL_SIZE - 1)
        cb.ax.tick_params(labelsize=TICK_SIZE)
    return _label(ax, title or "Receptive field", "input time $s$", "output time $t$")


def receptive_spectrum(T: int = 12, L: int = 4, width: int = 2, *, seed: int = 0) -> list[dict[str, Any]]:
    """Networks from causal to fully acausal, each with its Jacobian and structural receptive field.

    Parameters
    ----------
    T : int
        Sequence length.
    L : int
        Layers / blocks (delay ``L - 1``), at least 3.
    width : int
        Units per layer or block.
    seed : int
        Seed of the random weights and the input sequence.

    Returns
    -------
    list of dict
        One entry per topology — ``"stacked"``, ``"skip 1 layer"``,
        ``"skip 1–2 layers"``, ``"dense d-RNN"``, ``"bidirectional"`` — with
        keys ``name``, ``net``, ``jacobian`` (``(T, n_out, T, 1)``), ``field``
        (bool ``(T, T)``, from :func:`theory.receptive.receptive_field`; all
        true for the bidirectional network), ``lookahead`` (int; ``T - 1``
        for the bidirectional network) and ``matches`` (whether the
        Jacobian's support equals the field).
    """
    from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
    from numerics.models.jacobian import input_jacobian
    from theory.receptive import lookahead, receptive_field

    T = check_count(T, "T")
    L = check_count(L, "L", minimum=3)
    width = check_count(width, "width")
    x = np.random.default_rng(seed).normal(size=(T, 1))
    patterns = topology_patterns(L, width)
    stacked = StackedRNN.random(1, [width] * L, seed=seed)
    entries: list[tuple[str, Any, np.ndarray, int]] = [
        ("stacked", stacked, receptive_field(stacked.plan(), T), int(lookahead(stacked.plan()) or 0)),
    ]
    for name, label in (("skip 1 layer", "skip 1 layer"), ("skip 1–2 layers", "skip 1–2 layers"),
                        ("dense", "dense d-RNN")):
        plan = patterns[name]
        net = DelayedRNN.random(plan, seed=seed)
        entries.append((label, net, receptive_field(plan, T), int(lookahead(plan) or 0)))
    bi = BidirectionalRNN.random(1, [width] * 2, seed=seed)
    entries.append(("bidirectional", bi, np.ones((T, T), dtype=bool), T - 1))
    out = []
    for name, net, field, ahead in entries:
        J = input_jacobian(net, x)
        out.append({"name": name, "net": net, "jacobian": J, "field": field, "lookahead": ahead,
                    "matches": bool(np.array_equal(jacobian_magnitude(J) > 0, field))})
    return out


def plot_receptive_spectrum(T: int = 12, L: int = 4, width: int = 2, *, seed: int = 0,
                            fig: Figure | None = None) -> Figure:
    """The spectrum of topologies: measured Jacobians beside exact structural receptive fields.

    Top row: ``log10 |∂y_t/∂x_s|`` of a random network of each topology
    (:func:`receptive_spectrum`), with the structural field's boundary in
    red. Bottom row: the structural field itself, from the plan alone
    (:func:`theory.receptive.receptive_field`), titled with its look-ahead
    and whether the Jacobian's support matches it exactly.

    Parameters
    ----------
    T, L, width, seed
        As for :func:`receptive_spectrum`.
    fig : Figure, optional

    Returns
    -------
    Figure
        ``2 × 5`` Axes and a shared colour bar.
    """
    entries = receptive_spectrum(T, L, width, seed=seed)
    n = len(entries)
    fig = _new_figure(fig, (3.1 * n + 1.2, 7.6))
    _pad_rows(fig, 0.1)
    axes = fig.subplots(2, n, squeeze=False)
    logs = np.concatenate([np.log10(m[m > 0]) for m in (jacobian_magnitude(e["jacobian"]) for e in entries)])
    log_min = float(max(np.floor(logs.min()), -16.0)) if logs.size else -1.0
    field_cmap = ListedColormap(["white", "#9ecae1"])
    image = None
    for j, e in enumerate(entries):
        top, bottom = axes[0, j], axes[1, j]
        ahead = "all (whole sequence)" if e["name"] == "bidirectional" else str(e["lookahead"])
        plot_receptive_field(e["jacobian"], e["field"], ax=top, title=f"{e['name']}\nlook-ahead {ahead}",
                             log_min=log_min, colorbar=False)
        image = top.images[0]
        bottom.imshow(e["field"], cmap=field_cmap, vmin=0, vmax=1, extent=(0.5, T + 0.5, T + 0.5, 0.5),
                      interpolation="nearest")
        from matplotlib.collections import LineCollection

        bottom.add_collection(LineCollection(_field_outline(e["field"]), colors="#d62728", linewidths=2.2))
        bottom.plot([0.5, T + 0.5], [0.5, T + 0.5], ls="--", color="0.35", lw=1.0)
        bottom.set_xticks(_time_ticks(T))
        bottom.set_yticks(_time_ticks(T))
        bottom.set_aspect("equal")
        _label(bottom, "structural field: " + ("matches ✓" if e["matches"] else "differs ✗"),
               "input time $s$", "output time $t$" if j == 0 else None, TITLE_SIZE - 2)
        top.title.set_fontsize(TITLE_SIZE - 1)
        if j:
            top.set_ylabel("")
    assert image is not None
    cb = fig.colorbar(image, ax=axes[0, :].tolist(), shrink=0.9, pad=0.01)
    cb.set_label("log$_{10}$ max |∂y$_t$/∂x$_s$|", fontsize=LABEL_SIZE - 1)
    cb.ax.tick_params(labelsize=TICK_SIZE)
    handles = [Patch(facecolor="#9ecae1", edgecolor="0.4", label="x$_s$ can influence y$_t$ (structure)"),
               Patch(facecolor="white", edgecolor="0.4", label="structural zero (exact 0 in the Jacobian)"),
               Line2D([], [], color="#d62728", lw=2.2, label="boundary of the structural field"),
               Line2D([], [], color="0.35", ls="--", lw=1.0, label="s = t (right of it: future)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=TEXT_SIZE, frameon=False)
    fig.suptitle(f"The spectrum of topologies (T = {T}, d = {L - 1}): measured Jacobian (top) "
                 f"and exact structural receptive field (bottom)", fontsize=TITLE_SIZE + 1)
    return fig


#: Name → zero-argument function drawing each lecture figure (used by ``drnn figures``).
FIGURES: dict[str, Any] = {
    "wavefront": lambda: plot_wavefront(L=4, T=8, step=5).figure,
    "block_matrices": lambda: plot_block_matrices(stacked_plan("elman", 3, [4, 5, 2])),
    "block_matrices_lstm": lambda: plot_block_matrices(stacked_plan("lstm", 2, [3, 2], None)),
    "sparsity_patterns": lambda: plot_sparsity_patterns(),
    "gru_counterexample": lambda: plot_gru_counterexample(),
    "receptive_fields": lambda: plot_receptive_spectrum(),
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
        "bidirectional network (the whole sequence), with the structural field's boundary in red. "
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
}
