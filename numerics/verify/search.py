"""Property-based checking: ask hypothesis to *find* a case that violates a claim.

:func:`property_check` runs the search with fixed settings (derandomised, no
example database, no deadline), so a run is reproducible. If no case
violates the claim after the effort's number of examples, the claim holds
on that search; if one does, hypothesis shrinks it to a minimal
counterexample, which is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from numerics.verify.registry import Effort
from theory.claims import MethodResult

Case = TypeVar("Case")


def property_check(
    name: str,
    strategy: st.SearchStrategy[Case],
    error: Callable[[Case], float | tuple[float, float]],
    tolerance: Callable[[Case], float] | float | None,
    describe: Callable[[Case], dict[str, Any]],
    effort: Effort,
    *,
    examples: int | None = None,
) -> MethodResult:
    """Search for a case where ``error(case) > tolerance``; shrink it if found.

    Parameters
    ----------
    name : str
        Method name for the report.
    strategy : hypothesis strategy of cases
    error : callable
        Discrepancy of the claim on a case (e.g. max abs difference), or a
        pair ``(error, tolerance)`` when the tolerance depends on the
        computed values (e.g. relative to their magnitude).
    tolerance : float, callable or None
        Largest error still counted as agreement (``None`` when ``error``
        returns pairs).
    describe : callable
        Turns the (shrunk) counterexample into a JSON-ready dict.
    effort : Effort
    examples : int, optional
        Override the effort's example count.

    Returns
    -------
    MethodResult
        ``cases`` is the number of cases evaluated (shrinking included),
        ``max_error`` the largest error seen, ``counterexample`` the shrunk
        case (with its ``error``) or ``None``.
    """
    seen = {"cases": 0, "max": 0.0}

    def measure(case: Case) -> tuple[float, float]:
        out = error(case)
        if isinstance(out, tuple):
            return float(out[0]), float(out[1])
        if tolerance is None:
            raise TypeError("tolerance must be given when error returns a single float")
        return float(out), float(tolerance(case) if callable(tolerance) else tolerance)

    def violated(case: Case) -> bool:
        e, tol = measure(case)
        seen["cases"] += 1
        if not math.isnan(e):
            seen["max"] = max(seen["max"], e)
        return not e <= tol

    cfg = settings(
        max_examples=examples or effort.examples,
        database=None,
        deadline=None,
        derandomize=True,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    try:
        case = find(strategy, violated, settings=cfg)
    except NoSuchExample:
        return MethodResult(name, seen["cases"], seen["max"])
    cex = describe(case)
    cex.setdefault("error", measure(case)[0])
    return MethodResult(name, seen["cases"], seen["max"], counterexample=cex)
