"""Write docs/theory/mutation.md: which claims and methods of ``drnn verify`` kill which mutant.

Run from the repository root: ``python tests/mutation/make_table.py`` (about 15 s per mutant).
"""

from __future__ import annotations

import sys
from pathlib import Path

from mutants_catalogue import MUTANTS, crashes, killers, run_mutant

OUT = Path(__file__).resolve().parents[2] / "docs" / "theory" / "mutation.md"

HEADER = """# Mutation testing of `drnn verify`

Each row is a deliberate bug from the catalogue `tests/mutation/mutants_catalogue.py`, installed
in-process (monkeypatch) while every claim of `drnn verify` runs at default effort **without PyTorch**.
A mutant is *killed* when some claim's verdict differs from its expectation and no method crashed.
The cells list the methods that refuted the claim; `!` marks a counterexample on which the mutated code
raised (a valid case with no answer refutes the claim). `tests/mutation/test_mutants.py` (slow) asserts
that every mutant is killed and none by a crash. Regenerate with `python tests/mutation/make_table.py`.

"""


def main() -> int:
    rows, survivors = [], []
    for m in MUTANTS:
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
    OUT.write_text(HEADER + "\n".join(table) + "\n")
    print(f"wrote {OUT}; not killed cleanly: {survivors or 'none'}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
