"""PyTorch's parameter names for recurrent modules, parsed into layers (no torch import).

Below the networks, so both the networks' ``from_state_dict`` and
:func:`numerics.models.torch_io.from_torch` (on top of the networks) use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from numerics._validate import FLOAT_DTYPES, as_float_array, to_numpy
from numerics.engine.params import LayerParams
from theory._checks import check_cell
from theory.layout import GATES

#: PyTorch ``mode`` -> (cell, Elman activation)
MODES: dict[str, tuple[str, str | None]] = {
    "RNN_TANH": ("elman", "tanh"),
    "RNN_RELU": ("elman", "relu"),
    "LSTM": ("lstm", None),
    "GRU": ("gru", None),
}

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(0|[1-9]\d*)(_reverse)?$")
#: Missing keys named in an error message; the rest are counted.
_SHOWN = 8


def _check_complete(parsed: Mapping[str, tuple[str, ...]], directions: list[str], kinds: list[str],
                    has_reverse: bool) -> int:
    """Number of layers, after checking that every layer ``0 .. L-1`` has every key.

    Works from the keys present, never from the largest index alone: a key
    like ``weight_ih_l1000000000000`` (or one whose index has more digits
    than :func:`int` converts) must give a short error at once, not a list of
    a trillion missing names.
    """
    present = set(parsed)
    # A complete dict of L layers has L * per-layer keys, so no index of a complete dict exceeds len(parsed).
    n = len(parsed)
    small = [int(g[1]) for g in parsed.values() if len(g[1]) <= len(str(n))]
    top = max((i for i in small if i <= n), default=-1)
    scan = top + 1 if len(small) == n and max(small) <= n else min(top + 2, n + 1)
    missing: list[str] = []
    count = 0
    for l in range(scan):
        for name in sorted(f"{kind}_l{l}{d}" for d in directions for kind in kinds):
            if name not in present:
                count += 1
                if len(missing) < _SHOWN:
                    missing.append(name)
    if not count:
        return scan
    highest = max((g[1] for g in parsed.values()), key=lambda s: (len(s), s))
    shown = highest if len(highest) <= 20 else f"{highest[:8]}… ({len(highest)} digits)"
    more = f" and more ({count} below layer {scan} alone)" if count > len(missing) else ""
    raise ValueError(f"state_dict is missing {missing}{more}: layers must be numbered 0, 1, 2, … without gaps, "
                     f"each with {', '.join(kinds)}{' and their _reverse' if has_reverse else ''}; "
                     f"the highest layer index given is {shown}")


def layers_from_state_dict(
    state_dict: Mapping[str, Any], cell: str
) -> tuple[list[LayerParams], list[LayerParams] | None]:
    """Parse PyTorch-named arrays into forward (and reverse) layer parameters.

    Returns
    -------
    forward : list of LayerParams
    reverse : list of LayerParams or None
        ``None`` when there are no ``_reverse`` parameters.

    Raises
    ------
    ValueError
        On unknown, missing or wrongly shaped keys, or mixed dtypes.
    """
    check_cell(cell)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping of parameter names to arrays; got {type(state_dict).__name__}")
    if not state_dict:
        raise ValueError("state_dict is empty; expected weight_ih_l0, weight_hh_l0, …")
    extra = [k for k in state_dict if not (isinstance(k, str) and _KEY.match(k))]
    if extra:
        shown = [k if len(repr(k)) <= 60 else f"{repr(k)[:40]}…" for k in sorted(extra[:_SHOWN], key=repr)]
        more = f" and {len(extra) - len(shown)} more" if len(extra) > len(shown) else ""
        raise ValueError(f"state_dict has unexpected keys {shown}{more}; expected names like weight_ih_l0, "
                         "bias_hh_l1, weight_hh_l0_reverse")
    arrays: dict[str, np.ndarray] = {}
    dtypes = set()
    for k, v in state_dict.items():
        raw = np.asarray(to_numpy(v))
        dt = raw.dtype if raw.dtype in FLOAT_DTYPES else np.dtype(np.float64)
        arrays[k] = as_float_array(raw, f"state_dict[{k!r}]", dt)
        dtypes.add(dt)
    if len(dtypes) > 1:
        raise ValueError(f"state_dict arrays must share one dtype; got {sorted(str(d) for d in dtypes)}")
    parsed = {k: _KEY.match(k).groups() for k in arrays}  # type: ignore[union-attr]
    has_reverse = any(g[2] for g in parsed.values())
    has_bias = any(g[0].startswith("bias") for g in parsed.values())
    directions = [""] + (["_reverse"] if has_reverse else [])
    kinds = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if has_bias else [])
    L = _check_complete(parsed, directions, kinds, has_reverse)
    G = GATES[cell]
    out: list[list[LayerParams]] = []
    for d in directions:
        layers = []
        for l in range(L):
            whh = arrays[f"weight_hh_l{l}{d}"]
            if whh.ndim != 2 or whh.shape[0] != G * whh.shape[1]:
                raise ValueError(f"state_dict['weight_hh_l{l}{d}'] must have shape ({G}·H, H) for cell {cell!r}; "
                                 f"got {whh.shape}")
            H = whh.shape[1]
            wih = arrays[f"weight_ih_l{l}{d}"]
            if wih.ndim != 2 or wih.shape[0] != G * H:
                raise ValueError(f"state_dict['weight_ih_l{l}{d}'] must have shape ({G * H}, input); got {wih.shape}")
            biases = []
            for kind in ("bias_ih", "bias_hh"):
                if not has_bias:
                    biases.append(None)
                    continue
                b = arrays[f"{kind}_l{l}{d}"]
                if b.shape != (G * H,):
                    raise ValueError(f"state_dict['{kind}_l{l}{d}'] must have shape ({G * H},); got {b.shape}")
                biases.append(b)
            layers.append(LayerParams(wih, whh, biases[0], biases[1]))
        out.append(layers)
    return out[0], (out[1] if has_reverse else None)
