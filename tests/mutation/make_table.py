"""Write docs/theory/mutation.md: which claims and methods of ``drnn verify`` kill which mutant.

Run from the repository root: ``python tests/mutation/make_table.py`` (about 15 s per mutant), or
``python tests/mutation/make_table.py NAME ...`` to rerun only the named mutants and replace (or add)
their rows in the existing table, keeping the others.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mutants_catalogue import MUTANTS, crashes, killers, run_mutant, run_tests_under

OUT = Path(__file__).resolve().parents[2] / "docs" / "theory" / "mutation.md"

HEADER = """# Mutation testing of `drnn verify`

Each row is a deliberate bug from the catalogue `tests/mutation/mutants_catalogue.py`, installed
in-process (monkeypatch) while every claim of `drnn verify` runs at default effort **without PyTorch**.
A mutant is *killed* when some claim's verdict differs from its expectation and no method crashed.
The cells list the methods that refuted the claim; `!` marks a counterexample on which the mutated code
raised (a valid case with no answer refutes the claim). Mutants of the testing helpers, which `drnn verify`
does not run by design, are caught by their own test files instead (run in a fresh process with the mutant
installed). `tests/mutation/test_mutants.py` (slow) asserts that every mutant is killed and none by a crash.
Regenerate with `python tests/mutation/make_table.py`.

"""


def _existing() -> tuple[str, dict[str, str], str]:
    """The current page split around the table: the text before it, its rows by mutant name, the text after it.

    An absent page gives ``(HEADER, {}, "")``. The text after the table (the generic mutation testing
    section) is written back unchanged, so regenerating the table never drops it.
    """
    if not OUT.exists():
        return HEADER, {}, ""
    lines = OUT.read_text().splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("| mutant |")), len(lines))
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    rows = {line.split("`")[1]: line.rstrip("\n") for line in lines[start:end] if line.startswith("| `")}
    return "".join(lines[:start]), rows, "".join(lines[end:])


def main(names: list[str] | None = None) -> int:
    known = {m.name for m in MUTANTS}
    unknown = sorted(set(names or ()) - known)
    if unknown:
        print(f"unknown mutant(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    before, old, after = _existing()
    if not names:
        before, old = HEADER, {}  # a full run rewrites the introduction too
    rows, survivors = [], []
    for m in MUTANTS:
        if names and m.name not in names:
            if m.name in old:
                rows.append(old[m.name])
            continue
        if m.tests:
            # code drnn verify does not exercise by design: its own tests must fail
            caught = run_tests_under(m) == 11
            if not caught:
                survivors.append(m.name)
            cell = ("caught by the tests " if caught else "**not caught** by ") + ", ".join(f"`{t}`" for t in m.tests)
            rows.append(f"| `{m.name}` | {m.area} | {m.description} | – | {cell} (not run by `drnn verify`) |")
            print(m.name, "tests", "caught" if caught else "NOT CAUGHT", flush=True)
            continue
        res = run_mutant(m)
        k, c = killers(res), crashes(res)
        if not k or c:
            survivors.append(m.name)
        cells = "; ".join(f"`{cid}`: {', '.join(ms)}" for cid, ms in k.items()) or "**not killed**"
        if c:
            cells += "; crashed: " + ", ".join(f"`{cid}` ({', '.join(ms)})" for cid, ms in c.items())
        rows.append(f"| `{m.name}` | {m.area} | {m.description} | {len(k)} | {cells} |")
        print(m.name, len(k), "crash" if c else "", flush=True)
    table = ["| mutant | area | bug | claims refuted | refuting claims: methods |",
             "| --- | --- | --- | --- | --- |", *rows]
    OUT.write_text(before + "\n".join(table) + "\n" + after)
    print(f"wrote {OUT}; not killed cleanly: {survivors or 'none'}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
