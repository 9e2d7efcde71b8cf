"""The benchmark script runs end to end and its verdicts follow from its own numbers.

Speed itself is never asserted here (that belongs to ``benchmarks/bench.py``
and ``benchmarks/RESULTS.md``); this checks that the script a reader reruns
still works after engine changes: every section prints its rows, every
ratio is a positive number and every verdict agrees with its ratio and
target.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: One row that each section must print, by the start of its measurement name.
SECTION_ROWS = {
    "torch": "NumPy / PyTorch fwd+bwd",
    "schedules": "delayed (",
    "sparse": "sparse / dense fwd+bwd",
    "wavefront": "wavefront delayed / stacked fwd",
    "registry": "dense / dense fwd+bwd",
    "gemm": "measured GEMM peak",
    "cache": "cache bytes per",
    "long": "training step, LSTM",
}


def parse_table(text: str) -> list[dict[str, str]]:
    """The rows of the Markdown table the script prints, as dicts keyed by column."""
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in ln.strip("|").split("|")))) for ln in lines[2:]]


def verdict_of(ratio: float, target: str) -> str | None:
    """What the verdict must be for a numeric target like ``<= 0.6`` or ``>= 0.5``; None for the others.

    Also None when the printed ratio (two decimals) rounds to the bound: the
    verdict was taken on the unrounded value.
    """
    m = re.fullmatch(r"(<=|>=) ([0-9.]+)", target)
    if m is None:
        return None
    bound = float(m.group(2))
    if abs(ratio - bound) <= 0.005:
        return None
    ok = ratio <= bound if m.group(1) == "<=" else ratio >= bound
    return "met" if ok else "missed"


@pytest.mark.slow
def test_bench_runs_and_its_verdicts_follow_from_its_numbers():
    pytest.importorskip("threadpoolctl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--repeats", "1", "--threads", "1"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=1200,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = parse_table(proc.stdout)
    names = [r["measurement"] for r in rows]
    for section, prefix in SECTION_ROWS.items():
        if section == "torch" and "PyTorch" not in proc.stdout.split("\n\n")[0]:
            continue  # torch is an optional extra; without it the section prints nothing
        assert any(n.startswith(prefix) for n in names), f"section {section!r} printed no row starting {prefix!r}"
    checked = 0
    for r in rows:
        if r["ratio"] == "-":
            continue
        ratio = float(r["ratio"])
        assert math.isfinite(ratio) and ratio > 0, r
        expected = verdict_of(ratio, r["target"])
        if expected is not None:
            assert r["verdict"] == expected, r
            checked += 1
    assert checked >= 20, f"only {checked} rows had a numeric target"
