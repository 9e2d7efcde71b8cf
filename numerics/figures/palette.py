"""The colour-blind-safe palette of every figure, and the check that it stays safe.

Colours come from the Okabe–Ito palette (Okabe & Ito, *Color Universal
Design*, 2008), chosen to stay distinct for the common colour-vision
deficiencies. :func:`simulate_deuteranopia` applies the Machado, Oliveira &
Fernandes (2009) matrix for full deuteranopia (severity 1.0) in linear RGB,
and :func:`delta_e` measures the CIE 1976 colour difference, so a test can
check that the simulated colours of distinct categories stay apart.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import to_rgb

from numerics._validate import as_float_array
from theory._checks import check_real

#: The eight Okabe–Ito colours.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: Machado et al. (2009), deuteranomaly at severity 1.0 (deuteranopia), acting on linear RGB.
DEUTERANOPIA = np.array([
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.011820, 0.042940, 0.968881],
])

_RGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
_WHITE_XYZ = np.array([0.95047, 1.0, 1.08883])


def _rgb(value: Any, name: str, *, single: bool = False) -> np.ndarray:
    """``value`` as a finite float array of sRGB triples, shape ``(3,)`` if ``single`` else ``(..., 3)``."""
    rgb = as_float_array(value, name)
    if rgb.shape[-1:] != (3,) or (single and rgb.ndim != 1):
        raise ValueError(f"{name} must have shape {'(3,)' if single else '(..., 3)'}; got {rgb.shape}")
    return rgb


def _to_linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _to_srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)


def on_white(colour: Any, alpha: float = 1.0) -> np.ndarray:
    """The sRGB triple (in ``[0, 1]``) that ``colour`` drawn with ``alpha`` shows on a white background.

    Parameters
    ----------
    colour : matplotlib colour
        Any colour matplotlib accepts (``"#D55E00"``, ``"0.5"``, ``(r, g, b)``).
    alpha : float
        Opacity in ``[0, 1]``.

    Returns
    -------
    ndarray, shape (3,)

    Raises
    ------
    TypeError, ValueError
        If ``colour`` is not a matplotlib colour or ``alpha`` is not a number in ``[0, 1]``.
    """
    alpha = check_real(alpha, "alpha")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1]; got {alpha}")
    try:
        rgb = to_rgb(colour)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"colour must be a matplotlib colour ('#D55E00', '0.5', (r, g, b)); "
                         f"got {type(colour).__name__} ({exc})") from exc
    return alpha * np.array(rgb) + (1.0 - alpha)


def simulate_deuteranopia(rgb: Any) -> np.ndarray:
    """How a viewer with deuteranopia sees sRGB colour(s) (Machado et al. 2009, severity 1.0).

    Parameters
    ----------
    rgb : array, shape (..., 3)
        sRGB values in ``[0, 1]``.

    Returns
    -------
    ndarray, shape (..., 3)
        Simulated sRGB values in ``[0, 1]``.

    Examples
    --------
    >>> simulate_deuteranopia([1.0, 1.0, 1.0]).round(3).tolist()
    [1.0, 1.0, 1.0]
    """
    return _to_srgb(_to_linear(_rgb(rgb, "rgb")) @ DEUTERANOPIA.T)


def to_lab(rgb: Any) -> np.ndarray:
    """CIELAB coordinates (D65 white) of sRGB colour(s) of shape ``(..., 3)`` in ``[0, 1]``."""
    xyz = _to_linear(_rgb(rgb, "rgb")) @ _RGB_TO_XYZ.T / _WHITE_XYZ
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def delta_e(rgb1: Any, rgb2: Any) -> float:
    """CIE 1976 colour difference ΔE*ab between two sRGB colours (about 2.3 is just noticeable).

    Parameters
    ----------
    rgb1, rgb2 : array, shape (3,)
        sRGB values in ``[0, 1]``.

    Returns
    -------
    float
    """
    return float(np.linalg.norm(to_lab(_rgb(rgb1, "rgb1", single=True)) - to_lab(_rgb(rgb2, "rgb2", single=True))))


__all__ = [
    "DEUTERANOPIA",
    "OKABE_ITO",
    "delta_e",
    "on_white",
    "simulate_deuteranopia",
    "to_lab",
]
