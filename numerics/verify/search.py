"""Property-based checking: ask hypothesis to *find* a case that violates a claim.

:func:`property_check` runs the search with fixed settings (seeded with
:attr:`Effort.seed`, no example database, no deadline), so a run is
reproducible. If no case violates the claim after the effort's number of
examples, the claim holds on that search; if one does, hypothesis shrinks it
to a minimal counterexample, which is reported.

Two things would otherwise make the search depend on the process rather than
the seed: hypothesis draws a few values from the literal constants of every
*local* module imported so far (so importing one more module changes the
cases), and it caches those draws. :func:`_no_local_constants` switches that
off for the duration of a search.

A case on which the code under test raises is a violation of the claim (the
claim says the outputs agree; a valid case with no output does not agree),
so it is shrunk and reported like any other counterexample, with the
exception's text; only a method that raises outside its cases is an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from random import Random
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from numerics.verify.registry import Effort
from theory.claims import MethodResult

Case = TypeVar("Case")


@contextmanager
def _no_local_constants() -> Iterator[None]:
    """Stop hypothesis mixing literal constants of imported local modules into its examples.

    Relies on a private hook of hypothesis >= 6.131; older versions have no
    such feature, and there this does nothing.
    """
    try:
        from hypothesis.internal.conjecture import providers
        empty = providers.Constants()
        original = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE
    except (ImportError, AttributeError):
        yield
        return
    cache.cache.clear()  # drop cached draws that include constants seen so far
    providers._get_local_constants = lambda: empty
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def property_check(
    name: str,
    strategy: st.SearchStrategy[Case],
    error: Callable[[Case], float | tuple[float, float]],
    tolerance: Callable[[Case], float] | float | None,
    describe: Callable[[Case], dict[str, Any]],
    effort: Effort,
    *,
    examples: int | None = None,
    nontrivial: Callable[[Case], bool] | None = None,
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
    nontrivial : callable, optional
        Says whether a case is informative for the claim; counted into
        ``MethodResult.nontrivial``.

    Returns
    -------
    MethodResult
        ``cases`` is the number of cases evaluated (shrinking included),
        ``max_error`` the largest error seen, ``counterexample`` the shrunk
        case (with its ``error``, and ``exception`` if the code raised on it)
        or ``None``; ``nontrivial`` counts the informative cases.
    """
    seen = {"cases": 0, "max": 0.0, "nontrivial": 0}

    def measure(case: Case) -> tuple[float, float]:
        try:
            out = error(case)
        except Exception:  # a raise on a valid case refutes the claim (module docstring)
            return math.inf, 0.0
        if isinstance(out, tuple):
            return float(out[0]), float(out[1])
        if tolerance is None:
            raise TypeError("tolerance must be given when error returns a single float")
        return float(out), float(tolerance(case) if callable(tolerance) else tolerance)

    def violated(case: Case) -> bool:
        e, tol = measure(case)
        seen["cases"] += 1
        if nontrivial is not None and nontrivial(case):
            seen["nontrivial"] += 1
        if not math.isnan(e):
            seen["max"] = max(seen["max"], e)
        return not e <= tol

    cfg = settings(
        max_examples=examples or effort.examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    count = None if nontrivial is None else seen
    try:
        with _no_local_constants():
            case = find(strategy, violated, settings=cfg, random=Random(effort.seed))
    except NoSuchExample:
        return MethodResult(name, seen["cases"], seen["max"], nontrivial=_count(count))
    try:
        cex = describe(case)
    except Exception as exc:  # the case raised in the code under test; say so
        cex = {"exception": f"{type(exc).__name__}: {exc}"}
    cex.setdefault("error", measure(case)[0])
    try:
        error(case)
    except Exception as exc:  # report what the code under test raised on the shrunk case
        cex.setdefault("exception", f"{type(exc).__name__}: {exc}")
    return MethodResult(name, seen["cases"], seen["max"], counterexample=cex, nontrivial=_count(count))


def _count(seen: dict[str, Any] | None) -> int | None:
    return None if seen is None else int(seen["nontrivial"])


__all__ = ["Case", "property_check"]
