"""Result tables of the lecture deck, read from the committed results (never typed in).

Each table function reads one file that ``drnn reproduce`` (or a benchmark
script) committed under ``benchmarks/`` and returns a :class:`ResultTable`:
a header, rows of formatted strings and a one-line note saying where the
numbers come from. ``drnn slides`` draws them as table pages
(:mod:`numerics.figures.lecture`).

* :func:`reversal_table` — ``reproduce-<profile>/results.csv``, task reversal;
* :func:`sine_table` — the same file, task sine (NMSE per model and scale);
* :func:`runtime_table` — ``reproduce-<profile>/runtime.csv`` (time relative to the stacked network);
* :func:`pos_table` — ``reproduce-<profile>/pos.csv`` (part-of-speech tagging), ``None`` when absent;
* :func:`conversion_table` — ``bidirectional_conversion.json`` (a trained bidirectional network converted).
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numerics._validate import check_path
from theory._checks import check_type

__all__ = ["POS_COLUMNS", "ResultTable", "conversion_table", "default_results_dir", "pos_table",
           "reversal_table", "runtime_table", "sine_table"]

#: Columns the part-of-speech result file ``pos.csv`` must have.
POS_COLUMNS = ("model", "delay", "n_seeds", "accuracy_mean", "accuracy_sd", "gap_mean", "gap_sd")


@dataclass(frozen=True)
class ResultTable:
    """A table of one slide: ``header`` and ``rows`` of strings, a ``note`` naming the source file."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str


def default_results_dir() -> Path | None:
    """The repository's ``benchmarks/`` directory next to the installed package, or ``None`` (a wheel)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks"
    return path if path.is_dir() else None


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        # The folder is named after the profile, so a missing file is usually an unknown profile: say both.
        raise ValueError(f"results file {path} does not exist for the profile {path.parent.name[10:]!r} "
                         "(run drnn reproduce, or pass --results DIR)")
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _mean_sd(values: list[float]) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _by_model(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Rows grouped by model name, in the order the models first appear."""
    out: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        out.setdefault(r["model"], []).append(r)
    return out


def _profile_dir(results: Path, profile: str) -> Path:
    check_type(profile, str, "profile")
    if not re.fullmatch(r"[\w.-]+", profile):
        raise ValueError(f"profile must name a reproduce-<profile> directory (letters, digits, _ . -); got {profile!r}")
    return check_path(results, "results", directory=True) / f"reproduce-{profile}"


def reversal_table(results: Path, profile: str) -> ResultTable:
    """Sequence reversal: test accuracy per model (mean ± s.d. over seeds, in %) and the look-ahead bound."""
    path = _profile_dir(results, profile) / "results.csv"
    rows = [r for r in _read_csv(path) if r["task"] == "reversal"]
    if not rows:
        raise ValueError(f"results file {path} has no reversal rows")
    out = []
    for model, grp in _by_model(rows).items():
        m, s = _mean_sd([100 * float(r["test_accuracy"]) for r in grp])
        bound = 100 * float(grp[0]["accuracy_bound"])
        out.append((model, grp[0]["params"], str(len(grp)), f"{m:.1f} ± {s:.1f} %", f"{bound:.1f} %"))
    T, V = rows[0]["T"], rows[0]["V"]
    return ResultTable(("model", "parameters", "seeds", "test accuracy", "bound"), tuple(out),
                       f"T = {T}, V = {V} symbols; bound: best accuracy with the model's look-ahead. "
                       f"Read from {path.parent.name}/{path.name}.")


def sine_table(results: Path, profile: str) -> ResultTable:
    """Sine filtering: test NMSE (mean ± s.d. over seeds) per model (columns) and scale (rows)."""
    path = _profile_dir(results, profile) / "results.csv"
    rows = [r for r in _read_csv(path) if r["task"] == "sine"]
    if not rows:
        raise ValueError(f"results file {path} has no sine rows")
    models = list(_by_model(rows))
    scales = list(dict.fromkeys(r["scale"] for r in rows))
    out = []
    for scale in scales:
        cells = []
        for model in models:
            grp = [float(r["test_nmse"]) for r in rows if r["scale"] == scale and r["model"] == model]
            m, s = _mean_sd(grp)
            cells.append(f"{m:.4f} ± {s:.4f}" if grp else "–")
        out.append((scale, *cells))
    a, c = rows[0]["acausal"], rows[0]["causal"]
    return ResultTable(("scale", *models), tuple(out),
                       f"Test NMSE = MSE / Var(y), lower is better; {c} causal, {a} acausal taps. "
                       f"Read from {path.parent.name}/{path.name}.")


def runtime_table(results: Path, profile: str) -> ResultTable:
    """Forward + backward time of each model relative to the stacked network of the same depth and width."""
    path = _profile_dir(results, profile) / "runtime.csv"
    rows = _read_csv(path)
    if not rows:
        raise ValueError(f"results file {path} has no rows")
    models = [m for m in dict.fromkeys(r["model"] for r in rows) if m != "stacked"]
    points = list(dict.fromkeys((r["depth"], r["width"]) for r in rows))
    out = []
    for depth, width in points:
        ratio = {r["model"]: float(r["ratio_to_stacked"]) for r in rows
                 if (r["depth"], r["width"]) == (depth, width)}
        out.append((depth, width, *[f"{ratio[m]:.2f}×" if m in ratio else "–" for m in models]))
    return ResultTable(("layers L", "width", *models), tuple(out),
                       "Forward + backward time ÷ the stacked network's (LSTM, one thread, same L and width). "
                       f"Read from {path.parent.name}/{path.name}.")


def pos_table(results: Path, profile: str) -> ResultTable | None:
    """Part-of-speech tagging accuracy per model from ``pos.csv``; ``None`` if the file does not exist."""
    path = _profile_dir(results, profile) / "pos.csv"
    if not path.is_file():
        return None
    rows = _read_csv(path)
    missing = [c for c in POS_COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise ValueError(f"results file {path} must have rows with the columns {list(POS_COLUMNS)}; "
                         f"missing {missing or 'every row'}")
    # Accuracies are fractions (0.95) or percentages (95.0); a fraction is shown in % like every other table.
    scale = 100.0 if all(float(r["accuracy_mean"]) <= 1.0 for r in rows) else 1.0

    def spread(mean: str, sd: str, fmt: str, unit: str = "") -> str:
        # Empty fields are part of the format: no gap for the reference models, no s.d. for one run.
        if not mean.strip():
            return "–"
        m = fmt.format(scale * float(mean))
        return f"{m} ± {scale * float(sd):.2f}{unit}" if sd.strip() else f"{m}{unit}"

    out = []
    for r in rows:
        out.append((r["model"], r["delay"] or "–", r["n_seeds"],
                    spread(r["accuracy_mean"], r["accuracy_sd"], "{:.2f}", " %"),
                    spread(r["gap_mean"], r["gap_sd"], "{:+.2f}")))
    return ResultTable(("model", "delay d", "seeds", "test accuracy", "gap (points)"),
                       tuple(out), "UPOS tags, UD English EWT, all test words; gap: d-LSTM minus bidirectional. "
                       f"Read from {path.parent.name}/{path.name}.")


def conversion_table(results: Path, task: str = "sine") -> ResultTable:
    """A trained bidirectional network converted to horizon ``h`` against d-RNNs trained with delay ``h``."""
    check_type(task, str, "task")
    path = check_path(results, "results", directory=True) / "bidirectional_conversion.json"
    if not path.is_file():
        raise ValueError(f"results file {path} does not exist (run benchmarks/bidirectional_conversion.py)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if task not in data or "summary" not in data[task]:
        raise ValueError(f"results file {path} has no summary of the task {task!r}")
    s = data[task]["summary"]
    metric = s["metric"]
    drnn = {int(r["lookahead"]): r[metric]["mean"] for r in s["drnn"]}
    out = []
    for r in s["converted"]:
        h = int(r["lookahead"])
        if h in drnn:
            out.append((str(h), f"{r[metric]['mean']:.3f}", str(int(r["latency"])), f"{drnn[h]:.3f}", str(h)))
    ref = s["bidirectional"][metric]["mean"]
    return ResultTable(("look-ahead h", f"converted {metric}", "latency 2h", f"d-RNN {metric}", "latency d"),
                       tuple(out), f"{task}, mean of {len(s['seeds'])} seeds; the bidirectional network "
                       f"itself: {ref:.3f}. Read from {path.name}.")
