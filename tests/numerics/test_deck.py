"""``drnn slides``: the lecture deck is one 16:9 PDF with one page per entry of ``DECK``."""

import re

import pytest

from numerics.cli.main import main
from numerics.cli.slides import DECK_FILE
from numerics.figures.deck import DECK, bidirectional_diagram, equation_page, title_page, write_deck
from numerics.figures.slides import MIN_TEXT_PX, SLIDE_FIGURES, SLIDE_WIDTH_PX, smallest_text_px

_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")


@pytest.fixture(scope="module")
def deck_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    assert main(["slides", "--out", str(out)]) == 0
    return (out / DECK_FILE).read_bytes()


def test_deck_has_one_page_per_entry(deck_pdf):
    boxes = _MEDIABOX.findall(deck_pdf)
    assert len(boxes) == len(DECK) >= 15
    counts = re.findall(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", deck_pdf, re.S)
    assert [int(c) for c in counts] == [len(DECK)]


def test_every_page_is_16_9(deck_pdf):
    for w, h in _MEDIABOX.findall(deck_pdf):
        assert float(w) / float(h) == pytest.approx(16 / 9, rel=1e-3)


def test_deck_runs_stacked_delayed_receptive_bidirectional():
    names = [name for name, _ in DECK]
    assert names[0] == "title"
    first = {topic: next(i for i, n in enumerate(names) if topic in n)
             for topic in ("stacked", "delayed", "receptive", "bidirectional")}
    assert first["stacked"] < first["delayed"] < first["receptive"] < first["bidirectional"]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("name", [n for n, _ in DECK if n.endswith("equations") or n in
                                  ("title", "theorem 1", "lag bookkeeping", "latency", "bidirectional diagram")])
def test_pages_not_taken_from_slide_figures_are_readable(name):
    fig = dict(DECK)[name]()
    w, h = fig.get_size_inches()
    assert w / h == pytest.approx(16 / 9)
    assert smallest_text_px(fig, SLIDE_WIDTH_PX) >= MIN_TEXT_PX


def test_slide_pages_name_existing_slide_figures():
    used = {d.__doc__.split("'")[1] for _, d in DECK if (d.__doc__ or "").startswith("The slide figure")}
    assert used and used <= set(SLIDE_FIGURES)


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match="1 to 5 lines"):
        equation_page("empty", [])
    with pytest.raises(ValueError, match="1 to 5 lines"):
        equation_page("too long", ["$x$"] * 6)
    with pytest.raises(ValueError, match="T must be"):
        bidirectional_diagram(T=1)
    with pytest.raises(ValueError, match="PDF"):
        write_deck(tmp_path / "deck.png")
    with pytest.raises(ValueError, match="does not exist"):
        write_deck(tmp_path / "missing" / "deck.pdf")


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda tmp: equation_page(None, ["$x$"]), TypeError, r"title must be a str; got NoneType"),
    (lambda tmp: equation_page("t", "$x$"), TypeError, r"lines must be a non-empty sequence of str .* got str"),
    (lambda tmp: equation_page("t", ["$x$", 2]), TypeError, r"lines\[1\] must be a str; got int"),
    (lambda tmp: equation_page("t", ["$x$"], note=1.5), TypeError, r"note must be a str or None"),
    (lambda tmp: bidirectional_diagram(T="5"), TypeError, r"T must be an int in \[2, 6\]; got str"),
    (lambda tmp: write_deck(None), TypeError, r"path must be a str or os.PathLike"),
    (lambda tmp: write_deck(""), ValueError, r"path must be a file path in an existing directory; got an empty path"),
    (lambda tmp: write_deck(tmp / "d.pdf", [1, 2]), TypeError, r"pages\[0\] must be a sequence .* got int"),
    (lambda tmp: write_deck(tmp / "d.pdf", [("t", "x")]), TypeError, r"pages\[0\] must be a \(str, callable\) pair"),
    (lambda tmp: write_deck(tmp / "d.pdf", {}), TypeError, r"pages must be a sequence .* got dict"),
    (lambda tmp: write_deck(tmp / "d.pdf", [("t", lambda: 3)]), TypeError,
     r"pages\[0\]'s figure must be a matplotlib Figure; got int"),
])
def test_bad_arguments_are_named(tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(tmp_path)


def test_write_deck_takes_its_pages(tmp_path):
    path = write_deck(tmp_path / "two.pdf", [("title", title_page), ("eq", lambda: equation_page("t", ["$x$"]))])
    assert len(_MEDIABOX.findall(path.read_bytes())) == 2


def test_cli_lists_pages_and_needs_out(capsys):
    assert main(["slides", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(DECK) and lines[0].endswith("title")
    assert main(["slides"]) == 2
    assert "--out DIR is required" in capsys.readouterr().err
