"""The lecture source: the deck's pages as editable YAML (``lecture.yaml``), read and checked here.

A lecturer reorders, rewords or drops pages by editing a copy of
``numerics/figures/lecture.yaml`` and running ``drnn slides --source
my.yaml``; no Python is needed. The file has a ``deck`` mapping (``title``,
``footer``) and a ``pages`` list; each page has a ``kind``:

``title``
    ``title``, ``subtitle``, ``lines`` (the citation, the date …).
``bullets``
    ``title``, ``items`` (strings; a list inside the list holds sub-points), ``note``.
``equations``
    ``title``, ``lines`` (1 to 5 mathtext lines), ``where`` (symbol definitions), ``note``.
``figure``
    ``figure``: a name of :data:`~numerics.figures.slides.SLIDE_FIGURES`.
``results``
    ``title``, ``table`` (one of :data:`TABLES`), ``profile`` (``quick`` or
    ``standard``, the ``benchmarks/reproduce-<profile>/`` directory), ``note``.
    The numbers are read from the committed result files; a ``pos`` page is
    left out while ``pos.csv`` does not exist, and every results page is left
    out when there is no results directory (an installed wheel without ``--results``).

In any text, ``<<name>>`` is replaced by a number the toolkit computes when
the deck is drawn (:func:`computed_values`: the start-rule counterexample).
A mistake in the file raises :class:`LectureSourceError`, one line naming
the file, the page and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from matplotlib.figure import Figure

from numerics._validate import check_path
from numerics.figures.deck import bullets_page, equation_page, table_page, title_page
from numerics.figures.results_tables import (
    ResultTable,
    conversion_table,
    default_results_dir,
    pos_table,
    reversal_table,
    runtime_table,
    sine_table,
)
from numerics.figures.slides import SLIDE_FIGURES

__all__ = ["DEFAULT_SOURCE", "KINDS", "TABLES", "LectureSourceError", "computed_values", "lecture_pages",
           "load_lecture"]

#: The lecture source shipped with the package.
DEFAULT_SOURCE = Path(__file__).with_name("lecture.yaml")

#: Tables a ``results`` page may show: name → function of (results directory, profile).
TABLES: dict[str, Callable[[Path, str], ResultTable | None]] = {
    "reversal": reversal_table,
    "sine": sine_table,
    "runtime": runtime_table,
    "pos": pos_table,
    "conversion": lambda results, _profile: conversion_table(results, "sine"),
    "conversion_reversal": lambda results, _profile: conversion_table(results, "reversal"),
}

#: Page kinds: kind → (required keys, optional keys), besides ``kind`` itself.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "title": (("title",), ("subtitle", "lines")),
    "bullets": (("title", "items"), ("note",)),
    "equations": (("title", "lines"), ("where", "note")),
    "figure": (("figure",), ()),
    "results": (("title", "table"), ("profile", "note")),
}

_PROFILES = ("quick", "standard")


class LectureSourceError(ValueError):
    """A lecture source that cannot be drawn; the message is one line naming the file, page and key."""


@lru_cache(maxsize=1)
def computed_values() -> dict[str, str]:
    """Numbers the lecture quotes that the toolkit computes: the start-rule counterexample.

    The smallest network on which the zero start breaks (``drnn verify``'s shrunk counterexample):
    two tanh layers of width 1, one time step, every weight and bias 0 but ``U_2 = 1`` and ``b_2 = 1``.
    Keys: ``cex_stacked`` (the stacked output ``h^2_1``), ``cex_zero`` (the delayed network started from
    ``s_0 = 0``), ``cex_staggered`` (with the staggered start) and ``cex_warmup`` (the warm-up state
    ``s^2_1``), each to 4 decimals.
    """
    from numerics.models.stacked import StackedRNN  # the engine, only when a page quotes it

    zero = np.zeros((1, 1))
    sd = {"weight_ih_l0": zero, "weight_hh_l0": zero, "bias_ih_l0": np.zeros(1), "bias_hh_l0": np.zeros(1),
          "weight_ih_l1": zero, "weight_hh_l1": np.ones((1, 1)), "bias_ih_l1": np.ones(1),
          "bias_hh_l1": np.zeros(1)}
    net = StackedRNN.from_state_dict(sd)
    x = np.zeros((1, 1, 1))
    values = {"cex_stacked": net(x), "cex_zero": net.to_delayed("zero")(x),
              "cex_staggered": net.to_delayed("staggered")(x), "cex_warmup": np.tanh(1.0)}
    return {k: f"{float(np.ravel(v)[-1]):.4f}" for k, v in values.items()}


def _fill(text: str, where: str) -> str:
    def repl(m: re.Match) -> str:
        values = computed_values()
        if m.group(1) not in values:
            raise LectureSourceError(f"{where}: unknown value <<{m.group(1)}>>; known: {sorted(values)}")
        return values[m.group(1)]
    return re.sub(r"<<(\w+)>>", repl, text)


def _text(page: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = page.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise LectureSourceError(f"{where}: {key!r} must be a non-empty string; got {value!r}")
    return _fill(value, f"{where}, {key!r}")


def _texts(page: Mapping[str, Any], key: str, where: str, *, nested: bool = False) -> list:
    value = page.get(key, [])
    if not isinstance(value, list):
        raise LectureSourceError(f"{where}: {key!r} must be a list of strings; got {type(value).__name__}")
    out: list = []
    for i, item in enumerate(value):
        if nested and isinstance(item, list):
            out.append(_texts({key: item}, key, f"{where}, {key}[{i}]"))
        elif isinstance(item, str):
            out.append(_fill(item, f"{where}, {key}[{i}]"))
        else:
            raise LectureSourceError(f"{where}: {key}[{i}] must be a string; got {type(item).__name__}")
    return out


def load_lecture(source: Path | str | None = None) -> dict[str, Any]:
    """Read and check a lecture source.

    Parameters
    ----------
    source : Path or str, optional
        A YAML file; default :data:`DEFAULT_SOURCE`.

    Returns
    -------
    dict
        ``{"deck": {"title", "footer"}, "pages": [page, …], "path": Path}``; every page a dict with ``kind``.

    Raises
    ------
    LectureSourceError
        (a ValueError) The file is missing, not YAML, or an entry is malformed: one line naming the
        file, the page (``pages[i]`` and its title) and the key.
    """
    if source is not None and not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or os.PathLike naming a YAML file; got {type(source).__name__}")
    if source is not None and not os.fspath(source):
        raise ValueError("source must name a YAML file; got an empty path")
    path = Path(DEFAULT_SOURCE if source is None else source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:  # a NUL byte in the name is a ValueError
        raise LectureSourceError(f"{path}: cannot read the lecture source ({getattr(exc, 'strerror', None) or exc})"
                                 ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise LectureSourceError(f"{path}: not valid YAML{at}: {problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("pages"), list) or not data["pages"]:
        raise LectureSourceError(f"{path}: must be a mapping with a non-empty list 'pages' (and optionally 'deck')")
    unknown = set(data) - {"deck", "pages"}
    if unknown:
        raise LectureSourceError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: 'deck', 'pages'")
    deck = data.get("deck") or {}
    if not isinstance(deck, dict) or set(deck) - {"title", "footer"}:
        raise LectureSourceError(f"{path}: 'deck' must be a mapping with the keys 'title' and 'footer'")
    for key in ("title", "footer"):
        if key in deck and not isinstance(deck[key], str):
            raise LectureSourceError(f"{path}: deck.{key} must be a string; got {type(deck[key]).__name__}")
    pages = [_check_page(page, f"{path}: pages[{i}]") for i, page in enumerate(data["pages"])]
    return {"deck": {"title": deck.get("title", ""), "footer": deck.get("footer", "")}, "pages": pages,
            "path": path}


def _check_page(page: object, where: str) -> dict[str, Any]:
    if not isinstance(page, dict):
        raise LectureSourceError(f"{where}: must be a mapping with a 'kind'; got {type(page).__name__}")
    if isinstance(page.get("title"), str):
        where = f"{where} ({page['title']!r})"
    elif isinstance(page.get("figure"), str):
        where = f"{where} (figure {page['figure']!r})"
    kind = page.get("kind")
    if kind not in KINDS:
        raise LectureSourceError(f"{where}: 'kind' must be one of {list(KINDS)}; got {kind!r}")
    required, optional = KINDS[kind]
    missing = [k for k in required if k not in page]
    if missing:
        raise LectureSourceError(f"{where}: a {kind} page needs the key(s) {missing}")
    unknown = sorted(set(page) - {"kind", *required, *optional})
    if unknown:
        raise LectureSourceError(f"{where}: unknown key(s) {unknown} for a {kind} page; "
                                 f"allowed: {[*required, *optional]}")
    out: dict[str, Any] = {"kind": kind, "where": where}
    if kind == "figure":
        if page["figure"] not in SLIDE_FIGURES:
            raise LectureSourceError(f"{where}: unknown figure {page['figure']!r}; choose from {list(SLIDE_FIGURES)}")
        out["figure"] = page["figure"]
        return out
    out["title"] = _text(page, "title", where, required=True)
    for key in ("subtitle", "note"):
        if key in optional:
            out[key] = _text(page, key, where)
    if kind == "title":
        out["lines"] = _texts(page, "lines", where)
    elif kind == "bullets":
        out["items"] = _texts(page, "items", where, nested=True)
        if not out["items"] or not isinstance(out["items"][0], str):
            raise LectureSourceError(f"{where}: 'items' must be a non-empty list starting with a string")
    elif kind == "equations":
        out["lines"] = _texts(page, "lines", where)
        out["where_"] = _texts(page, "where", where)
        if not 1 <= len(out["lines"]) <= 5:
            raise LectureSourceError(f"{where}: 'lines' must hold 1 to 5 lines; got {len(out['lines'])}")
    elif kind == "results":
        if page["table"] not in TABLES:
            raise LectureSourceError(f"{where}: unknown table {page['table']!r}; choose from {list(TABLES)}")
        profile = page.get("profile", "standard")
        if profile not in _PROFILES:
            raise LectureSourceError(f"{where}: 'profile' must be one of {list(_PROFILES)}; got {profile!r}")
        out["table"], out["profile"] = page["table"], profile
    return out


def _draw(page: dict[str, Any], results: Path | None) -> Callable[[], Figure] | None:
    """The zero-argument function drawing ``page``, or ``None`` if the page is left out (no result file)."""
    kind = page["kind"]
    if kind == "title":
        return lambda: title_page(page["title"], page.get("subtitle") or "", page["lines"])
    if kind == "bullets":
        return lambda: bullets_page(page["title"], page["items"], page.get("note"))
    if kind == "equations":
        return lambda: equation_page(page["title"], page["lines"], page.get("note"), page["where_"])
    if kind == "figure":
        return SLIDE_FIGURES[page["figure"]]
    if results is None:
        return None
    try:
        table = TABLES[page["table"]](results, page["profile"])
    except ValueError as exc:
        raise LectureSourceError(f"{page['where']}: {exc}") from None
    if table is None:
        return None
    return lambda: table_page(page["title"], table, page.get("note"))


def lecture_pages(source: Path | str | None = None, results: Path | str | None = None
                  ) -> list[tuple[str, Callable[[], Figure]]]:
    """The deck's pages from a lecture source: ``(name, zero-argument drawing function)`` in order.

    Parameters
    ----------
    source : Path or str, optional
        The YAML lecture source; default :data:`DEFAULT_SOURCE`.
    results : Path or str, optional
        Directory of the committed results (``reproduce-<profile>/``, ``bidirectional_conversion.json``);
        default the repository's ``benchmarks/`` when the package runs from a checkout. Without one the
        results pages are left out.

    Returns
    -------
    list of (str, callable)
        Page names (the title, or ``figure: NAME``) and drawing functions; pages whose result file does
        not exist (``pos.csv`` before the language task has run) are left out.

    Raises
    ------
    LectureSourceError
        A malformed source or result file (one line naming the file, page and key).
    """
    lecture = load_lecture(source)
    results = default_results_dir() if results is None else check_path(results, "results", directory=True)
    pages = []
    for page in lecture["pages"]:
        draw = _draw(page, None if results is None else Path(results))
        if draw is not None:
            name = page["title"] if "title" in page else f"figure: {page['figure']}"
            pages.append((name, draw))
    return pages
