"""Old code against new code on one machine in one session: ``benchmarks/bench.py`` in two trees, alternately.

A change to the engine must not make it slower, but on a shared machine the
same code moves by 10-30 % between two runs of ``bench.py`` minutes apart, so
a new table set beside an old one recorded on another day shows the load, not
the change. This script runs ``bench.py`` in an old checkout and in this one
in turn (old, new, old, new, ...), so that load hits both alike, and prints
for every row each round's ratio in each tree (the ratio ``bench.py`` took
from two measurements in one process, each the best of its repeats). Run it
from the repository root, with the old code checked out elsewhere::

    git worktree add /tmp/old-engine <commit>
    python benchmarks/compare_trees.py --old /tmp/old-engine --rounds 3 --only wavefront \\
        --old-section wavefront=blocked --old-row blocked=wavefront --out runs/compare

Each round's raw output is saved in ``--out`` as it finishes; a rerun with the
same ``--out`` reuses the rounds already there, so an interrupted comparison
resumes. The table divides the median new ratio by the median old one (1.00:
no change; below 1: the new code is faster relative to the same baseline) and
gives the old code's own scatter between rounds, the yardstick for that column.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LOAD = re.compile(r"^compare_trees: one-minute load average after the round ([0-9.]+)$", re.M)
_ROW = re.compile(r"^\| (?P<name>.+?)\s+\| (?P<times>[^|]*?)\s+\| (?P<ratio>[0-9]+\.[0-9]+)\s+\|")


def parse_rows(text: str, renames: tuple[tuple[str, str], ...] = ()) -> dict[str, float]:
    """The ratio of every ``bench.py`` row, keyed by its name after the substring ``renames``.

    Parameters
    ----------
    text : str
        What ``bench.py`` printed.
    renames : tuple of (str, str)
        ``(old, new)`` substrings replaced in every row name, in order (the old
        tree's names for the same measurement).

    Returns
    -------
    dict of str to float
        The ratio column: computed by ``bench.py`` from unrounded times taken
        in one process, so it is exact where the printed times (0.1 ms) are
        not. Rows without a numeric ratio (cache sizes) are left out.
    """
    rows: dict[str, float] = {}
    for line in text.splitlines():
        m = _ROW.match(line)
        if m is None:
            continue
        name = m["name"]
        for old, new in renames:
            name = name.replace(old, new)
        rows[name] = float(m["ratio"])
    return rows


def median(values: list[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    v = sorted(values)
    k = len(v) // 2
    return v[k] if len(v) % 2 else (v[k - 1] + v[k]) / 2


def table(old: list[dict[str, float]], new: list[dict[str, float]]) -> list[str]:
    """Markdown lines: per row, each round's ratio in each tree, and the median new ratio over the median old.

    The old tree's scatter (its largest round ratio over its smallest) is the
    yardstick for the last column: a change smaller than that is not shown
    by this run.
    """
    head = ["measurement", "old: ratio per round", "new: ratio per round", "new / old (medians)",
            "old scatter"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    names = list(dict.fromkeys(k for rounds in (new, old) for r in rounds for k in r))
    for name in names:
        o = [r[name] for r in old if name in r]
        n = [r[name] for r in new if name in r]
        cells = [name, " ".join(f"{v:.2f}" for v in o) or "-", " ".join(f"{v:.2f}" for v in n) or "-"]
        both = o and n and median(o) > 0
        cells.append(f"{median(n) / median(o):.2f}" if both else "-")
        cells.append(f"{max(o) / min(o):.2f}" if len(o) > 1 and min(o) > 0 else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _pair(text: str, what: str, empty_right: bool = False) -> tuple[str, str]:
    left, sep, right = text.partition("=")
    if not sep or not left or not (right or empty_right):
        raise argparse.ArgumentTypeError(f"{what} must be A=B with A and B not empty, got {text!r}")
    return left, right


def run_round(tree: Path, sections: list[str], repeats: int, threads: int, out: Path) -> str:
    """``bench.py`` of ``tree`` with ``tree`` first on the path; its output saved to ``out`` (reused if there)."""
    if out.exists():
        return out.read_text()
    cmd = [sys.executable, "benchmarks/bench.py", "--only", *sections, "--repeats", str(repeats),
           "--threads", str(threads)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"compare_trees: bench.py in {tree} failed (exit {done.returncode}): "
                         f"{(done.stderr.strip().splitlines() or ['no output'])[-1]}")
    text = done.stdout + f"\ncompare_trees: one-minute load average after the round {os.getloadavg()[0]:.2f}\n"
    tmp = out.with_suffix(".part")
    tmp.write_text(text)
    tmp.replace(out)                 # a round is either all there or absent: an interrupted one reruns
    return text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", type=Path, required=True, help="root of the old checkout (has benchmarks/bench.py)")
    ap.add_argument("--new", type=Path, default=ROOT, help="root of the new checkout (default: this one)")
    ap.add_argument("--only", nargs="+", required=True, help="bench.py sections, by the new tree's names")
    ap.add_argument("--old-section", action="append", default=[], type=lambda s: _pair(s, "--old-section", True),
                    metavar="NEW=OLD", help="the old tree's name of a section, or NEW= for a section the old "
                                            "tree lacks (repeatable)")
    ap.add_argument("--old-row", action="append", default=[], type=lambda s: _pair(s, "--old-row"),
                    metavar="OLD=NEW", help="text of the old tree's row names replaced by the new one's "
                                            "(repeatable, applied in order)")
    ap.add_argument("--rounds", type=int, default=3, help="old-new rounds (default 3)")
    ap.add_argument("--repeats", type=int, default=7, help="bench.py --repeats (default 7)")
    ap.add_argument("--threads", type=int, default=1, help="bench.py --threads (default 1, the stable choice)")
    ap.add_argument("--out", type=Path, required=True, help="directory for each round's raw output")
    args = ap.parse_args(argv)
    for name, tree in (("--old", args.old), ("--new", args.new)):
        if not (tree / "benchmarks" / "bench.py").is_file():
            ap.error(f"{name} must be a checkout of this repository, but {tree} has no benchmarks/bench.py")
    if args.rounds < 1 or args.repeats < 1 or args.threads < 1:
        ap.error("--rounds, --repeats and --threads must be at least 1")
    alias = dict(args.old_section)
    old_sections = [alias.get(s, s) for s in args.only if alias.get(s, s)]
    args.out.mkdir(parents=True, exist_ok=True)
    load: list[str] = []
    rounds: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    for k in range(1, args.rounds + 1):
        for side, tree, sections in (("old", args.old, old_sections), ("new", args.new, args.only)):
            if not sections:
                continue
            text = run_round(tree.resolve(), sections, args.repeats, args.threads, args.out / f"{side}-{k}.md")
            renames = tuple((o, n) for o, n in args.old_row) if side == "old" else ()
            rounds[side].append(parse_rows(text, renames))
            m = _LOAD.search(text)
            load.append(m[1] if m else "?")
            print(f"round {k}, {side}: {len(rounds[side][-1])} rows", file=sys.stderr)
    print(f"{args.rounds} rounds, old {args.old} and new {args.new} alternately; bench.py --repeats "
          f"{args.repeats} --threads {args.threads}; one-minute load average after each run: "
          + " ".join(load) + "\n")
    print("\n".join(table(rounds["old"], rounds["new"])))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        # The finished rounds are on disk; the interrupted one wrote nothing and reruns.
        print("compare_trees: interrupted; rerun with the same --out to resume", file=sys.stderr)
        raise SystemExit(130) from None
