"""Assemble delayed-network arrays from a plan (:func:`fill_placements`), and take them apart again.

Both directions iterate over :meth:`theory.layout.Plan.placements`, the same
list the SymPy assembly in :mod:`theory.symbolic` uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from numerics._validate import as_float_array
from numerics.engine.params import LayerParams
from theory._checks import check_type
from theory.layout import GATE_NAMES, Placement, Plan


def _shapes(plan: Plan) -> dict[str, tuple[int, ...]]:
    gn = plan.gates * plan.hidden_size
    shapes: dict[str, tuple[int, ...]] = {"weight_ih": (gn, plan.input_size), "weight_hh": (gn, plan.hidden_size)}
    if plan.bias:
        shapes.update(bias_ih=(gn,), bias_hh=(gn,))
    return shapes


def _source_shapes(placements: list[Placement]) -> dict[str, tuple[int, ...]]:
    """The shape each stacked parameter must have: the placements of a plan cover every source whole."""
    ends: dict[str, tuple[int, ...]] = {}
    for p in placements:
        end = (p.source_rows[1],) if p.source_cols is None else (p.source_rows[1], p.source_cols[1])
        prev = ends.get(p.source, (0,) * len(end))
        ends[p.source] = tuple(max(a, b) for a, b in zip(prev, end))
    return ends


def fill_placements(plan: Plan, placements: Sequence[Placement], sources: Mapping[str, np.ndarray], dtype: Any,
                    identity: str | None = None) -> LayerParams:
    """Zero matrices of ``plan``'s shapes with each placement's slice of its source copied in.

    The numeric twin of :func:`theory.symbolic.fill_placements` and the kernel
    of :func:`assemble` and :func:`numerics.models.topology.assemble_compiled`,
    which check their arguments. A placement whose source is ``identity``
    copies a slice of an identity matrix (the delay lines of a compiled
    topology); ``dtype=object`` keeps ``Fraction`` entries exact.

    Returns
    -------
    LayerParams
        Entries no placement covers are zero.
    """
    dt = np.dtype(dtype)
    out = {k: np.zeros(s, dtype=dt) for k, s in _shapes(plan).items()}
    for p in placements:
        if identity is not None and p.source == identity:
            w = max(p.source_rows[1], p.source_cols[1]) if p.source_cols else p.source_rows[1]
            a = np.eye(w, dtype=int).astype(dt)
        elif p.source in sources:
            a = sources[p.source]
        else:
            raise ValueError(f"state_dict is missing {p.source!r}, needed for {p.matrix}")
        if p.cols is None:
            out[p.matrix][p.rows[0]:p.rows[1]] = a[p.source_rows[0]:p.source_rows[1]]
        else:
            out[p.matrix][p.rows[0]:p.rows[1], p.cols[0]:p.cols[1]] = \
                a[p.source_rows[0]:p.source_rows[1], p.source_cols[0]:p.source_cols[1]]
    return LayerParams(**out)


def assemble(plan: Plan, state_dict: Mapping[str, Any], dtype: Any = None) -> LayerParams:
    """Fill the single layer's matrices from stacked parameters.

    The numeric twin of :func:`theory.symbolic.assemble`: the same operation,
    zero matrices of the plan's shapes with every placement of
    ``plan.placements()`` copied in from its stacked source, done here by
    :func:`fill_placements` on NumPy arrays and there by
    :func:`theory.symbolic.fill_placements` on SymPy matrices (exact zeros
    outside the placements in both). The names stay apart because notebooks
    and exercises import both; this one checks and casts the arrays first.

    Parameters
    ----------
    plan : Plan
    state_dict : mapping of str to array
        Stacked parameters under PyTorch names (``weight_ih_l0`` …).
    dtype : optional
        Result dtype (default: that of the given arrays).

    Returns
    -------
    LayerParams
        ``weight_ih (G·N, I)``, ``weight_hh (G·N, N)``, biases ``(G·N,)``;
        entries no placement covers are zero.
    """
    check_type(plan, Plan, "plan")
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict must be a mapping of parameter names to arrays; got {type(state_dict).__name__}")
    if not state_dict:
        raise ValueError("state_dict is empty; expected the stacked parameters (weight_ih_l0, …)")
    src = {k: as_float_array(v, f"state_dict[{k!r}]", None if dtype is None else np.dtype(dtype))
           for k, v in state_dict.items()}
    dt = np.dtype(dtype) if dtype is not None else next(iter(src.values())).dtype
    placements = plan.placements()
    for name, shape in _source_shapes(placements).items():
        if name in src and src[name].shape != shape:  # an oversize array would otherwise be cut to fit
            raise ValueError(f"state_dict[{name!r}] must have shape {shape} for this plan; got {src[name].shape}")
    return fill_placements(plan, placements, src, dt)


def disassemble(plan: Plan, params: LayerParams) -> dict[str, np.ndarray]:
    """Recover the stacked parameters from assembled matrices (inverse of :func:`assemble`).

    Raises
    ------
    ValueError
        If an entry that no placement covers is non-zero: the message names
        the first offending block (gate, destination block, source) and its
        largest absolute entry.
    """
    check_type(plan, Plan, "plan")
    check_type(params, LayerParams, "params")
    covered = {k: np.zeros(s, dtype=bool) for k, s in _shapes(plan).items()}
    pieces: dict[str, list[tuple[Any, np.ndarray]]] = {}
    for p in plan.placements():
        m = getattr(params, p.matrix)
        if p.cols is None:
            covered[p.matrix][p.rows[0]:p.rows[1]] = True
            block = m[p.rows[0]:p.rows[1]]
        else:
            covered[p.matrix][p.rows[0]:p.rows[1], p.cols[0]:p.cols[1]] = True
            block = m[p.rows[0]:p.rows[1], p.cols[0]:p.cols[1]]
        pieces.setdefault(p.source, []).append((p, block))
    n = plan.hidden_size
    gate_names = [g or "h" for g in GATE_NAMES[plan.cell]]
    for kind in ("weight_ih", "weight_hh"):
        m = getattr(params, kind)
        for g in range(plan.gates):
            for dst in range(len(plan.blocks)):
                r0, r1 = plan.span(dst)
                srcs = [(None, (0, plan.input_size))] if kind == "weight_ih" else \
                    [(s, plan.span(s)) for s in range(len(plan.blocks))]
                for s, (c0, c1) in srcs:
                    rows = slice(g * n + r0, g * n + r1)
                    cols = slice(c0, c1)
                    stray = m[rows, cols][~covered[kind][rows, cols]]
                    if stray.size and np.any(stray != 0):
                        src_name = "x" if s is None else plan.blocks[s].name
                        raise ValueError(
                            f"{kind} block ({plan.blocks[dst].name} <- {src_name}, gate {gate_names[g]}) must be "
                            f"zero for the stacked structure; its largest |entry| is {np.abs(stray).max():.6g}"
                        )
    out: dict[str, np.ndarray] = {}
    for name, parts in pieces.items():
        p0 = parts[0][0]
        if p0.cols is None:
            a = np.empty((plan.gates * (p0.source_rows[1] - p0.source_rows[0]),), dtype=params.dtype)
        else:
            a = np.empty((plan.gates * (p0.source_rows[1] - p0.source_rows[0]), p0.source_cols[1]),
                         dtype=params.dtype)
        for p, block in parts:
            if p.cols is None:
                a[p.source_rows[0]:p.source_rows[1]] = block
            else:
                a[p.source_rows[0]:p.source_rows[1], p.source_cols[0]:p.source_cols[1]] = block
        out[name] = a
    return out


__all__ = [
    "assemble",
    "disassemble",
    "fill_placements",
]
