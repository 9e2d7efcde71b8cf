"""A second, incremental docs build on the same build folder succeeds (as every docs writer runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.slow
def test_incremental_rebuild_succeeds(tmp_path: Path) -> None:
    # Importing the claim modules twice once failed here ("claim id … is already registered");
    # notebooks are rendered without execution: the full build is tests/test_docs.py.
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)]
    env = {**os.environ, "MPLBACKEND": "Agg", "DRNN_DOCS_EXECUTE": "off"}
    for attempt in ("first", "second"):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, f"{attempt} build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert (out / "api.html").is_file()
