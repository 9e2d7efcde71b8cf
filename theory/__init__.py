"""Exact objects of the delayed-RNN theory: block layouts, claims, proofs.

This package never imports :mod:`numerics`; it is mathematics, not arrays.
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
