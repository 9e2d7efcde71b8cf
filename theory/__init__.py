"""Exact objects of the delayed-RNN theory: block layouts, claims, proofs.

This package never imports :mod:`numerics`; it is mathematics, not arrays.

Modules: :mod:`theory.layout` (plans and their block matrices),
:mod:`theory.symbolic` (SymPy unrolling and identity checks),
:mod:`theory.induction` (Theorem 1 for every depth), :mod:`theory.receptive`
(receptive fields and look-ahead), :mod:`theory.latex` (the equations of a
plan in LaTeX), :mod:`theory.claims` (claims as data), and
:mod:`theory._checks` (the argument checks both packages share).
The SymPy-heavy modules are imported on demand, not here, to keep
``import theory`` light.
"""

from theory.claims import Claim, ClaimResult, MethodResult
from theory.layout import (
    ELMAN_ACTIVATIONS,
    GATES,
    Block,
    Edge,
    InputEdge,
    Placement,
    Plan,
    relaxed_plan,
    stacked_plan,
)

__all__ = [
    "ELMAN_ACTIVATIONS",
    "GATES",
    "Block",
    "Claim",
    "ClaimResult",
    "Edge",
    "InputEdge",
    "MethodResult",
    "Placement",
    "Plan",
    "relaxed_plan",
    "stacked_plan",
]
