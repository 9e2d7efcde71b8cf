"""``drnn verify``: check every registered claim and print the table of verdicts."""

from __future__ import annotations

import argparse
import json
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
        if m.skipped:
            detail = f"skipped: {m.skipped}"
        else:
            cases = f"{m.cases} case" + ("" if m.cases == 1 else "s")
            err = _fmt_err(m.max_error)
            err = f"max error {err:>7}" if err[0].isdigit() else f"{err:<17}"
            detail = f"{cases:>10}   {err}   {m.seconds:5.1f} s" + (
                "   counterexample found" if m.refuted else "")
        lines.append(f"    {m.name:<20} {detail}")
    return "\n".join(lines)


def _header() -> str:
    h = f"{'claim':<24} {'expected':<8} {'verdict':<9} {'status':<10} source"
    return h + "\n" + "-" * 92


def cmd_verify(args: argparse.Namespace) -> int:
    """Handler of ``drnn verify``: 0 when every verdict equals its expectation, else 1."""
    known = claim_ids()
    ids = args.claims or known
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
        parent = Path(args.json).resolve().parent
        if not parent.is_dir():
            raise ValueError(f"--json: directory {parent} does not exist")
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
            brief = {k: cex[k] for k in ("hidden_sizes", "input_size", "steps", "batch", "activations",
                                         "first_difference", "max_abs_difference") if k in cex}
            print(f"  {r.claim.id}: shrunk counterexample {json.dumps(brief)}")
    if any(r.counterexample is not None for r in results):
        print(LEGEND)
    n_ok = sum(r.as_expected for r in results)
    print(f"{n_ok}/{len(results)} claims verified as expected in {elapsed:.1f} s")
    if args.json is not None:
        Path(args.json).write_text(json.dumps({"effort": effort.name,
                                               "claims": [r.to_dict() for r in results]}, indent=2))
        print(f"wrote {args.json}")
    return 0 if ok else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help="check the registered claims and print a table of verdicts",
                       description="Check every registered claim (or the named ones) with all its methods. "
                                   "Exits 0 exactly when every verdict equals its expectation.")
    p.add_argument("claims", nargs="*", help="claim ids to check (default: all)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--thorough", action="store_true", help="larger searches and symbolic sizes")
    p.add_argument("--list", action="store_true", help="list the claims (id, expectation, source, statement) and exit")
    p.set_defaults(func=cmd_verify)

