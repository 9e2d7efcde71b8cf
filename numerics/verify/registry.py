"""The registry of claims that ``drnn verify`` checks, and the machinery to check them.

A claim (:class:`theory.claims.Claim`) is registered once with
:func:`register_claim`; each way of checking it is a function registered with
:func:`method` that takes a :class:`Profile` and returns a
:class:`theory.claims.MethodResult`. Claim modules listed in
:data:`CLAIM_MODULES` are imported on first use, so adding a claim is adding a
function in one of them.

Property-based methods use :func:`property_check`, which asks hypothesis to
*find* a case violating the claim: if it finds none after the profile's
number of examples the claim holds on that search; if it finds one, the case
is shrunk to a minimal counterexample.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from theory.claims import Claim, ClaimResult, MethodResult

#: Modules that register claims when imported.
CLAIM_MODULES: tuple[str, ...] = (
    "numerics.verify.claims.elman",
    "numerics.verify.claims.cells",
    "numerics.verify.claims.theory",
)

Case = TypeVar("Case")


@dataclass(frozen=True)
class Profile:
    """How hard to look.

    Attributes
    ----------
    name : {"default", "thorough"}
    examples : int
        Hypothesis examples per property-based method.
    thorough : bool
        Larger symbolic sizes, more examples.
    seed : int
        Seed for the property searches (runs are reproducible).
    """

    name: str = "default"
    examples: int = 60
    thorough: bool = False
    seed: int = 0


PROFILES: dict[str, Profile] = {
    "default": Profile("default", examples=60, thorough=False),
    "thorough": Profile("thorough", examples=600, thorough=True),
}

MethodFn = Callable[[Profile], MethodResult]


@dataclass
class _Entry:
    claim: Claim
    methods: list[tuple[str, MethodFn]]


REGISTRY: dict[str, _Entry] = {}
_loaded = False


def register_claim(id: str, statement: str, source: str, expected: str, explanation: str = "") -> Claim:
    """Add a claim to the registry (ids are unique) and return it."""
    if id in REGISTRY:
        raise ValueError(f"claim id {id!r} is already registered")
    c = Claim(id, statement, source, expected, explanation)
    REGISTRY[id] = _Entry(c, [])
    return c


def method(claim_id: str, name: str) -> Callable[[MethodFn], MethodFn]:
    """Decorator registering ``fn(profile) -> MethodResult`` as a check of ``claim_id``."""

    def deco(fn: MethodFn) -> MethodFn:
        if claim_id not in REGISTRY:
            raise ValueError(f"unknown claim id {claim_id!r}; register_claim it first")
        REGISTRY[claim_id].methods.append((name, fn))
        return fn

    return deco


def load_claims() -> dict[str, _Entry]:
    """Import every claim module once and return the registry."""
    global _loaded
    if not _loaded:
        for m in CLAIM_MODULES:
            importlib.import_module(m)
        _loaded = True
    return REGISTRY


def claim_ids() -> list[str]:
    return list(load_claims())


def run_claim(claim_id: str, profile: Profile = PROFILES["default"],
              methods: Iterable[str] | None = None) -> ClaimResult:
    """Check one claim with all (or the named) methods."""
    reg = load_claims()
    if claim_id not in reg:
        raise ValueError(f"unknown claim id {claim_id!r}; known: {', '.join(reg)}")
    entry = reg[claim_id]
    wanted = None if methods is None else set(methods)
    result = ClaimResult(entry.claim)
    for name, fn in entry.methods:
        if wanted is not None and name not in wanted:
            continue
        t0 = time.perf_counter()
        r = fn(profile)
        r.seconds = time.perf_counter() - t0
        result.methods.append(r)
    return result


def run(ids: Iterable[str] | None = None, profile: Profile = PROFILES["default"],
        on_result: Callable[[ClaimResult], None] | None = None) -> list[ClaimResult]:
    """Check the given claims (default all) in registration order."""
    reg = load_claims()
    out = []
    for cid in (list(reg) if ids is None else list(ids)):
        r = run_claim(cid, profile)
        out.append(r)
        if on_result is not None:
            on_result(r)
    return out


def property_check(
    name: str,
    strategy: st.SearchStrategy[Case],
    error: Callable[[Case], float | tuple[float, float]],
    tolerance: Callable[[Case], float] | float | None,
    describe: Callable[[Case], dict[str, Any]],
    profile: Profile,
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
    profile : Profile
    examples : int, optional
        Override the profile's example count.

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
        max_examples=examples or profile.examples,
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
