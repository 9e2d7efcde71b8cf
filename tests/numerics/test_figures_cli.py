"""``drnn figures``: writes every figure in every format, reports progress, rejects a bad --out."""

from __future__ import annotations

from pathlib import Path

import pytest

from numerics.cli.main import main
from numerics.figures.catalogue import FIGURES


def test_writes_png_and_svg_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figs"
    assert main(["figures", "--out", str(out), "--only", "wavefront", "block_matrices"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["block_matrices.png", "block_matrices.svg", "wavefront.png", "wavefront.svg"]
    assert (out / "wavefront.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (out / "wavefront.svg").read_text()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[1/2] wavefront") and lines[1].startswith("[2/2] block_matrices")


def test_writes_every_figure_and_pdf_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["figures", "--out", str(tmp_path), "--format", "png", "pdf", "--dpi", "40"]) == 0
    for name in FIGURES:
        assert (tmp_path / f"{name}.png").stat().st_size > 0
        assert (tmp_path / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.glob("*.svg"))
    assert (tmp_path / "wavefront_animation.gif").read_bytes()[:6] == b"GIF89a"
    assert "<script" in (tmp_path / "wavefront_animation.html").read_text()
    progress = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    assert len(progress) == len(FIGURES) + 1  # and the animation


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["figures", "--list"]) == 0
    assert capsys.readouterr().out.split() == list(FIGURES)


@pytest.mark.parametrize("kind", ["file", "under-file", "missing-arg", "unknown-figure"])
def test_bad_arguments_give_one_line_error(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    argv = {
        "file": ["figures", "--out", str(afile)],
        "under-file": ["figures", "--out", str(afile / "sub")],
        "missing-arg": ["figures"],
        "unknown-figure": ["figures", "--out", str(tmp_path / "o"), "--only", "nope"],
    }[kind]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("drnn figures: error:") and err.count("\n") == 1


def test_slide_style_writes_the_slide_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from numerics.figures.slides import SLIDE_FIGURES
    assert main(["figures", "--style", "slide", "--out", str(tmp_path), "--format", "png", "--dpi", "40",
                 "--only", "wavefront", "block_matrices_lstm"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["block_matrices_lstm.png", "wavefront.png"]
    capsys.readouterr()
    assert main(["figures", "--style", "slide", "--list"]) == 0
    assert capsys.readouterr().out.split() == list(SLIDE_FIGURES)
