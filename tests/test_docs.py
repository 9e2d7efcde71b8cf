"""The Sphinx documentation builds with warnings as errors (as in CI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    pytest.importorskip("sphinx_rtd_theme")
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, f"sphinx failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    for page in ("index.html", "theory/theorem1.html", "gallery.html", "api.html",
                 "tutorials/notebooks/01_block_matrix.html"):
        assert (out / page).is_file(), f"{page} was not built"
    gallery = (out / "gallery.html").read_text(encoding="utf-8")
    assert "wavefront.png" in gallery and "gru_counterexample.png" in gallery
