"""``drnn verify``: check every registered claim and print the table of verdicts."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from numerics.verify.registry import EFFORTS
from numerics.verify.runner import catalogue, claim_ids, run
from theory.claims import ClaimResult

#: Printed under the table: what the columns of a method line mean.
LEGEND = ("max error: largest |difference| over all cases a method tried (a property search keeps trying "
          "after its first failure);\n"
          "the shrunk counterexample below is the smallest failing case hypothesis found, so its error is "
          "usually smaller.\n"
          "residual ≠ 0: a symbolic comparison whose difference did not simplify to zero (no number to show).")


def _fmt_err(x: float) -> str:
    """A method's max error for the table: ``0``, ``1.2e-16``, or ``residual ≠ 0`` for a symbolic failure."""
    if x == float("inf"):
        return "residual ≠ 0"
    return "0" if x == 0 else f"{x:.1e}"


def format_row(r: ClaimResult) -> str:
    """A claim's line (id, expected, verdict, status, source) and one indented line per method."""
    mark = "ok" if r.as_expected else "UNEXPECTED"
    lines = [f"{r.claim.id:<24} {r.claim.expected:<8} {r.verdict:<9} {mark:<10} {r.claim.source}"]
    for m in r.methods:
        if m.error:
            detail = f"ERROR (the method raised): {m.error}"
        elif m.skipped:
            detail = f"skipped: {m.skipped}"
        else:
            cases = f"{m.cases} case" + ("" if m.cases == 1 else "s")
            err = _fmt_err(m.max_error)
            err = f"max error {err:>7}" if err[0].isdigit() else f"{err:<17}"
            informative = "" if m.nontrivial is None else f" ({m.nontrivial} non-trivial)"
            detail = f"{cases:>10}{informative:<18}   {err}   {m.seconds:5.1f} s" + (
                "   counterexample found" if m.refuted else "")
        lines.append(f"    {m.name:<20} {detail}")
    return "\n".join(lines)


def _header() -> str:
    h = f"{'claim':<24} {'expected':<8} {'verdict':<9} {'status':<10} source"
    return h + "\n" + "-" * 92


def check_json_target(path: str) -> Path:
    """``--json PATH`` as a path that can be written, checked before any work is done.

    Raises
    ------
    ValueError
        If ``path`` is empty, names a directory or another non-regular file,
        is a file that cannot be written, or its directory does not exist or
        cannot be written to.
    """
    if not path.strip():
        raise ValueError("--json must name a file; got an empty string")
    p = Path(path)
    if p.exists():
        if not p.is_file():
            raise ValueError(f"--json: {p} exists and is not a regular file")
        if not os.access(p, os.W_OK):
            raise ValueError(f"--json: {p} is not writable")
        return p
    parent = p.resolve().parent
    if not parent.is_dir():
        raise ValueError(f"--json: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"--json: directory {parent} is not writable")
    return p


def _rescue_path() -> Path:
    fd, name = tempfile.mkstemp(prefix="drnn-verify-", suffix=".json")
    os.close(fd)
    return Path(name)


#: Fields of a counterexample printed first, in this order; other short fields follow.
_FIRST_FIELDS = ("hidden_sizes", "input_size", "steps", "batch", "activations", "first_difference",
                 "max_abs_difference")


def brief_counterexample(cex: dict, limit: int = 200) -> dict:
    """The fields of a counterexample worth a line of the table: every field whose JSON is at most ``limit`` long.

    Arrays of weights and full output sequences are left out (``--json`` has everything).
    """
    keys = [k for k in _FIRST_FIELDS if k in cex] + [k for k in cex if k not in _FIRST_FIELDS]
    return {k: cex[k] for k in keys if len(json.dumps(cex[k], default=str)) <= limit}


def cmd_verify(args: argparse.Namespace) -> int:
    """Handler of ``drnn verify``: 0 when every verdict equals its expectation, else 1.

    A method that raises makes its claim's verdict ``"error"`` (so the exit
    status is 1); the other claims are still checked and printed.
    """
    known = claim_ids()
    ids = list(dict.fromkeys(args.claims)) or known  # a repeated id is checked once
    unknown = [c for c in ids if c not in known]
    if unknown:
        raise ValueError(f"unknown claim id(s) {unknown}; run 'drnn verify --list' to see them")
    if args.list:
        for cid in ids:
            claim = catalogue()[cid].claim
            print(f"{cid:<24} {claim.expected:<8} {claim.source}")
            print(textwrap.fill(claim.statement, width=88, initial_indent="    ", subsequent_indent="    "))
        return 0
    if args.json is not None:
        check_json_target(args.json)
    effort = EFFORTS["thorough" if args.thorough else "default"]
    print(f"drnn verify ({effort.name} effort, {len(ids)} claims)")
    print(_header())
    t0 = time.perf_counter()
    results = run(ids, effort, on_result=lambda r: print(format_row(r), flush=True))
    elapsed = time.perf_counter() - t0
    ok = all(r.as_expected for r in results)
    for r in results:
        cex = r.counterexample
        if cex is not None and r.claim.expected == "fails":
            print(f"  {r.claim.id}: shrunk counterexample {json.dumps(brief_counterexample(cex), default=str)}")
    if any(r.counterexample is not None for r in results):
        print(LEGEND)
    n_ok = sum(r.as_expected for r in results)
    print(f"{n_ok}/{len(results)} claims verified as expected in {elapsed:.1f} s")
    if args.json is not None:
        text = json.dumps({"effort": effort.name, "claims": [r.to_dict() for r in results]}, indent=2)
        try:
            Path(args.json).write_text(text)
            print(f"wrote {args.json}")
        except OSError as exc:
            # The run is finished: its results must not be lost to an output error.
            rescue = _rescue_path()
            rescue.write_text(text)
            print(f"drnn verify: error: --json: cannot write {args.json} ({exc.strerror or exc}); "
                  f"the results are in {rescue}", file=sys.stderr)
            return 2
    return 0 if ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check the registered claims and print a table of verdicts",
                       description="Check every registered claim (or the named ones) with all its methods. "
                                   "Exits 0 exactly when every verdict equals its expectation.")
    p.add_argument("claims", nargs="*", help="claim ids to check (default: all)")
    p.add_argument("--json", metavar="PATH",
                   help="also write the results as JSON; PATH is checked before the run, and if writing it "
                        "still fails the results go to a temporary file drnn-verify-*.json whose path is "
                        "printed (exit code 2)")
    p.add_argument("--thorough", action="store_true", help="larger searches and symbolic sizes")
    p.add_argument("--list", action="store_true", help="list the claims (id, expectation, source, statement) and exit")
    p.set_defaults(func=cmd_verify)


__all__ = [
    "LEGEND",
    "brief_counterexample",
    "check_json_target",
    "cmd_verify",
    "format_row",
    "register",
]
