"""Tables of the tagging experiment: per-model accuracy over seeds, the gap to the bidirectional LSTM, cost.

:func:`pos_summary` turns the ``pos`` records of one invocation into one
row per model (mean ± s.d. over seeds of the test accuracy in percent of
all test words; for each d-LSTM the gap to the bidirectional LSTM in
points, per seed, with its mean and s.d.), plus the majority-tag baseline.
:func:`write_pos_tables` writes ``pos.csv`` (the columns
:data:`POS_COLUMNS`, read by the lecture slides), ``pos.md`` and, when
given, ``pos_cost.csv``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from numerics.experiments.report import code_version_lines, write_csv
from numerics.experiments.specs import RunSpec
from numerics.experiments.storage import write_text_atomic

__all__ = ["COST_COLUMNS", "POS_COLUMNS", "pos_markdown", "pos_summary", "write_pos_tables"]

#: Columns of ``pos.csv``.
POS_COLUMNS: tuple[str, ...] = ("model", "delay", "n_seeds", "accuracy_mean", "accuracy_sd", "gap_mean", "gap_sd")
#: Columns of ``pos_cost.csv``.
COST_COLUMNS: tuple[str, ...] = ("model", "delay", "inference_words_per_s", "training_words_per_s", "latency_steps")


def _sd(v: Sequence[float]) -> float | None:
    return statistics.stdev(v) if len(v) > 1 else None


def _order(kind: str, delay: int) -> tuple[int, int]:
    return ({"delayed": 0, "bidirectional": 1, "stacked": 2}.get(kind, 3), delay)


def pos_summary(records: Sequence[dict[str, Any]], baseline: float | None = None) -> list[dict[str, Any]]:
    """One row per model of the ``pos`` records (columns :data:`POS_COLUMNS` plus ``kind``).

    Accuracy is in percent; ``gap_*`` (d-LSTM rows only, seeds present for
    both) are the per-seed differences d-LSTM − bidirectional in points.
    ``baseline`` (a fraction) adds the majority-tag row.
    """
    by: dict[tuple[str, int, str, int], dict[int, float]] = {}
    for r in records:
        spec = RunSpec.from_dict(r["spec"])
        if spec.task != "pos" or spec.model is None:
            continue
        m = spec.model
        by.setdefault((m.kind, m.delay, m.label, m.layers), {})[spec.seed] = 100 * float(r["result"]["test_accuracy"])
    bi = next((v for (k, _, _, _), v in by.items() if k == "bidirectional"), {})
    rows: list[dict[str, Any]] = []
    for (kind, delay, label, _), accs in sorted(by.items(), key=lambda kv: _order(kv[0][0], kv[0][1])):
        vals = [accs[s] for s in sorted(accs)]
        row: dict[str, Any] = {"model": label, "kind": kind, "delay": delay if kind == "delayed" else "",
                               "n_seeds": len(vals), "accuracy_mean": round(statistics.fmean(vals), 4),
                               "accuracy_sd": "" if _sd(vals) is None else round(_sd(vals), 4),
                               "gap_mean": "", "gap_sd": ""}
        common = sorted(set(accs) & set(bi))
        if kind == "delayed" and common:
            gaps = [accs[s] - bi[s] for s in common]
            row["gap_mean"] = round(statistics.fmean(gaps), 4)
            row["gap_sd"] = "" if _sd(gaps) is None else round(_sd(gaps), 4)
        rows.append(row)
    if baseline is not None:
        rows.append({"model": "majority tag (per word, from train)", "kind": "baseline", "delay": "", "n_seeds": 1,
                     "accuracy_mean": round(100 * baseline, 4), "accuracy_sd": "", "gap_mean": "", "gap_sd": ""})
    return rows


def pos_markdown(rows: Sequence[dict[str, Any]], records: Sequence[dict[str, Any]], profile: str = "",
                 cost: Sequence[dict[str, Any]] | None = None, notes: str = "") -> str:
    """The Markdown report: accuracy table, code versions, cost table."""
    def pm(mean: Any, sd: Any, sign: bool = False) -> str:
        if mean == "":
            return ""
        s = f"{mean:+.2f}" if sign else f"{mean:.2f}"
        return s + ("" if sd == "" else f" ± {sd:.2f}")

    lines = [f"# Part-of-speech tagging (UPOS){f' — profile {profile}' if profile else ''}", ""]
    if notes:
        lines += [notes, ""]
    words = {r["result"].get("test_words") for r in records}
    lines += [f"Test accuracy in percent of all {', '.join(str(w) for w in sorted(words))} test words, mean ± s.d. "
              "over seeds; gap = d-LSTM − bidirectional LSTM in points (per seed, then mean ± s.d.).", "",
              "| model | seeds | accuracy (%) | gap to bidirectional (points) |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['n_seeds']} | {pm(r['accuracy_mean'], r['accuracy_sd'])} | "
                     f"{pm(r['gap_mean'], r['gap_sd'], True)} |")
    lines += ["", *code_version_lines(records)]
    if cost:
        lines += ["## Cost (measured in one process, one machine, untrained networks of the same sizes)", "",
                  "| model | inference (words/s) | training (words/s) | latency (words of look-ahead) |",
                  "|---|---|---|---|"]
        lines += [f"| {c['model']} | {c['inference_words_per_s']:.0f} | {c['training_words_per_s']:.0f} | "
                  f"{c['latency_steps']:.1f} |" for c in cost]
        lines.append("")
    return "\n".join(lines)


def write_pos_tables(out: str | Path, rows: Sequence[dict[str, Any]], records: Sequence[dict[str, Any]],
                     profile: str = "", cost: Sequence[dict[str, Any]] | None = None, notes: str = "") -> list[Path]:
    """Write ``pos.csv``, ``pos.md`` and (with ``cost``) ``pos_cost.csv`` into ``out``; returns the paths."""
    d = Path(out)
    written = [d / "pos.csv", d / "pos.md"]
    write_csv(written[0], rows, POS_COLUMNS)
    text = pos_markdown(rows, records, profile, cost, notes)
    write_text_atomic(written[1], lambda fh: fh.write(text))
    if cost:
        written.append(d / "pos_cost.csv")
        write_csv(written[-1], [{k: c[k] for k in COST_COLUMNS} for c in cost], COST_COLUMNS)
    return written
