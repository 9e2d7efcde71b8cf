"""The three lab notebooks: student copies made by nbgrader, solutions that run, autograders that can fail.

``notebooks/labs/_make_labs.py`` writes each lab twice: the solution notebook
and the student copy, made from it by nbgrader's ``ClearSolutions``
preprocessor. These tests check that the stored copies are exactly what the
script writes now, that every solution notebook runs with every autograder
cell passing, that every autograder cell fails on the student copy's blanks,
and that the autograder catches wrong answers (a start rule off by one, a
reset gate on the wrong terms), not only missing ones.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbgrader")

LAB_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "labs"
#: A cell running longer than this is taken to hang; run time is not asserted.
CELL_TIMEOUT_S = 600


def _make() -> Any:
    spec = importlib.util.spec_from_file_location("_make_labs", LAB_DIR / "_make_labs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _make()
LABS = list(MAKE.LABS)


def _grade(cell: Any) -> dict[str, Any]:
    return cell.metadata.get("nbgrader", {})


def _checks(nb: Any) -> list[int]:
    """Indices of the autograder cells (graded code cells)."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and _grade(c).get("grade")]


def _execute(nb: Any, allow_errors: bool = False) -> Any:
    nbclient = pytest.importorskip("nbclient")
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=allow_errors,
                                     resources={"metadata": {"path": str(LAB_DIR)}})
    client.execute()
    return nb


def _errors(cell: Any) -> list[str]:
    return [f"{o.ename}: {o.evalue}" for o in cell.get("outputs", []) if o.output_type == "error"]


def test_three_labs() -> None:
    assert len(LABS) == 3
    for name in LABS:
        for folder in ("solution", "student"):
            assert (LAB_DIR / folder / f"{name}.ipynb").is_file(), f"{folder}/{name}.ipynb is missing"


@pytest.mark.parametrize("name", LABS)
def test_stored_copies_are_what_the_generator_writes(name: str) -> None:
    """Both stored copies equal the script's output byte for byte (no hand edits, student copy by nbgrader)."""
    sol = MAKE.build_solution(name)
    stu = MAKE.build_student(sol)
    for folder, fresh in (("solution", sol), ("student", stu)):
        stored = (LAB_DIR / folder / f"{name}.ipynb").read_text(encoding="utf-8")
        assert stored == nbformat.writes(fresh) + "\n", \
            f"{folder}/{name}.ipynb differs from notebooks/labs/_make_labs.py; run: python notebooks/labs/_make_labs.py"


@pytest.mark.parametrize("name", LABS)
def test_student_copy_has_blanks_and_nothing_else_changed(name: str) -> None:
    sol = nbformat.read(LAB_DIR / "solution" / f"{name}.ipynb", as_version=4)
    stu = nbformat.read(LAB_DIR / "student" / f"{name}.ipynb", as_version=4)
    for nb in (sol, stu):
        nbformat.validate(nb)
        assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    assert len(sol.cells) == len(stu.cells)
    blanks = 0
    for i, (a, b) in enumerate(zip(sol.cells, stu.cells)):
        assert "BEGIN SOLUTION" not in b.source and "END SOLUTION" not in b.source, f"cell {i} leaks a marker"
        if _grade(a).get("solution"):
            assert a.source != b.source, f"cell {i} is a solution cell but the student copy shows the solution"
            assert "raise NotImplementedError()" in b.source or b.source == "YOUR ANSWER HERE", f"cell {i}"
            blanks += 1
        else:
            assert a.source == b.source, f"cell {i} is not a solution cell but differs in the student copy"
    assert blanks >= 4, f"{name}: only {blanks} blanks"
    assert len(_checks(stu)) >= 4, f"{name}: fewer than 4 autograder cells"
    assert all("assert" in stu.cells[i].source for i in _checks(stu))


@pytest.mark.slow
@pytest.mark.parametrize("name", LABS)
def test_solution_runs_and_every_check_passes(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _execute(nbformat.read(LAB_DIR / "solution" / f"{name}.ipynb", as_version=4))
    for i in _checks(nb):
        assert any("passed" in o.get("text", "") for o in nb.cells[i].outputs), f"check cell {i} printed no pass"


@pytest.mark.slow
@pytest.mark.parametrize("name", LABS)
def test_every_check_fails_on_the_blanks(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = _execute(nbformat.read(LAB_DIR / "student" / f"{name}.ipynb", as_version=4), allow_errors=True)
    passing = [i for i in _checks(nb) if not _errors(nb.cells[i])]
    assert not passing, f"{name}: autograder cells {passing} pass on the unanswered student copy"
    given = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not _grade(c)]
    assert not any(_errors(nb.cells[i]) for i in given[:1]), "the set-up cell itself fails"


#: Wrong answers a student could give: (lab, solution text, wrong text, the check that must catch it).
MUTANTS = [
    ("lab1_delayed_by_hand", "if tau <= hold:", "if tau < hold:", "lab1-run-check"),
    ("lab1_delayed_by_hand", 'U[rows, offsets[l - 1]:offsets[l]] = sd[f"weight_ih_l{l}"]',
     'U[offsets[l - 1]:offsets[l], rows] = sd[f"weight_ih_l{l}"].T', "lab1-U-check"),
    ("lab2_gru_counterexample", 'if reset == "own" else', 'if reset == "none" else', "lab2-run-check"),
]


@pytest.mark.slow
@pytest.mark.parametrize("lab, right, wrong, check_id", MUTANTS, ids=lambda v: str(v)[:24])
def test_checks_catch_wrong_answers(lab: str, right: str, wrong: str, check_id: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(LAB_DIR / "solution" / f"{lab}.ipynb", as_version=4)
    hits = [c for c in nb.cells if right in c.source]
    assert len(hits) == 1, f"the mutated line {right!r} is not in {lab} once"
    hits[0].source = hits[0].source.replace(right, wrong)
    nb = _execute(nb, allow_errors=True)
    cell = next(c for c in nb.cells if _grade(c).get("grade_id") == check_id)
    assert any(e.startswith("AssertionError") for e in _errors(cell)), \
        f"{check_id} did not catch the wrong answer {wrong!r}: {_errors(cell)}"
