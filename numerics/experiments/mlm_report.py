"""Tables of the masked-language-model experiment: bits per character per model over seeds, gap to bidirectional.

:func:`mlm_summary` turns the ``mlm`` records of one invocation into one
row per model: mean ± s.d. over seeds of the bits per masked test character
and of the masked-character accuracy; for each d-LSTM the gap to the
bidirectional LSTM in bits, per seed, then mean ± s.d. (positive: the
d-LSTM needs more bits). :func:`unigram_bits` is the no-context reference
(train character frequencies). :func:`write_mlm_tables` writes ``mlm.csv``
(columns :data:`MLM_COLUMNS`) and ``mlm.md``.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from numerics.experiments.mlm import MASK, mask_batches
from numerics.experiments.report import code_version_lines, write_csv
from numerics.experiments.specs import RunSpec
from numerics.experiments.storage import write_text_atomic
from numerics.experiments.treebank import PAD
from theory._checks import check_type

__all__ = ["MLM_COLUMNS", "mlm_markdown", "mlm_summary", "unigram_bits", "write_mlm_tables"]

#: Columns of ``mlm.csv``.
MLM_COLUMNS: tuple[str, ...] = ("model", "delay", "n_seeds", "bpc_mean", "bpc_sd", "gap_mean", "gap_sd",
                                "accuracy_mean", "accuracy_sd")


def _sd(v: Sequence[float]) -> float | str:
    return round(statistics.stdev(v), 4) if len(v) > 1 else ""


def _order(kind: str, delay: int) -> tuple[int, int]:
    return ({"delayed": 0, "bidirectional": 1, "stacked": 2}.get(kind, 3), delay)


def unigram_bits(data: dict[str, Any], task_params: dict[str, Any]) -> float:
    """Bits per masked test character of the train character frequencies (add-one smoothed), no context at all.

    Parameters
    ----------
    data : dict
        From :func:`numerics.experiments.mlm.mlm_data`.
    task_params : dict
        The runs' task parameters (mask probability and the test mask seed), so the
        same masked characters are scored as in the runs.

    Returns
    -------
    float
    """
    check_type(data, dict, "data")
    check_type(task_params, dict, "task_params")
    chunks, lengths = data["train"]
    V = len(data["vocab"])
    real = np.arange(chunks.shape[0])[:, None] < lengths[None, :]
    counts = np.bincount(chunks[real], minlength=V).astype(float) + 1.0
    counts[[PAD, MASK]] = 0.0  # never a target
    logp = np.log2(np.where(counts > 0, counts, 1.0) / counts.sum())
    tc, tl = data["test"]
    seed = int(task_params["eval_mask_seeds"]["test"])
    bits, n = 0.0, 0
    for b in mask_batches(tc, tl, 128, np.random.default_rng(seed), mask_prob=float(task_params["mask_prob"])):
        bits -= float(logp[b.tags[b.mask]].sum())
        n += int(b.mask.sum())
    return bits / n if n else math.nan


def mlm_summary(records: Sequence[dict[str, Any]], unigram: float | None = None) -> list[dict[str, Any]]:
    """One row per model of the ``mlm`` records (columns :data:`MLM_COLUMNS` plus ``kind``).

    ``bpc_*`` are bits per masked test character, ``accuracy_*`` percent of
    masked characters predicted right; ``gap_*`` (d-LSTM rows, seeds present
    for both) the per-seed differences d-LSTM − bidirectional in bits.
    ``unigram`` (bits) adds the no-context row.
    """
    by: dict[tuple[str, int, str], dict[int, tuple[float, float]]] = {}
    for r in records:
        spec = RunSpec.from_dict(r["spec"])
        if spec.task != "mlm" or spec.model is None:
            continue
        m = spec.model
        res = r["result"]
        by.setdefault((m.kind, m.delay, m.label), {})[spec.seed] = (float(res["test_bpc"]),
                                                                    100 * float(res["test_accuracy"]))
    bi = next((v for (k, _, _), v in by.items() if k == "bidirectional"), {})
    rows: list[dict[str, Any]] = []
    for (kind, delay, label), per in sorted(by.items(), key=lambda kv: _order(kv[0][0], kv[0][1])):
        bpc = [per[s][0] for s in sorted(per)]
        acc = [per[s][1] for s in sorted(per)]
        row: dict[str, Any] = {"model": label, "kind": kind, "delay": delay if kind == "delayed" else "",
                               "n_seeds": len(bpc), "bpc_mean": round(statistics.fmean(bpc), 4), "bpc_sd": _sd(bpc),
                               "gap_mean": "", "gap_sd": "", "accuracy_mean": round(statistics.fmean(acc), 4),
                               "accuracy_sd": _sd(acc)}
        common = sorted(set(per) & set(bi))
        if kind == "delayed" and common:
            gaps = [per[s][0] - bi[s][0] for s in common]
            row["gap_mean"], row["gap_sd"] = round(statistics.fmean(gaps), 4), _sd(gaps)
        rows.append(row)
    if unigram is not None:
        rows.append({"model": "unigram (train character frequencies)", "kind": "baseline", "delay": "",
                     "n_seeds": 1, "bpc_mean": round(unigram, 4), "bpc_sd": "", "gap_mean": "", "gap_sd": "",
                     "accuracy_mean": "", "accuracy_sd": ""})
    return rows


def mlm_markdown(rows: Sequence[dict[str, Any]], records: Sequence[dict[str, Any]], profile: str = "",
                 notes: str = "") -> str:
    """The Markdown report: bits-per-character table and the code versions of the records."""
    def pm(mean: Any, sd: Any, fmt: str = ".3f") -> str:
        if mean == "":
            return ""
        return format(mean, fmt) + ("" if sd == "" else f" ± {format(sd, fmt.lstrip('+'))}")

    lines = [f"# Character-level masked language model{f' — profile {profile}' if profile else ''}", ""]
    if notes:
        lines += [notes, ""]
    chars = sorted({r["result"].get("test_chars") for r in records})
    lines += [f"Bits per masked test character ({', '.join(str(c) for c in chars)} masked characters, the same "
              "for every model and seed), mean ± s.d. over seeds; gap = d-LSTM − bidirectional LSTM in bits "
              "(per seed, then mean ± s.d.; positive: the d-LSTM needs more bits); accuracy = masked characters "
              "predicted right.", "",
              "| model | seeds | bits per character | gap to bidirectional (bits) | accuracy (%) |",
              "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['n_seeds']} | {pm(r['bpc_mean'], r['bpc_sd'])} | "
                     f"{pm(r['gap_mean'], r['gap_sd'], '+.3f')} | {pm(r['accuracy_mean'], r['accuracy_sd'], '.1f')} |")
    lines += ["", *code_version_lines(records)]
    return "\n".join(lines)


def write_mlm_tables(out: str | Path, rows: Sequence[dict[str, Any]], records: Sequence[dict[str, Any]],
                     profile: str = "", notes: str = "") -> list[Path]:
    """Write ``mlm.csv`` and ``mlm.md`` into ``out``; returns the paths."""
    d = Path(out)
    written = [d / "mlm.csv", d / "mlm.md"]
    write_csv(written[0], rows, MLM_COLUMNS)
    text = mlm_markdown(rows, records, profile, notes)
    write_text_atomic(written[1], lambda fh: fh.write(text))
    return written
