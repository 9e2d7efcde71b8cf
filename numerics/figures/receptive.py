"""Receptive-field figures: measured input Jacobians beside the exact structural fields of the plans."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from numerics._validate import as_float_array, check_seed
from numerics.figures._style import (
    FIELD_COLOUR,
    HIGHLIGHT,
    LABEL_SIZE,
    MAX_GRID,
    TEXT_SIZE,
    TICK_SIZE,
    TITLE_SIZE,
    new_axes,
    new_figure,
    pad_rows,
    set_labels,
)
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.models.jacobian import input_jacobian
from theory._checks import check_count, check_real, check_type
from theory.receptive import lookahead, receptive_field
from theory.topologies import topology_patterns

#: Most units (``L · width``) of the networks of :func:`receptive_spectrum`: the dense d-RNN's Jacobian
#: takes about a second at 256 units and grows with their cube.
MAX_UNITS = 128


def jacobian_magnitude(jacobian: Any) -> np.ndarray:
    """``max_{k,i} |∂y_t[k] / ∂x_s[i]|`` as a ``(T_out, T_in)`` array.

    Parameters
    ----------
    jacobian : array, shape (T_out, n_out, T_in, n_in)
        As returned by :func:`numerics.models.jacobian.input_jacobian`.
    """
    J = as_float_array(jacobian, "jacobian")
    if J.ndim != 4:
        raise ValueError(f"jacobian must have shape (T_out, n_out, T_in, n_in); got shape {J.shape}")
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
        drawn in vermillion.
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

    Raises
    ------
    TypeError, ValueError
        Naming the argument of the wrong kind or shape.
    """
    mag = jacobian_magnitude(jacobian)
    if title is not None:
        check_type(title, str, "title", "a str or None")
    if log_min is not None:
        log_min = check_real(log_min, "log_min")
    check_type(colorbar, bool, "colorbar")
    T_out, T_in = mag.shape
    if field is not None:
        field = np.asarray(field)
        if field.shape != mag.shape or field.dtype != bool:
            raise ValueError(f"field must be a bool array of shape {mag.shape}; got {field.dtype} {field.shape}")
    ax = new_axes(ax, (5.2, 4.6))
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
        ax.add_collection(LineCollection(_field_outline(field), colors=HIGHLIGHT, linewidths=2.2))
    ax.set_xticks(_time_ticks(T_in))
    ax.set_yticks(_time_ticks(T_out))
    ax.set_aspect("equal")
    if colorbar:
        cb = ax.figure.colorbar(image, ax=ax, shrink=0.85)
        cb.set_label("log$_{10}$ |∂y$_t$/∂x$_s$|", fontsize=LABEL_SIZE - 1)
        cb.ax.tick_params(labelsize=TICK_SIZE)
    return set_labels(ax, title or "Receptive field", "input time $s$", "output time $t$")


def receptive_spectrum(T: int = 12, L: int = 4, width: int = 2, *, seed: int = 0) -> list[dict[str, Any]]:
    """Networks from causal to fully acausal, each with its Jacobian and structural receptive field.

    Parameters
    ----------
    T : int
        Sequence length (1 to :data:`~numerics.figures._style.MAX_GRID`).
    L : int
        Layers / blocks (delay ``L - 1``), 3 to :data:`~numerics.figures._style.MAX_GRID`.
    width : int
        Units per layer or block; ``L · width`` at most :data:`MAX_UNITS`.
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

    Raises
    ------
    TypeError, ValueError
        Naming the argument out of range.
    """
    T = check_count(T, "T", maximum=MAX_GRID)
    L = check_count(L, "L", minimum=3, maximum=MAX_GRID)
    width = check_count(width, "width")
    if L * width > MAX_UNITS:
        raise ValueError(f"width must keep the networks at L · width <= {MAX_UNITS} units; got L={L}, width={width}")
    x = np.random.default_rng(check_seed(seed)).normal(size=(T, 1))
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
    vermillion. Bottom row: the structural field itself, from the plan alone
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
    fig = new_figure(fig, (3.1 * n + 1.2, 7.6))
    pad_rows(fig, 0.1)
    axes = fig.subplots(2, n, squeeze=False)
    logs = np.concatenate([np.log10(m[m > 0]) for m in (jacobian_magnitude(e["jacobian"]) for e in entries)])
    log_min = float(max(np.floor(logs.min()), -16.0)) if logs.size else -1.0
    field_cmap = ListedColormap(["white", FIELD_COLOUR])
    image = None
    for j, e in enumerate(entries):
        top, bottom = axes[0, j], axes[1, j]
        ahead = "all (whole sequence)" if e["name"] == "bidirectional" else str(e["lookahead"])
        plot_receptive_field(e["jacobian"], e["field"], ax=top, title=f"{e['name']}\nlook-ahead {ahead}",
                             log_min=log_min, colorbar=False)
        image = top.images[0]
        bottom.imshow(e["field"], cmap=field_cmap, vmin=0, vmax=1, extent=(0.5, T + 0.5, T + 0.5, 0.5),
                      interpolation="nearest")
        bottom.add_collection(LineCollection(_field_outline(e["field"]), colors=HIGHLIGHT, linewidths=2.2))
        bottom.plot([0.5, T + 0.5], [0.5, T + 0.5], ls="--", color="0.35", lw=1.0)
        bottom.set_xticks(_time_ticks(T))
        bottom.set_yticks(_time_ticks(T))
        bottom.set_aspect("equal")
        set_labels(bottom, "structural field: " + ("matches ✓" if e["matches"] else "differs ✗"),
               "input time $s$", "output time $t$" if j == 0 else None, TITLE_SIZE - 2)
        top.title.set_fontsize(TITLE_SIZE - 1)
        if j:
            top.set_ylabel("")
    assert image is not None
    cb = fig.colorbar(image, ax=axes[0, :].tolist(), shrink=0.9, pad=0.01)
    cb.set_label("log$_{10}$ max |∂y$_t$/∂x$_s$|", fontsize=LABEL_SIZE - 1)
    cb.ax.tick_params(labelsize=TICK_SIZE)
    handles = [Patch(facecolor=FIELD_COLOUR, edgecolor="0.4", label="x$_s$ can influence y$_t$ (structure)"),
               Patch(facecolor="white", edgecolor="0.4", label="structural zero (exact 0 in the Jacobian)"),
               Line2D([], [], color=HIGHLIGHT, lw=2.2, label="boundary of the structural field"),
               Line2D([], [], color="0.35", ls="--", lw=1.0, label="s = t (right of it: future)")]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=TEXT_SIZE, frameon=False)
    fig.suptitle(f"The spectrum of topologies (T = {T}, d = {L - 1}): measured Jacobian (top) "
                 f"and exact structural receptive field (bottom)", fontsize=TITLE_SIZE + 1)
    return fig


__all__ = [
    "MAX_UNITS",
    "jacobian_magnitude",
    "plot_receptive_field",
    "plot_receptive_spectrum",
    "receptive_spectrum",
]
