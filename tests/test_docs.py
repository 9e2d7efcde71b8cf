"""The Sphinx documentation builds with warnings as errors (as in CI), works offline, and has no broken link."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"

#: Tags whose src/href the browser fetches by itself (a plain <a> link is only followed when clicked).
_FETCHING_TAG = re.compile(r"<(script|link|img|iframe|source|video|audio|embed|object)\b[^>]*>", re.I)
_ATTR = re.compile(r"""\b(src|href|data)\s*=\s*["']([^"']*)["']""", re.I)
_ANY_LINK = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.I)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])(https?:)?//""", re.I)


@pytest.mark.slow
def test_docs(tmp_path: Path) -> None:
    """One build (notebooks executed) and an incremental rebuild, then every check on the result.

    A single test, not a module fixture: under pytest-xdist a module fixture is built once per
    worker, and two full builds at once race on the notebook execution cache.
    """
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_nb")
    pytest.importorskip("sphinx_rtd_theme")
    out = tmp_path / "html"
    env = {**os.environ, "MPLBACKEND": "Agg", "DRNN_DOCS_CACHE": str(tmp_path / "jupyter_cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert proc.returncode == 0, f"sphinx failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    # A second, incremental build on the same folder, as every docs writer runs it: importing the claim
    # modules twice once failed here ("claim id … is already registered").
    again = subprocess.run(proc.args, capture_output=True, text=True, timeout=900, env=env)
    assert again.returncode == 0, f"incremental rebuild failed:\n{again.stdout[-4000:]}\n{again.stderr[-4000:]}"
    check_pages_built(out)
    check_no_network_resource(out)
    check_no_broken_local_link(out)
    check_exercise_solutions_are_collapsed(out)


def check_pages_built(out: Path) -> None:
    for page in ("index.html", "theory/lecture0.html", "theory/theorem1.html", "gallery.html", "api.html",
                 "tutorials/notebooks/00_stacked_and_bidirectional.html",
                 "tutorials/notebooks/01_block_matrix.html"):
        assert (out / page).is_file(), f"{page} was not built"
    gallery = (out / "gallery.html").read_text(encoding="utf-8")
    assert "wavefront.png" in gallery and "gru_counterexample.png" in gallery


def check_no_network_resource(built_docs: Path) -> None:
    """Nothing a page loads by itself (scripts, styles, images, fonts) comes from the network."""
    offenders = []
    for page in sorted(built_docs.rglob("*.html")):
        for tag in _FETCHING_TAG.finditer(page.read_text(encoding="utf-8")):
            for _, url in _ATTR.findall(tag.group(0)):
                if re.match(r"\s*(https?:)?//", url):
                    offenders.append(f"{page.relative_to(built_docs)}: {tag.group(0)[:160]}")
    for sheet in sorted(built_docs.rglob("*.css")):
        if _CSS_URL.search(sheet.read_text(encoding="utf-8", errors="replace")):
            offenders.append(f"{sheet.relative_to(built_docs)} loads a remote url()")
    assert not offenders, "network resources:\n" + "\n".join(offenders[:20])
    mathjax = built_docs / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), "MathJax is not bundled into _static"
    theorem = (built_docs / "theory" / "theorem1.html").read_text(encoding="utf-8")
    assert "_static/mathjax/tex-chtml.js" in theorem


def check_no_broken_local_link(built_docs: Path) -> None:
    broken = []
    for page in sorted(built_docs.rglob("*.html")):
        for url in _ANY_LINK.findall(page.read_text(encoding="utf-8")):
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("//", "#")) or not parts.path:
                continue
            if not (page.parent / unquote(parts.path)).exists():
                broken.append(f"{page.relative_to(built_docs)} -> {url}")
    assert not broken, "broken links:\n" + "\n".join(broken[:20])


def check_exercise_solutions_are_collapsed(built_docs: Path) -> None:
    for chapter in ("lecture0", "notation", "theorem1", "cells", "acausality", "extensions"):
        html = (built_docs / "theory" / f"{chapter}.html").read_text(encoding="utf-8")
        solutions = re.findall(r"<details[^>]*sd-dropdown[^>]*>", html)
        assert solutions, f"{chapter}: no collapsed solution"
        assert not any(" open" in tag for tag in solutions), f"{chapter}: a solution is open by default"
    nb = (built_docs / "tutorials" / "notebooks" / "00_stacked_and_bidirectional.html").read_text(encoding="utf-8")
    assert "<details><summary>Solution 0.5</summary>" in nb
