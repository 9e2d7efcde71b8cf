"""``drnn slides``: the deck drawn from its YAML source, numbered, inside its margins, numbers read from files."""

import csv
import math
import re
import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import AxesImage
from matplotlib.text import Text

from numerics.cli.main import main
from numerics.cli.slides import DECK_FILE
from numerics.figures.deck import MARGIN_IN, bullets_page, equation_page, finish_page, table_page, write_deck
from numerics.figures.lecture import DEFAULT_SOURCE, LectureSourceError, lecture_pages, load_lecture
from numerics.figures.results_tables import ResultTable
from numerics.figures.slides import MIN_TEXT_PX, SLIDE_WIDTH_PX, bidirectional_diagram, smallest_text_px

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks"
_MEDIABOX = re.compile(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]")


def _texts(fig):
    FigureCanvasAgg(fig).draw()
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
            and not (isinstance(t.axes, Axes) and not t.axes.get_visible())]


def _outside_margins(fig):
    """Texts whose drawn box comes closer than MARGIN_IN to the page edge (measured from the drawing)."""
    r = fig.canvas.get_renderer()
    m = MARGIN_IN * fig.dpi - 0.5  # half a pixel of rounding
    W, H = fig.bbox.width, fig.bbox.height
    bad = []
    for t in _texts(fig):
        bb = t.get_window_extent(r)
        if bb.x0 < m or bb.y0 < m or bb.x1 > W - m or bb.y1 > H - m:
            bad.append((t.get_text()[:40], [round(v) for v in (bb.x0, bb.y0, bb.x1, bb.y1)]))
    return bad


def _data_points(ax):
    """Display coordinates of the data of ``ax``: line vertices and collection offsets/paths."""
    pts = []
    for line in ax.get_lines():
        xy = np.column_stack([np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)])
        if len(xy):
            pts.append(line.get_transform().transform(xy))
    for c in ax.collections:
        offsets = c.get_offsets()
        if len(offsets) and c.get_offset_transform() is not None:
            pts.append(c.get_offset_transform().transform(offsets))
        for path in c.get_paths()[:200]:
            if len(path.vertices):
                pts.append(c.get_transform().transform(path.vertices))
    return np.vstack([p for p in pts if p.size]) if pts else np.zeros((0, 2))


def _legends_over_data(fig):
    """Legends of ``fig`` whose box covers a data point or an image of any of its axes."""
    FigureCanvasAgg(fig).draw()
    r = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    bad = []
    for leg in legends:
        box = leg.get_window_extent(r)
        for ax in fig.axes:
            pts = _data_points(ax)
            inside = ((pts[:, 0] > box.x0) & (pts[:, 0] < box.x1) & (pts[:, 1] > box.y0) & (pts[:, 1] < box.y1))
            images = [im for im in ax.get_images() if isinstance(im, AxesImage) and
                      im.get_window_extent(r).overlaps(box)]
            if (np.isfinite(pts).all() and inside.any()) or images:
                bad.append([t.get_text() for t in leg.get_texts()][:2])
    return bad


@pytest.fixture(scope="module")
def deck_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("deck")
    assert main(["slides", "--out", str(out), "--no-figures"]) == 0
    return (out / DECK_FILE).read_bytes()


@pytest.mark.slow
def test_deck_is_a_90_minute_lecture_of_16_9_pages(deck_pdf):
    boxes = _MEDIABOX.findall(deck_pdf)
    counts = re.findall(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", deck_pdf, re.S)
    assert [int(c) for c in counts] == [len(boxes)]
    assert 35 <= len(boxes) <= 45
    for w, h in boxes:
        assert float(w) / float(h) == pytest.approx(16 / 9, rel=1e-3)


def test_the_story_runs_in_order():
    names = [n.lower() for n, _ in lecture_pages()]
    order = ["outline", "motivation", "stacked rnn", "delayed rnn", "theorem 1", "proof sketch", "start rule",
             "counterexample", "gru", "receptive", "a bidirectional rnn", "horizon", "lower bound", "truncation costs",
             "reversal", "summary", "questions"]
    at = [next(i for i, n in enumerate(names) if key in n) for key in order]
    assert at == sorted(at), dict(zip(order, at))
    title = load_lecture()["pages"][0]
    assert title["kind"] == "title" and any("Turek" in s and "ICML 2020" in s for s in title["lines"])
    assert any("Approximating Stacked and Bidirectional Recurrent Architectures" in s for s in title["lines"])


@pytest.fixture(scope="module")
def drawn_pages():
    pages = lecture_pages()
    return [(name, finish_page(draw(), i + 1, len(pages), "footer")) for i, (name, draw) in enumerate(pages)]


@pytest.mark.slow
def test_every_page_keeps_its_margins_and_is_numbered(drawn_pages):
    total = len(drawn_pages)
    for i, (name, fig) in enumerate(drawn_pages, 1):
        texts = [t.get_text() for t in _texts(fig)]
        assert f"{i} / {total}" in texts, name
        assert _outside_margins(fig) == [], name
        assert smallest_text_px(fig, SLIDE_WIDTH_PX) >= MIN_TEXT_PX, name


@pytest.mark.slow
def test_no_legend_covers_data(drawn_pages):
    for name, fig in drawn_pages:
        assert _legends_over_data(fig) == [], name


def test_text_pages_keep_margins_and_the_checks_catch_a_page_that_does_not():
    fig = finish_page(bullets_page("A title", ["a point with $x_t$ " * 12, ["a sub-point"]], "a note"), 3, 9)
    assert _outside_margins(fig) == [] and "3 / 9" in [t.get_text() for t in _texts(fig)]
    fig.text(0.995, 0.5, "too close to the edge")
    assert _outside_margins(fig) != []


def test_the_legend_check_sees_a_legend_over_data():
    fig = finish_page(bidirectional_diagram(), 1, 1)
    ax = fig.add_axes((0.2, 0.2, 0.3, 0.3))
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50), label="a line under its legend")
    ax.legend(loc="center")
    assert _legends_over_data(fig) != []


def _page_texts(pages, needle):
    _name, draw = next(p for p in pages if needle in p[0].lower())
    return " | ".join(t.get_text() for t in _texts(draw()))


def _mean_sd(values):
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def test_reversal_and_sine_numbers_are_the_committed_ones():
    pages = lecture_pages()
    with (RESULTS / "reproduce-standard" / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    text = _page_texts(pages, "reversal")
    models = {r["model"] for r in rows if r["task"] == "reversal"}
    assert len(models) >= 4
    for model in models:
        acc = [100 * float(r["test_accuracy"]) for r in rows if r["task"] == "reversal" and r["model"] == model]
        m, s = _mean_sd(acc)
        assert f"{m:.1f} ± {s:.1f} %" in text, model
    text = _page_texts(pages, "sine filtering")
    for r0 in rows:
        if r0["task"] == "sine":
            v = [float(r["test_nmse"]) for r in rows if r["task"] == "sine" and r["model"] == r0["model"]
                 and r["scale"] == r0["scale"]]
            m, s = _mean_sd(v)
            assert f"{m:.4f} ± {s:.4f}" in text, (r0["model"], r0["scale"])


def test_runtime_numbers_are_the_committed_ones():
    text = _page_texts(lecture_pages(), "runtime")
    with (RESULTS / "reproduce-standard" / "runtime.csv").open() as f:
        for r in csv.DictReader(f):
            if r["model"] != "stacked":
                assert f"{float(r['ratio_to_stacked']):.2f}×" in text, r


def _results_copy(tmp_path):
    out = tmp_path / "results"
    (out / "reproduce-standard").mkdir(parents=True)
    for name in ("results.csv", "runtime.csv"):
        shutil.copy(RESULTS / "reproduce-standard" / name, out / "reproduce-standard" / name)
    shutil.copy(RESULTS / "bidirectional_conversion.json", out)
    return out


def test_pos_page_appears_only_with_its_file(tmp_path):
    results = _results_copy(tmp_path)
    names = [n.lower() for n, _ in lecture_pages(results=results)]
    assert not any("part-of-speech" in n for n in names)
    (results / "reproduce-standard").mkdir(exist_ok=True)
    (results / "reproduce-standard" / "pos.csv").write_text(
        "model,delay,n_seeds,accuracy_mean,accuracy_sd,gap_mean,gap_sd\n"
        "bi-LSTM,0,3,0.9412,0.0011,0.0,0.0\n"
        "d-LSTM d=2,2,3,0.9381,0.0023,-0.0031,0.0019\n", encoding="utf-8")
    pages = lecture_pages(results=results)
    assert len(pages) == len(names) + 1
    text = _page_texts(pages, "part-of-speech")
    assert "94.12 ± 0.11 %" in text and "93.81 ± 0.23 %" in text and "-0.31 ± 0.19" in text
    (results / "reproduce-standard" / "pos.csv").write_text("model,delay\nx,1\n", encoding="utf-8")
    with pytest.raises(LectureSourceError, match=r"pos\.csv must have rows with the columns"):
        lecture_pages(results=results)


def test_committed_pos_results_are_shown_as_stored(tmp_path):
    # The committed part-of-speech summary has empty fields (no gap for the reference models, no s.d. for
    # the one-run majority baseline); every stored number appears on the page, the empty ones as a dash.
    results = _results_copy(tmp_path)
    (results / "reproduce-standard").mkdir(exist_ok=True)
    shutil.copy(RESULTS / "reproduce-standard" / "pos.csv", results / "reproduce-standard" / "pos.csv")
    text = _page_texts(lecture_pages(results=results), "part-of-speech")
    with open(RESULTS / "reproduce-standard" / "pos.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 8
    for r in rows:
        acc = f"{float(r['accuracy_mean']):.2f}"
        assert r["model"] in text and acc in text, r
        if r["accuracy_sd"]:
            assert f"{acc} ± {float(r['accuracy_sd']):.2f} %" in text, r
        if r["gap_mean"]:
            assert f"{float(r['gap_mean']):+.2f} ± {float(r['gap_sd']):.2f}" in text, r


def test_without_results_the_results_pages_are_left_out(tmp_path):
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(LectureSourceError, match="does not exist"):
        lecture_pages(results=empty)  # a results page names a missing file rather than inventing numbers


def test_start_rule_counterexample_numbers_are_computed():
    text = _page_texts(lecture_pages(), "counterexample")
    stacked, zero = math.tanh(1.0), math.tanh(math.tanh(1.0) + 1.0)  # by hand: U_2 = b_2 = 1
    assert f"{stacked:.4f}" in text and f"{zero:.4f}" in text and "<<" not in text


def test_a_lecturer_source_reorders_and_rewords(tmp_path, capsys):
    src = tmp_path / "my.yaml"
    src.write_text("deck: {footer: My course}\npages:\n"
                   "  - {kind: figure, figure: wavefront}\n"
                   "  - kind: bullets\n    title: My own words\n    items: ['first', ['under first'], 'second']\n",
                   encoding="utf-8")
    assert main(["slides", "--source", str(src), "--list"]) == 0
    assert capsys.readouterr().out.split("\n")[:2] == [" 1. figure: wavefront", " 2. My own words"]
    out = tmp_path / "out"
    assert main(["slides", "--source", str(src), "--out", str(out)]) == 0
    assert len(_MEDIABOX.findall((out / DECK_FILE).read_bytes())) == 2
    assert (out / "figures" / "wavefront.png").is_file() and (out / "figures" / "wavefront.svg").is_file()


@pytest.mark.parametrize(("text", "words"), [
    ("pages: [\n  {kind: bullets, title: x, items: [a]\n", "not valid YAML at line"),
    ("pages:\n  - {kind: bulets, title: T, items: [a]}\n", r"pages\[0\] \('T'\): 'kind' must be one of"),
    ("pages:\n  - {kind: title, title: A}\n  - {kind: figure, figure: nope}\n", r"pages\[1\] \(figure 'nope'\)"),
    ("pages:\n  - {kind: equations, title: E}\n",
     r"pages\[0\] \('E'\): a equations page needs the key\(s\) \['lines'\]"),
    ("pages:\n  - {kind: bullets, title: B, items: [a], colour: red}\n", r"unknown key\(s\) \['colour'\]"),
    ("pages:\n  - {kind: results, title: R, table: nope}\n", r"unknown table 'nope'"),
    ("pages:\n  - {kind: bullets, title: B, items: ['<<nope>>']}\n", r"unknown value <<nope>>"),
    ("slides: []\n", r"must be a mapping with a non-empty list 'pages'"),
])
def test_a_bad_source_gives_one_line_naming_file_and_entry(tmp_path, capsys, text, words):
    src = tmp_path / "bad.yaml"
    src.write_text(text, encoding="utf-8")
    assert main(["slides", "--source", str(src), "--list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(src) in err and re.search(words, err), err


def test_missing_source_file_is_named(tmp_path, capsys):
    assert main(["slides", "--source", str(tmp_path / "gone.yaml"), "--list"]) == 2
    assert "gone.yaml: cannot read the lecture source" in capsys.readouterr().err


def test_the_source_ships_in_the_wheel():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the package supports 3.10 too
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "figures/lecture.yaml" in data["tool"]["setuptools"]["package-data"]["numerics"]
    assert DEFAULT_SOURCE.is_file() and any("pyyaml" in d.lower() for d in data["project"]["dependencies"])


def test_no_arrows_or_primes_in_the_notation():
    source = DEFAULT_SOURCE.read_text(encoding="utf-8")
    assert "overrightarrow" not in source and "overleftarrow" not in source and "W'" not in source
    assert "h^f_t" in source and "h^b_t" in source and r"\hat W" in source and r"\hat U" in source


def test_page_functions_refuse_bad_input(tmp_path):
    with pytest.raises(ValueError, match="1 to 5 lines"):
        equation_page("empty", [])
    with pytest.raises(TypeError, match=r"where\[0\] must be a str"):
        equation_page("t", ["$x$"], where=[3])
    with pytest.raises(TypeError, match=r"items\[1\]\[0\] must be a str"):
        bullets_page("t", ["a", [2]])
    with pytest.raises(ValueError, match="too many rows"):
        table_page("t", ResultTable(("a",), tuple(("1",) for _ in range(40)), "note"))
    with pytest.raises(ValueError, match="PDF"):
        write_deck(tmp_path / "deck.png", [])
    with pytest.raises(TypeError, match="pages must be a sequence"):
        write_deck(tmp_path / "deck.pdf", None)
    with pytest.raises(ValueError, match=r"number must be an int in \[1, 3\]"):
        finish_page(bidirectional_diagram(), 4, 3)
    with pytest.raises(TypeError, match=r"source must be a str or os\.PathLike"):
        load_lecture(3)
    with pytest.raises(TypeError, match=r"pages\[0\] must be a \(str, callable\) pair"):
        write_deck(tmp_path / "d.pdf", [("t", "x")])


def test_cli_needs_out(capsys):
    assert main(["slides", "--no-figures"]) == 2
    assert "--out DIR is required" in capsys.readouterr().err


def test_a_table_too_wide_for_the_page_is_refused():
    # Before this check the font stopped shrinking at its minimum and the last columns ran off the page.
    narrow = ResultTable(("model", "accuracy"), (("d-LSTM d=1", "86.28 ± 0.24 %"),), "note")
    table_page("fits", narrow)
    wide = ResultTable(tuple(f"a long column header number {k}" for k in range(8)),
                       (tuple("0.123456789" for _ in range(8)),), "note")
    with pytest.raises(ValueError, match="too wide for one page"):
        table_page("too wide", wide)
