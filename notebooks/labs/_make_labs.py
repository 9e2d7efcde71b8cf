"""Write the three lab notebooks: the solution copies, and the student copies made from them by nbgrader.

Run ``python notebooks/labs/_make_labs.py`` after editing a lab's cells (the
function ``cells`` in ``_lab1.py``, ``_lab2.py``, ``_lab3.py`` next to this file). It writes

- ``solution/labN_*.ipynb``: the complete notebooks, stored without outputs;
- ``student/labN_*.ipynb``: the same notebooks after nbgrader's
  :class:`nbgrader.preprocessors.ClearSolutions` preprocessor, which replaces
  every region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` with
  ``raise NotImplementedError()`` and every written-answer cell with
  "YOUR ANSWER HERE".

Cells carry nbgrader's metadata (``solution``, ``grade``, ``grade_id``,
``points``), so a course that runs the full nbgrader pipeline
(``nbgrader generate_assignment``, ``nbgrader autograde``) can use the
solution notebooks as its source notebooks unchanged. The autograder cells
(``grade: true``) check with :func:`numerics.testing.assert_equivalent`.
``tests/test_labs.py`` checks that the stored copies equal what this script
writes, that every solution notebook runs, and that every autograder cell
fails on the student copy's blanks.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
LABS = ("lab1_delayed_by_hand", "lab2_gru_counterexample", "lab3_bidirectional_to_streaming")

Cell = tuple[str, str, dict[str, Any]]


def md(text: str) -> Cell:
    """A markdown cell the student reads."""
    return ("md", text, {})


def code(text: str) -> Cell:
    """A code cell given to the student as it is."""
    return ("code", text, {})


def solution(grade_id: str, text: str) -> Cell:
    """Code the student writes: the lines between the solution markers become a blank."""
    if "### BEGIN SOLUTION" not in text or "### END SOLUTION" not in text:
        raise ValueError(f"solution cell {grade_id!r} has no ### BEGIN SOLUTION / ### END SOLUTION region")
    return ("code", text, {"grade": False, "solution": True, "locked": False, "grade_id": grade_id})


def answer(grade_id: str, text: str, points: int) -> Cell:
    """A written answer (marked by hand): the whole cell becomes "YOUR ANSWER HERE"."""
    return ("md", text, {"grade": True, "solution": True, "locked": False, "grade_id": grade_id,
                         "points": points})


def check(grade_id: str, text: str, points: int) -> Cell:
    """An autograder cell: it raises (an AssertionError, usually) unless the work above is right."""
    return ("code", text, {"grade": True, "solution": False, "locked": True, "grade_id": grade_id,
                           "points": points})


def load_cells(name: str) -> list[Cell]:
    """The cell list of lab ``name`` (from ``_labN.py``)."""
    path = HERE / f"_{name.split('_')[0]}.py"
    spec = importlib.util.spec_from_file_location(f"_drnn_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cells(md=md, code=code, solution=solution, answer=answer, check=check)


def build_solution(name: str, cells: list[Cell] | None = None) -> nbformat.NotebookNode:
    """The solution notebook of lab ``name``, without outputs."""
    cells = load_cells(name) if cells is None else cells
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, text, meta) in enumerate(cells):
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell["id"] = f"{name.split('_')[0]}-{i:02d}"
        if meta:
            cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, **meta}
        nb.cells.append(cell)
    ids = [m["grade_id"] for _, _, m in cells if m]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{name}: grade ids are not unique: {ids}")
    return nb


def build_student(solution_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student copy: nbgrader's ClearSolutions applied to the solution notebook."""
    from nbgrader.preprocessors import ClearSolutions

    nb, _ = ClearSolutions().preprocess(copy.deepcopy(solution_nb), {})
    return nb


def main(argv: list[str] | None = None) -> int:
    names = argv if argv else list(LABS)
    for name in names:
        sol = build_solution(name)
        nbformat.validate(sol)
        stu = build_student(sol)
        nbformat.validate(stu)
        for folder, nb in (("solution", sol), ("student", stu)):
            (HERE / folder).mkdir(exist_ok=True)
            nbformat.write(nb, HERE / folder / f"{name}.ipynb")
        print(f"wrote notebooks/labs/{{solution,student}}/{name}.ipynb ({len(sol.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
