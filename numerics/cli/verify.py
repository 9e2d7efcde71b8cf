"""``drnn verify``: check every registered claim and print the table of verdicts."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from numerics.verify.registry import EFFORTS
from numerics.verify.runner import claim_ids, run
from theory.claims import ClaimResult


def _fmt_err(x: float) -> str:
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
            informative = "" if m.nontrivial is None else f" ({m.nontrivial} non-trivial)"
            detail = f"{cases:>10}{informative:<18}   max error {_fmt_err(m.max_error):>7}   {m.seconds:5.1f} s" + (
                "   counterexample found" if m.refuted else "")
        lines.append(f"    {m.name:<20} {detail}")
    return "\n".join(lines)


def _header() -> str:
    h = f"{'claim':<24} {'expected':<8} {'verdict':<9} {'status':<10} source"
    return h + "\n" + "-" * 92


def cmd_verify(args: argparse.Namespace) -> int:
    """Handler of ``drnn verify``: 0 when every verdict equals its expectation, else 1.

    A method that raises makes its claim's verdict ``"error"`` (so the exit
    status is 1); the other claims are still checked and printed.
    """
    known = claim_ids()
    ids = args.claims or known
    unknown = [c for c in ids if c not in known]
    if unknown:
        raise ValueError(f"unknown claim id(s) {unknown}; run 'drnn verify --list' to see them")
    if args.list:
        for cid in known:
            print(cid)
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
    p.add_argument("--list", action="store_true", help="list the claim ids and exit")
    p.set_defaults(func=cmd_verify)

