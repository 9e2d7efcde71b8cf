"""Write the tutorial notebooks 00-06 from their cell lists in ``_cells/NN.py`` (stored without outputs).

Run ``python notebooks/_make.py`` after editing a notebook's cells there; the
``.ipynb`` files are generated, so their text lives in one reviewable place.
``tests/test_notebooks.py`` executes every notebook and checks that none is
stored with outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt"""


def md(text: str) -> tuple[str, str]:
    return ("md", text)


def code(text: str) -> tuple[str, str]:
    return ("code", text)


#: Notebook file name -> its cells, read from ``_cells/NN.py`` (one file per notebook, each defining ``CELLS``
#: with the ``md``, ``code`` and ``SETUP`` given here). Another generator may write further notebooks into
#: this folder (notebook 07 has its own); this one writes only the notebooks listed here.
NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}
for _path in sorted((HERE / "_cells").glob("[0-9][0-9].py")):
    _ns: dict = {"md": md, "code": code, "SETUP": SETUP, "__file__": str(_path)}
    exec(compile(_path.read_text(encoding="utf-8"), str(_path), "exec"), _ns)
    NOTEBOOKS[_ns["NAME"]] = _ns["CELLS"]


# Notebook 07 (part-of-speech tagging with look-ahead) has its own cell file, notebooks/_make_07.py.
def _load_07() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_make_07", HERE / "_make_07.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    NOTEBOOKS[mod.NAME] = mod.CELLS


_load_07()


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem.split('_')[0]}-{i:02d}"
    return nb


def main(argv: list[str] | None = None) -> int:
    names = argv if argv else list(NOTEBOOKS)
    for name in names:
        nb = build(name, NOTEBOOKS[name])
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print(f"wrote notebooks/{name} ({len(nb.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
