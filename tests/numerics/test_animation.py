"""The wavefront animation: one frame per d-RNN step, each outlining exactly that step's nodes."""

from pathlib import Path

import pytest
from PIL import Image

from numerics.figures.animation import offline_jshtml, save_wavefront_animation, wavefront_animation
from numerics.figures.slides import MIN_TEXT_PX, smallest_text_px


@pytest.mark.parametrize(("L", "T"), [(4, 6), (2, 3), (1, 2)])
def test_each_frame_outlines_the_wavefront_of_its_step(L: int, T: int) -> None:
    anim = wavefront_animation(L, T)
    fig = anim._fig
    ax = fig.axes[0]
    circles = {(round(c.center[1]), round(c.center[0])): c for c in ax.patches if hasattr(c, "center")}
    assert len(circles) == L * T
    for s in range(1, T + L):
        anim._func(s)
        hot = {k for k, c in circles.items() if c.get_linewidth() > 2}
        filled = {k for k, c in circles.items() if c.get_facecolor()[:3] != (1.0, 1.0, 1.0)}
        assert hot == {(l, t) for l in range(1, L + 1) for t in range(1, T + 1) if t + l - 1 == s}
        assert filled == {(l, t) for l in range(1, L + 1) for t in range(1, T + 1) if t + l - 1 <= s}
    assert smallest_text_px(fig) >= MIN_TEXT_PX


def test_writes_gif_and_html(tmp_path: Path) -> None:
    gif, html = save_wavefront_animation(tmp_path, L=2, T=3, dpi=40)
    with Image.open(gif) as im:
        assert im.n_frames == 4 and im.size == (320, 180)
    text = html.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<script" in text and "http" not in text.split("<body>")[0]


def test_bad_arguments() -> None:
    with pytest.raises((ValueError, TypeError)):
        wavefront_animation(0, 3)


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda tmp: wavefront_animation(10**5, 2), ValueError, r"L must be an int in \[1, 32\]; got 100000"),
    (lambda tmp: wavefront_animation(2, 2, interval_ms=None), TypeError, r"interval_ms must be an int"),
    (lambda tmp: offline_jshtml("anim"), TypeError, r"anim must be a matplotlib Animation; got str"),
    (lambda tmp: save_wavefront_animation(None), TypeError, r"out must be a str or os.PathLike"),
    (lambda tmp: save_wavefront_animation(tmp / "missing"), ValueError,
     r"out must be an existing directory; directory .*missing' does not exist"),
    (lambda tmp: save_wavefront_animation(tmp, dpi=10**5), ValueError, r"dpi must be an int in \[10, 600\]"),
    (lambda tmp: save_wavefront_animation(tmp, T=10**13), ValueError, r"T must be an int in \[1, 32\]"),
])
def test_bad_arguments_are_named(tmp_path: Path, call, exc, match) -> None:
    with pytest.raises(exc, match=match):
        call(tmp_path)
    assert not list(tmp_path.iterdir())


def test_offline_jshtml_names_a_bad_mode() -> None:
    anim = wavefront_animation(1, 1)
    with pytest.raises(ValueError, match="default_mode must be one of"):
        offline_jshtml(anim, "twice")
    assert "loop" in offline_jshtml(anim, "loop")


def test_html_player_needs_no_network(tmp_path: Path) -> None:
    """matplotlib's player links Font Awesome from a CDN; the saved page and the fragment do not."""
    assert "font-awesome" in wavefront_animation(2, 2).to_jshtml()  # what is being removed
    page = offline_jshtml(wavefront_animation(2, 2))
    assert "http" not in page and "font-awesome" not in page
    assert 'class="fa ' not in page and page.count("<button") == 9
    assert "▶" in page and "❚❚" in page
    _, html = save_wavefront_animation(tmp_path, L=2, T=2, dpi=40)
    assert "http" not in html.read_text() and "font-awesome" not in html.read_text()


def test_default_gif_is_720p_with_large_labels_and_a_full_frame(tmp_path: Path) -> None:
    gif, _ = save_wavefront_animation(tmp_path, L=1, T=1)  # one frame at the default resolution
    with Image.open(gif) as im:
        assert im.size == (1280, 720)
    anim = wavefront_animation()
    anim._draw_was_started = True  # only its figure is measured here; no "deleted without rendering" warning
    fig = anim._fig
    assert smallest_text_px(fig, 1280) >= 18.0
    # The drawing fills the frame: the grid's axes span most of its width and height.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig).draw()
    box = fig.axes[0].get_window_extent()
    assert box.width >= 0.7 * fig.bbox.width and box.height >= 0.75 * fig.bbox.height, box
