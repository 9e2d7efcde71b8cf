"""Figures of docs/theory/bidirectional.md: the pipeline construction, error against horizon, the conversion.

* :func:`plot_pipeline` — which block of the compiled horizon-``h`` layer
  holds what at which d-RNN step (read from the compiled plan's lags);
* :func:`plot_horizon_error` — the truncation error of random contractive
  bidirectional layers against ``h``, next to the bound ``√n ρ^{h+1}``;
* :func:`plot_conversion` — a trained bidirectional network converted to
  streaming layers, task error against horizon and latency, next to d-RNNs
  trained directly (a record of
  :func:`numerics.experiments.bidirectional.conversion_experiment`, or the
  mean and range over seeds that ``benchmarks/bidirectional_conversion.py``
  summarises).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from numerics.figures._style import HIGHLIGHT, TEXT_SIZE, new_axes, new_figure, set_labels
from numerics.figures.palette import OKABE_ITO
from numerics.models.topology import TopologyRNN, truncation_bound, truncation_error
from theory._checks import check_count, check_real
from theory.topology import Layer, Topology, bidirectional_topology, compile_topology

#: Fill colour of each kind of block in the pipeline figure.
KIND_COLOURS = {"line": OKABE_ITO["sky blue"], "stage": OKABE_ITO["orange"], "forward": OKABE_ITO["bluish green"]}


def _holds(name: str, lag: int, tau: int) -> str | None:
    """What block ``name`` (of lag ``lag``) holds at d-RNN step ``tau`` (1-based times), ``None`` before it starts."""
    t = tau - lag
    if name.startswith("x@"):
        return f"$x_{{{t}}}$" if t >= 1 else None
    if name.startswith("b1."):
        j = int(name.split(".")[1])
        first, last = tau - 2 * j, tau - j  # stage j covers x_{τ-2j} … x_{τ-j}
        if first < 1:
            return None  # warm-up: the stage has not reached a real time step yet
        return f"$\\tilde h^b_{{{first}:{last}}}$"
    return f"$h^f_{{{t}}}$" if t >= 1 else None


def plot_pipeline(h: int = 2, steps: int = 9, t: int = 2, *, ax: Axes | None = None, slide: bool = False) -> Axes:
    """The compiled horizon-``h`` bidirectional layer as a table: block (row) × d-RNN step (column).

    Rows are the blocks of ``compile_topology`` for one bidirectional layer
    reading the input: the slots ``i`` of the input delay line (slot ``i``
    holds ``x_{τ-i}``), the backward pipeline stages ``j`` (stage ``j`` at
    step ``τ`` holds the backward cell run from 0 over ``x_{τ-j}, …,
    x_{τ-2j}``, written ``h̃^b_{τ-2j:τ-j}``) and the forward block (holds
    ``h^f_{τ-2h}``). A line under the legend defines these symbols.
    The cells that produce the output for time ``t`` — the stages along the
    diagonal and the line slots they read — are outlined; the read-out at
    step ``t + 2h`` is ``[h^f_t ; b̃[t : t+h]]``.

    Parameters
    ----------
    h : int
        Horizon, ``0 … 4``.
    steps : int
        d-RNN steps shown.
    t : int
        Time whose output is traced (1-based).
    ax : Axes, optional
    slide : bool
        Draw the legend in one row and leave the title to the caller (a 16:9 slide).

    Returns
    -------
    Axes
    """
    h = check_count(h, "h", 0, 4)
    steps = check_count(steps, "steps", 1, 16)
    t = check_count(t, "t", 1, steps)
    plan = compile_topology(Topology(1, (Layer(1, (0,), "bidirectional", h),))).plan
    blocks = list(plan.blocks)
    order = [b for b in blocks if b.name.startswith("x@")] + \
        [b for b in blocks if b.name.startswith("b1.")] + [b for b in blocks if b.name == "h1"]
    ax = new_axes(ax, (1.9 + 0.75 * steps, 1.7 + 0.42 * len(order)))
    traced: set[tuple[str, int]] = set()
    for j in range(h + 1):
        tau = t + h + j  # stage j computes the window for t at step t + h + j
        traced.add((f"b1.{j}", tau))
        if j:
            traced.add((f"x@{2 * j - 1}", tau - 1))  # it read x_{τ-2j} from line slot 2j-1 one step earlier
    traced.add(("h1", t + 2 * h))
    for row, b in enumerate(order):
        kind = "line" if b.name.startswith("x@") else "stage" if b.name.startswith("b1.") else "forward"
        for tau in range(1, steps + 1):
            text = _holds(b.name, b.lag, tau)
            face = KIND_COLOURS[kind] if text else "white"
            ax.add_patch(Rectangle((tau - 0.5, row - 0.5), 1, 1, facecolor=face, alpha=0.45 if text else 1,
                                   edgecolor="0.6", linewidth=0.6))
            if (b.name, tau) in traced:
                ax.add_patch(Rectangle((tau - 0.46, row - 0.46), 0.92, 0.92, fill=False, edgecolor=HIGHLIGHT,
                                       linewidth=2.6))
            ax.text(tau, row, text or "·", ha="center", va="center", fontsize=TEXT_SIZE - (1 if h > 2 else 0))
    readout_step = t + 2 * h
    if readout_step <= steps:
        ax.axvline(readout_step, color=HIGHLIGHT, linestyle=":", linewidth=1.2)
    ax.set_xlim(0.5, steps + 0.5)
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xticks(range(1, steps + 1))
    def row_label(name: str) -> str:
        if name.startswith("x@"):
            return f"input slot {name[2:]}"
        return f"backward stage {name.split('.')[1]}" if name.startswith("b1.") else "forward block"

    ax.set_yticks(range(len(order)), [row_label(b.name) for b in order])
    ax.tick_params(length=0)
    outline = Patch(fill=False, edgecolor=HIGHLIGHT, linewidth=2, label=f"makes the output for $t = {t}$")
    kinds = [Patch(facecolor=KIND_COLOURS["line"], alpha=0.45, label="input delay line"),
             Patch(facecolor=KIND_COLOURS["stage"], alpha=0.45, label="backward stage"),
             Patch(facecolor=KIND_COLOURS["forward"], alpha=0.45, label="forward block")]
    # On a slide the row labels name the kinds; the legend keeps the outline and the symbols' definitions.
    definitions = ("slot $i$ holds $x_{\\tau-i}$;   the output for $t$ is read at step $t + 2h$\n"
                   "$\\tilde h^b_{a:b}$ = backward cell run from 0 over $x_b, \\dots, x_a$")
    if slide:  # beside the table, which keeps the height its rows need
        definitions = ("slot $i$ holds $x_{\\tau-i}$\n\n$\\tilde h^b_{a:b}$: backward cell\nrun from 0 over\n"
                       "$x_b, \\dots, x_a$\n\noutput for $t$ read\nat step $t + 2h$\n")
    ax.legend(handles=[outline] if slide else [*kinds, outline],
              loc="center left" if slide else "upper center",
              bbox_to_anchor=(1.02, 0.5) if slide else (0.5, -0.16), ncol=1 if slide else 2,
              fontsize=TEXT_SIZE, frameon=False, handlelength=1.2, columnspacing=1.0,
              title=definitions, alignment="left" if slide else "center",
              title_fontsize=TEXT_SIZE)
    return set_labels(ax, None if slide else
                      f"Horizon $h$ = {h} as one delayed layer (delay $2h$ = {plan.delay})",
                      "d-RNN step $\\tau$", None)


def _contractive(rho: float, width: int, input_size: int, bias: bool, seed: int) -> TopologyRNN:
    top = bidirectional_topology(input_size, [width], 0)
    net = TopologyRNN.random(top, bias=bias, seed=seed)
    params = dict(net.params)
    U = params["weight_hh_l0_reverse"]
    params["weight_hh_l0_reverse"] = U * (rho / np.linalg.norm(U, 2))
    return TopologyRNN(top, params, bias)


#: Largest width, length, number of horizons and of norms :func:`plot_horizon_error` draws: each horizon compiles
#: a layer of about ``(3h + 2) · width`` units and runs it, so bigger requests run for minutes, not seconds.
MAX_HORIZON_WIDTH, MAX_HORIZON_T, MAX_CURVES = 32, 200, 64


def _check_real_sequence(values: object, name: str, max_len: int) -> list[float]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of numbers; got {type(values).__name__}")
    if not 1 <= len(values) <= max_len:
        raise ValueError(f"{name} must have 1 to {max_len} entries; got {len(values)}")
    return [check_real(v, f"{name}[{i}]") for i, v in enumerate(values)]


def plot_horizon_error(rhos: Sequence[float] = (0.5, 0.8, 0.95), width: int = 4, T: int = 40,
                       horizons: Sequence[int] = tuple(range(0, 21)), *, seed: int = 0,
                       ax: Axes | None = None, slide: bool = False) -> Axes:
    """Truncation error against horizon for random contractive tanh layers, with the bound ``√n ρ^{h+1}``.

    For each ``ρ`` a random bidirectional tanh layer (with biases) whose
    backward recurrent matrix is rescaled (the same random matrix each time) to ``‖U_b‖₂ = ρ`` runs on 64
    Gaussian sequences of length ``T``; the markers are the largest
    ``‖h̃^b_t - h^b_t‖₂`` (equal to ``‖ỹ_t - y_t‖₂``: the forward half is
    exact) over the steps with ``t + h < T`` (away from the end), the
    dashed lines the bound.

    Parameters
    ----------
    rhos : sequence of float
        1 to 64 norms ``‖U_b‖₂`` in ``(0, 1)``.
    width : int
        Backward width ``n``, 1 to 32.
    T : int
        Sequence length, 2 to 200, larger than every horizon.
    horizons : sequence of int
        1 to 64 horizons in ``0 … T - 2``.
    seed : int
        ``>= 0``.
    ax : Axes, optional
    slide : bool
        Leave the title to the caller (a 16:9 slide).

    Returns
    -------
    Axes
        Integer ticks on the horizon axis; the legend right of the axes, off the data.

    Raises
    ------
    TypeError, ValueError
        An argument of the wrong type or out of range (the message names it).
    """
    rho_values = _check_real_sequence(rhos, "rhos", MAX_CURVES)
    for r in rho_values:
        if not 0 < r < 1:
            raise ValueError(f"rhos must lie in (0, 1); got {r}")
    width = check_count(width, "width", 1, MAX_HORIZON_WIDTH)
    T = check_count(T, "T", 2, MAX_HORIZON_T)
    if isinstance(horizons, (str, bytes, Mapping)) or not isinstance(horizons, Sequence):
        raise TypeError(f"horizons must be a sequence of ints; got {type(horizons).__name__}")
    if not 1 <= len(horizons) <= MAX_CURVES:
        raise ValueError(f"horizons must have 1 to {MAX_CURVES} entries; got {len(horizons)}")
    hs = [check_count(h, f"horizons[{i}]", 0) for i, h in enumerate(horizons)]
    if max(hs) > T - 2:  # the message names T too: the horizon or the length may be the wrong one
        raise ValueError(f"horizons must be at most T - 2 = {T - 2} (T = {T}); got {max(hs)}")
    seed = check_count(seed, "seed", 0)
    ax = new_axes(ax, (7.5, 5.0))
    colours = [OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["reddish purple"], OKABE_ITO["bluish green"]]
    x = np.random.default_rng(seed + 1).normal(size=(T, 64, 2))
    for i, rho in enumerate(rho_values):
        net = _contractive(rho, width, 2, True, seed)  # the same network, rescaled
        measured = [truncation_error(net, x, h)[: T - 1 - h].max() for h in hs]
        bound = [truncation_bound(rho, width, h, T)[0] for h in hs]
        c = colours[i % len(colours)]
        ax.semilogy(hs, np.maximum(measured, 1e-17), "o-", color=c, label=f"measured, $\\rho$ = {rho}")
        ax.semilogy(hs, bound, "--", color=c, label=f"bound, $\\rho$ = {rho}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=TEXT_SIZE, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False,
              title="bound: $\\sqrt{n}\\,\\rho^{h+1}$", title_fontsize=TEXT_SIZE)
    ax.grid(True, which="major", alpha=0.3)
    return set_labels(ax, None if slide else
                      f"Truncation error of a bidirectional\ntanh layer ($n$ = {width}, $T$ = {T})",
                      "horizon $h$ (steps of future input)",
                      "largest $\\|\\tilde h^b_t - h^b_t\\|_2$")


#: Score keys :func:`plot_conversion` knows how to label; any other metric is drawn with its key as the label.
METRIC_LABELS = {"nmse": "test NMSE (MSE / var y)", "accuracy": "test accuracy", "mse": "test MSE",
                 "cross_entropy": "test cross-entropy"}


#: One score as ``(mean, low, high, number of seeds)``.
Score = tuple[float, float, float, int]


def _score(value: object, where: str) -> Score:
    """``(mean, low, high, n)`` of one score: a number (one run) or a spread ``{mean, min, max, n}`` over seeds."""
    if isinstance(value, Mapping):
        for key in ("mean", "min", "max"):
            if key not in value:
                raise ValueError(f"record{where} must be a number or a spread with keys mean, min, max; "
                                 f"missing {key!r}")
        mean, lo, hi = (check_real(value[k], f"record{where}[{k!r}]") for k in ("mean", "min", "max"))
        if not lo <= mean <= hi:
            raise ValueError(f"record{where} must have min <= mean <= max; got {lo}, {mean}, {hi}")
        n = check_count(value.get("n", 1), f"record{where}['n']")
        return mean, lo, hi, n
    v = check_real(value, f"record{where}")
    return v, v, v, 1


def _rows(record: Mapping[str, Any], key: str, metric: str) -> list[tuple[float, float, Score]]:
    """``(lookahead, latency, score)`` of each row of ``record[key]``."""
    rows = record[key]
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
        raise TypeError(f"record[{key!r}] must be a list of rows; got {type(rows).__name__}")
    if not rows:
        raise ValueError(f"record[{key!r}] must have at least one row; got none")
    out = []
    for i, row in enumerate(rows):
        where = f"[{key!r}][{i}]"
        if not isinstance(row, Mapping):
            raise TypeError(f"record{where} must be a mapping; got {type(row).__name__}")
        for k in ("lookahead", "latency", metric):
            if k not in row:
                raise ValueError(f"record{where} must have the key {k!r}")
        out.append((check_real(row["lookahead"], f"record{where}['lookahead']", nonnegative=True),
                    check_real(row["latency"], f"record{where}['latency']", nonnegative=True),
                    _score(row[metric], f"{where}[{metric!r}]")))
    return out


def plot_conversion(record: Mapping[str, Any], *, fig: Figure | None = None) -> Figure:
    """Task error of a trained bidirectional network converted at every horizon, against h and latency.

    Left: the converted network's test score against the horizon ``h``
    (look-ahead), with the trained bidirectional network as a line and
    the directly trained d-RNNs at look-ahead ``d``. Right: the same
    against latency (d-RNN steps between input and output): ``2h`` for the
    converted network, ``d`` for the d-RNN. A record over several seeds
    draws the mean with the min–max range over the seeds (a band for the
    converted network and the bidirectional one, error bars for the d-RNNs).

    Parameters
    ----------
    record : mapping
        One task's record of
        :func:`numerics.experiments.bidirectional.conversion_experiment`
        (every score a number), or the ``summary`` of several seeds written by
        ``benchmarks/bidirectional_conversion.py`` (every score a spread
        ``{"mean", "min", "max", "n"}``). Keys ``task``, ``metric``,
        ``lookahead_needed``, ``bidirectional`` (``{metric: score}``),
        ``converted`` and ``drnn`` (non-empty lists of rows with
        ``lookahead``, ``latency`` and the metric).
    fig : Figure, optional

    Returns
    -------
    Figure

    Raises
    ------
    TypeError, ValueError
        A malformed record (the message names the key) or ``fig`` that is not a Figure.
    """
    if not isinstance(record, Mapping):
        raise TypeError(f"record must be a mapping (a conversion_experiment record or a summary); "
                        f"got {type(record).__name__}")
    for key in ("metric", "bidirectional", "converted", "drnn", "task", "lookahead_needed"):
        if key not in record:
            raise ValueError(f"record must be a conversion_experiment record or summary with key {key!r}")
    metric = record["metric"]
    if not isinstance(metric, str) or not metric:
        raise TypeError(f"record['metric'] must be a non-empty str; got {metric!r}")
    task = record["task"]
    if not isinstance(task, str):
        raise TypeError(f"record['task'] must be a str; got {type(task).__name__}")
    needed = check_count(record["lookahead_needed"], "record['lookahead_needed']", 0)
    bidir = record["bidirectional"]
    if not isinstance(bidir, Mapping) or metric not in bidir:
        raise ValueError(f"record['bidirectional'] must be a mapping with the key {metric!r}")
    ref = _score(bidir[metric], f"['bidirectional'][{metric!r}]")
    conv, drnn = _rows(record, "converted", metric), _rows(record, "drnn", metric)
    if metric == "nmse" and min(min(r[2][1] for r in conv + drnn), ref[1]) <= 0:
        raise ValueError("record's nmse scores must be > 0 (they are drawn on a log scale)")
    fig = new_figure(fig, (12.5, 5.2))
    seeds = max(r[2][3] for r in [*conv, *drnn, (0, 0, ref)])
    label = METRIC_LABELS.get(metric, metric)
    axes = fig.subplots(1, 2, sharey=True)
    orange, blue = OKABE_ITO["orange"], OKABE_ITO["blue"]
    spread = " (mean, min–max over seeds)" if seeds > 1 else ""
    for ax, col, xlabel in ((axes[0], 0, "look-ahead (steps of future input seen)"),
                            (axes[1], 1, "latency (d-RNN steps from input to output)")):
        xs = [r[col] for r in conv]
        ax.plot(xs, [r[2][0] for r in conv], "o-", color=orange, label="bidirectional, converted (no retraining)")
        if seeds > 1:
            ax.fill_between(xs, [r[2][1] for r in conv], [r[2][2] for r in conv], color=orange, alpha=0.2,
                            linewidth=0)
        xd = [r[col] for r in drnn]
        mean = np.array([r[2][0] for r in drnn])
        err = np.array([[m - r[2][1] for m, r in zip(mean, drnn)], [r[2][2] - m for m, r in zip(mean, drnn)]])
        ax.errorbar(xd, mean, yerr=err if seeds > 1 else None, fmt="s-", color=blue, capsize=4,
                    label="d-RNN trained with that delay")
        ax.axhline(ref[0], color="0.3", linestyle="--", label="bidirectional (full backward pass)")
        if seeds > 1:
            ax.axhspan(ref[1], ref[2], color="0.3", alpha=0.12, linewidth=0)
        ax.axvline(needed * (2 if col == 1 else 1), color="0.6", linestyle=":")
        if metric == "nmse":
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        set_labels(ax, None, xlabel, label if ax is axes[0] else None)
    axes[0].legend(fontsize=TEXT_SIZE - 1, loc="best")
    runs = f", {seeds} seeds{spread}" if seeds > 1 else ""
    fig.suptitle(f"From bidirectional to streaming: {task}{runs}\n(dotted: the look-ahead the task needs; "
                 "right, converted at 2× it)", fontsize=TEXT_SIZE + 2)
    return fig


__all__ = [
    "KIND_COLOURS",
    "METRIC_LABELS",
    "plot_conversion",
    "plot_horizon_error",
    "plot_pipeline",
]
