"""The figures' palette stays distinguishable for a viewer with deuteranopia."""

from itertools import combinations

import numpy as np
import pytest

from numerics.figures import _style
from numerics.figures.palette import OKABE_ITO, delta_e, on_white, simulate_deuteranopia, to_lab

#: Smallest ΔE*ab allowed between the simulated colours of two distinct categories.
MIN_DELTA_E = 15.0


def _closest_pair(colours: dict[str, np.ndarray]) -> tuple[float, str, str]:
    seen = {k: simulate_deuteranopia(v) for k, v in colours.items()}
    return min((delta_e(seen[a], seen[b]), a, b) for a, b in combinations(seen, 2))


@pytest.mark.parametrize("figure", sorted(_style.BLOCK_ALPHA))
def test_shift_kinds_stay_apart_under_deuteranopia(figure):
    alpha = _style.BLOCK_ALPHA[figure]
    kinds = ("vertical", "recurrent", "acausal", "feedback")
    colours = {k: on_white(_style.SHIFT_COLOURS[k], alpha) for k in kinds}
    colours["zero (white)"] = np.ones(3)
    de, a, b = _closest_pair(colours)
    assert de >= MIN_DELTA_E, f"{a} and {b} differ by ΔE {de:.1f} under deuteranopia ({figure})"


def test_line_colours_stay_apart_under_deuteranopia():
    colours = {k: on_white(c) for k, c in _style.CELL_COLOURS.items()}
    colours["stacked (black)"] = np.zeros(3)
    de, a, b = _closest_pair(colours)
    assert de >= MIN_DELTA_E, f"{a} and {b} differ by ΔE {de:.1f} under deuteranopia"


def test_the_old_palette_would_have_failed():
    # The seaborn-like colours the figures used before: green/red and blue/purple merge.
    old = {"recurrent": "#55a868", "acausal": "#c44e52", "vertical": "#4c72b0", "feedback": "#8172b2"}
    de, _, _ = _closest_pair({k: on_white(c) for k, c in old.items()})
    assert de < MIN_DELTA_E


def test_simulation_keeps_greys_and_merges_red_with_green():
    for grey in (0.0, 0.3, 1.0):
        np.testing.assert_allclose(simulate_deuteranopia([grey] * 3), [grey] * 3, atol=2e-3)
    red, green = simulate_deuteranopia([0.8, 0.3, 0.3]), simulate_deuteranopia([0.4, 0.6, 0.3])
    assert delta_e(red, green) < delta_e([0.8, 0.3, 0.3], [0.4, 0.6, 0.3]) / 2


def test_lab_of_white_and_black():
    np.testing.assert_allclose(to_lab([1.0, 1.0, 1.0]), [100, 0, 0], atol=0.05)
    np.testing.assert_allclose(to_lab([0.0, 0.0, 0.0]), [0, 0, 0], atol=1e-9)
    assert len(OKABE_ITO) == 8


def test_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        on_white("#000000", 1.5)
    with pytest.raises(ValueError, match="shape"):
        simulate_deuteranopia([1.0, 0.0])


@pytest.mark.parametrize(("call", "exc", "match"), [
    (lambda: on_white("#000000", [2]), TypeError, r"alpha must be a real number; got list"),
    (lambda: on_white(3, 0.5), ValueError, r"colour must be a matplotlib colour .* got int"),
    (lambda: on_white(np.ones((3, 2)), 0.5), ValueError, r"colour must be a matplotlib colour"),
    (lambda: simulate_deuteranopia("abc"), TypeError, r"rgb must be a numeric array"),
    (lambda: to_lab(0.5), ValueError, r"rgb must have shape \(\.\.\., 3\); got \(\)"),
    (lambda: to_lab([np.nan, 0.0, 0.0]), ValueError, r"rgb must be finite"),
    (lambda: delta_e([0.1, 0.2], [0.1, 0.1, 0.1]), ValueError, r"rgb1 must have shape \(3,\); got \(2,\)"),
    (lambda: delta_e([0.1, 0.2, 0.3], np.ones((2, 3))), ValueError, r"rgb2 must have shape \(3,\); got \(2, 3\)"),
])
def test_bad_colours_are_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
