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
    "sparse": "sparse / dense fwd+bwd, elman, cyclic plan",
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


def _compare_trees():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import compare_trees
    finally:
        sys.path.pop(0)
    return compare_trees


OLD_ROUND = """total benchmark time 1 s

| measurement | times | ratio | target | verdict |
|---|---|---|---|---|
| blocked delayed / stacked fwd, lstm, width 16 | 8.0 ms / 10.0 ms | 0.80 | <= 0.67 | missed |
| measured GEMM peak | 90.0 GFLOP/s | 1.00 | reference | - |
| only old | 1.0 ms / 2.0 ms | 0.50 | report | - |
"""

NEW_ROUND = """| measurement | times | ratio | target | verdict |
|---|---|---|---|---|
| wavefront delayed / stacked fwd, lstm, width 16 | 9.0 ms / 12.0 ms | 0.75 | <= 0.67 | missed |
"""


def test_compare_trees_divides_the_median_ratios_and_reports_the_old_scatter():
    ct = _compare_trees()
    ren = (("blocked", "wavefront"),)
    old = [ct.parse_rows(OLD_ROUND, ren), ct.parse_rows(OLD_ROUND.replace("| 0.80 |", "| 0.70 |"), ren),
           ct.parse_rows(OLD_ROUND.replace("| 0.80 |", "| 1.00 |"), ren)]
    name = "wavefront delayed / stacked fwd, lstm, width 16"
    # the ratio column, not the rounded times (8.0 / 10.0 would also give 0.80, 0.70 and 1.00 could not come back)
    assert old[0] == {name: 0.80, "measured GEMM peak": 1.00, "only old": 0.50}
    lines = ct.table(old, [ct.parse_rows(NEW_ROUND)])
    row = next(ln for ln in lines if ln.startswith(f"| {name} |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:] == ["0.80 0.70 1.00", "0.75", f"{0.75 / 0.80:.2f}", f"{1.00 / 0.70:.2f}"]
    assert any(ln.startswith("| only old | 0.50 0.50 0.50 | - | - | 1.00 |") for ln in lines)
    assert ct.median([3.0, 1.0, 2.0, 10.0]) == 2.5


def test_compare_trees_reuses_saved_rounds_and_refuses_a_tree_without_the_script(tmp_path, capsys):
    ct = _compare_trees()
    out = tmp_path / "rounds"
    out.mkdir()
    (out / "old-1.md").write_text(OLD_ROUND)
    (out / "new-1.md").write_text(NEW_ROUND)
    # Both rounds are on disk, so the trees' bench.py never runs (the old tree here has none to run).
    fake_old = tmp_path / "old"
    (fake_old / "benchmarks").mkdir(parents=True)
    (fake_old / "benchmarks" / "bench.py").write_text("raise SystemExit(3)\n")
    assert ct.main(["--old", str(fake_old), "--only", "wavefront", "--old-section", "wavefront=blocked",
                    "--old-row", "blocked=wavefront", "--rounds", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| wavefront delayed / stacked fwd, lstm, width 16 | 0.80 | 0.75 | 0.94 | - |" in printed
    # A second round is not on disk: the old tree's script runs and its failure is one line, not a table.
    with pytest.raises(SystemExit, match=r"bench.py in .*old failed \(exit 3\)"):
        ct.main(["--old", str(fake_old), "--only", "wavefront", "--rounds", "2", "--out", str(out)])
    with pytest.raises(SystemExit) as e:
        ct.main(["--old", str(tmp_path), "--only", "wavefront", "--out", str(out)])
    assert e.value.code == 2 and "has no benchmarks/bench.py" in capsys.readouterr().err


@pytest.mark.slow
def test_compare_trees_runs_bench_in_both_trees(tmp_path):
    pytest.importorskip("threadpoolctl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare_trees.py"), "--old", str(ROOT), "--only", "wavefront",
         "--rounds", "1", "--repeats", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(r"after each run: [0-9.]+ [0-9.]+$", proc.stdout.splitlines()[0]), proc.stdout[:300]
    rows = [r for r in parse_table(proc.stdout) if r["measurement"].startswith("wavefront delayed")]
    assert len(rows) == 10                  # elman and lstm at five widths
    for r in rows:
        assert math.isfinite(float(r["new / old (medians)"])) and float(r["new / old (medians)"]) > 0
