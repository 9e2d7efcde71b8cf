"""Tables of the experiments' results: flat rows, CSV files and a Markdown report.

:func:`result_rows` and :func:`runtime_rows` flatten stored run records
(:mod:`numerics.experiments.storage`) into one row per training run and one
per (runtime point, model); :func:`write_tables` writes them as
``results.csv``, ``runtime.csv`` and ``results.md``. The plots of the same
rows are in :mod:`numerics.figures.experiments`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from numerics.experiments.specs import RUNTIME_MODELS, RunSpec
from numerics.experiments.storage import write_text_atomic
from numerics.experiments.tasks import reversal_accuracy_bound

RESULT_COLUMNS: tuple[str, ...] = (
    "task", "T", "V", "causal", "acausal", "scale", "model", "kind", "cell", "layers", "width", "delay", "params",
    "seed", "epochs", "train_seconds", "test_accuracy", "accuracy_bound", "test_mse", "test_nmse",
    "test_accuracy_sampled",
)
RUNTIME_COLUMNS: tuple[str, ...] = ("width", "depth", "model", "model_width", "params", "forward_ms",
                                    "forward_backward_ms", "ratio_to_stacked", "ratio_to_bidirectional")


def result_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per training run (reversal and sine), sorted for reading."""
    rows = []
    for rec in records:
        spec = RunSpec.from_dict(rec["spec"])
        if spec.task not in ("reversal", "sine"):
            # Runtime points and the tagging runs (numerics.experiments.pos_report) share the folder.
            continue
        m, r, tp = spec.model, rec["result"], spec.task_params
        assert m is not None
        row: dict[str, Any] = {c: "" for c in RESULT_COLUMNS}
        row.update(task=spec.task, T=tp["T"], model=m.label, kind=m.kind, cell=m.cell, layers=m.layers,
                   width=m.width, delay=m.delay, params=r["params"], seed=spec.seed, epochs=r["epochs"],
                   train_seconds=round(r["train_seconds"], 1))
        if spec.task == "reversal":
            look = m.delay if m.kind == "delayed" else (tp["T"] - 1 if m.kind == "bidirectional" else 0)
            sampled = r.get("test_accuracy_sampled")
            row.update(V=tp["V"], test_accuracy=round(r["test_accuracy"], 4),
                       test_accuracy_sampled="" if sampled is None else round(sampled, 4),
                       accuracy_bound=round(reversal_accuracy_bound(tp["V"], tp["T"], look), 4))
        else:
            row.update(causal=tp["causal"], acausal=tp["acausal"], scale=tp["scale"],
                       test_mse=float(f"{r['test_mse']:.4g}"), test_nmse=float(f"{r['test_nmse']:.4g}"))
        rows.append(row)
    order = {"delayed": 0, "bidirectional": 1, "stacked": 2}
    rows.sort(key=lambda r: (r["task"], str(r["acausal"]), str(r["scale"]), r["cell"] != "lstm", order[r["kind"]],
                             r["layers"], r["delay"], r["seed"]))
    return rows


def runtime_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (point, model), with the time ratios to the stacked and bidirectional networks."""
    rows = []
    for rec in records:
        if rec["spec"]["task"] != "runtime":
            continue
        r = rec["result"]
        ms = r["models"]
        for name, v in ms.items():
            rows.append({
                "width": r["width"], "depth": r["depth"], "model": name, "model_width": v["width"],
                "params": v["params"], "forward_ms": round(1e3 * v["forward_s"], 3),
                "forward_backward_ms": round(1e3 * v["forward_backward_s"], 3),
                "ratio_to_stacked": round(v["forward_backward_s"] / ms["stacked"]["forward_backward_s"], 3),
                "ratio_to_bidirectional": round(v["forward_backward_s"] / ms["bidirectional"]["forward_backward_s"],
                                                3),
            })
    order = list(RUNTIME_MODELS)
    rows.sort(key=lambda r: (r["depth"], r["width"], order.index(r["model"]) if r["model"] in order else 99))
    return rows


def write_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Rows as CSV (atomically replaced)."""
    def write(fh: Any) -> None:
        w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)

    write_text_atomic(path, write, newline="")


def _md_table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _mean_sd(values: Sequence[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(float(np.mean(values)), fmt)} ± {format(float(np.std(values, ddof=1)), fmt)}"


def grouped(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> dict[tuple, list[dict[str, Any]]]:
    """Rows grouped by the values of ``keys``, groups in order of first appearance."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def code_versions(records: Iterable[dict[str, Any]]) -> list[str]:
    """Distinct code versions (``package@commit``) that computed ``records``; ``unrecorded`` for records made
    before the version was stored."""
    seen: dict[str, None] = {}
    for r in records:
        c = r.get("result", {}).get("code")
        seen[f"{c.get('package', '?')}@{c.get('commit') or 'no-git'}" if isinstance(c, dict) else "unrecorded"] = None
    return list(seen)


def code_version_lines(records: Iterable[dict[str, Any]], *, name_single: bool = True) -> list[str]:
    """Markdown lines saying which code computed ``records``: a warning when several versions did.

    With one version the line names it if ``name_single`` (the tagging and masked-model tables),
    else nothing is said (the synthetic report).
    """
    versions = code_versions(records)
    if len(versions) > 1:
        return [f"**Mixed code versions:** these records were computed by {len(versions)} versions of the code "
                f"({', '.join(versions)}); a resumed run reused records of another version, whose numbers may "
                "differ from a fresh run of this one.", ""]
    if name_single:
        return [f"Code version of every record: {versions[0] if versions else 'none'}.", ""]
    return []


def markdown_report(records: Sequence[dict[str, Any]], profile: str = "") -> str:
    """The results as Markdown tables (means ± sample s.d. over seeds where there are several)."""
    rows = result_rows(records)
    parts = [f"# Reproduction results{f' (profile {profile})' if profile else ''}", ""]
    rev = [r for r in rows if r["task"] == "reversal"]
    if rev:
        T, V = rev[0]["T"], rev[0]["V"]
        parts += [f"## Sequence reversal (V = {V}, T = {T}; a delay of d >= T - 1 = {T - 1} sees every symbol)", "",
                  "Test accuracy per symbol, taking the most likely symbol (argmax); *sampled* is the expected "
                  "accuracy when each symbol is sampled from the output distribution, as the reference code does "
                  "(blank for records made before it was stored); *bound* is the best expected accuracy with the "
                  "model's look-ahead (symbols it cannot see are guessed, 1/V).", ""]
        body = []
        for (model, width, params), grp in grouped(rev, ("model", "width", "params")).items():
            smp = [100 * g["test_accuracy_sampled"] for g in grp if g["test_accuracy_sampled"] != ""]
            body.append([model, width, params, len(grp), _mean_sd([100 * g["test_accuracy"] for g in grp], ".1f") + "%",
                         (_mean_sd(smp, ".1f") + "%") if len(smp) == len(grp) else "",
                         f"{100 * grp[0]['accuracy_bound']:.1f}%",
                         _mean_sd([g["epochs"] for g in grp], ".0f"), _mean_sd([g["train_seconds"] for g in grp],
                                                                                ".0f")])
        parts += [_md_table(["model", "width", "parameters", "seeds", "test accuracy", "sampled", "bound", "epochs",
                             "train time (s)"], body), ""]
    sine = [r for r in rows if r["task"] == "sine"]
    if sine:
        parts += [f"## Sine filtering (T = {sine[0]['T']}, causal taps c = {sine[0]['causal']})", "",
                  "Test error as NMSE = MSE / Var(y_test) (1 = predicting the mean); raw MSE in the CSV.", ""]
        body = []
        for (a, scale, model, width, params), grp in grouped(
                sine, ("acausal", "scale", "model", "width", "params")).items():
            body.append([a, scale, model, width, params, len(grp), _mean_sd([g["test_nmse"] for g in grp], ".4f"),
                         _mean_sd([g["test_mse"] for g in grp], ".3g"), _mean_sd([g["epochs"] for g in grp], ".0f")])
        parts += [_md_table(["acausal a", "scale", "model", "width", "parameters", "seeds", "test NMSE", "test MSE",
                             "epochs"], body), ""]
    parts += code_version_lines(records, name_single=False)
    rt = runtime_rows(records)
    if rt:
        first = next(r for r in records if r["spec"]["task"] == "runtime")["result"]
        parts += [f"## Runtime (LSTM, T = {first['T']}, batch {first['batch']}, median of {first['repeats']}, "
                  "one BLAS thread, all models of a row measured in the same run)", "",
                  "Forward+backward time in ms; the ratio is to the stacked network of the same point.", ""]
        body = [[r["depth"], r["width"], r["model"], r["model_width"], r["params"], r["forward_ms"],
                 r["forward_backward_ms"], r["ratio_to_stacked"]] for r in rt]
        parts += [_md_table(["depth", "width", "model", "model width", "parameters", "forward (ms)",
                             "fwd+bwd (ms)", "fwd+bwd / stacked"], body), ""]
    return "\n".join(parts)


def write_tables(out: str | Path, records: Sequence[dict[str, Any]], profile: str = "") -> list[Path]:
    """``results.csv``, ``runtime.csv`` and ``results.md`` in ``out`` for the records that have them.

    Parameters
    ----------
    out : str or Path
        Existing directory.
    records : sequence of dict
        Run records (:func:`numerics.experiments.storage.load_records`).
    profile : str
        Profile name for the report's title.

    Returns
    -------
    list of Path
        Files written (each atomically replaced).
    """
    out = Path(out)
    written = []
    rows = result_rows(records)
    if rows:
        write_csv(out / "results.csv", rows, RESULT_COLUMNS)
        written.append(out / "results.csv")
    rt = runtime_rows(records)
    if rt:
        write_csv(out / "runtime.csv", rt, RUNTIME_COLUMNS)
        written.append(out / "runtime.csv")
    if records:
        md = markdown_report(records, profile)
        write_text_atomic(out / "results.md", lambda fh: fh.write(md))
        written.append(out / "results.md")
    return written


__all__ = [
    "RESULT_COLUMNS",
    "RUNTIME_COLUMNS",
    "code_version_lines",
    "code_versions",
    "grouped",
    "markdown_report",
    "result_rows",
    "runtime_rows",
    "write_csv",
    "write_tables",
]
