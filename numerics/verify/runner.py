"""Run the claims: the catalogue of every claim module, and :func:`run_claim` / :func:`run`.

The claim modules are named here, in code, in report order: Elman
(:mod:`~numerics.verify.claims.elman`), LSTM and gradients
(:mod:`~numerics.verify.claims.cells`), then the symbolic, exact and
structural checks (:mod:`~numerics.verify.claims.theory`), which also add
methods to the first two modules' claims; the engine against the per-step
reference (:mod:`~numerics.verify.claims.engine_reference`), every backward
pass against central differences (:mod:`~numerics.verify.claims.gradients`),
the state-dict export (:mod:`~numerics.verify.claims.export`), the exact
contracts of ``min_steps`` and ``reference_field``
(:mod:`~numerics.verify.claims.contracts`), and the
topology compiler, its bounds and its delay lines
(:mod:`~numerics.verify.claims.topology`,
:mod:`~numerics.verify.claims.topology_bounds`,
:mod:`~numerics.verify.claims.topology_lines`). :func:`catalogue` reads each
module's ``CLAIMS`` when called, so a reloaded module's claims replace the
old ones and import order plays no part.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from types import ModuleType

from numerics.verify.claims import (
    cells,
    contracts,
    elman,
    engine_reference,
    export,
    gradients,
    theory,
    topology,
    topology_bounds,
    topology_lines,
)
from numerics.verify.registry import EFFORTS, Effort, Entry, merge
from theory.claims import ClaimResult, MethodResult

#: The claim modules, in report order.
CLAIM_MODULES: tuple[ModuleType, ...] = (
    elman, cells, theory, engine_reference, gradients, export, contracts, topology, topology_bounds, topology_lines,
)


def catalogue() -> dict[str, Entry]:
    """Every claim with its methods, ``{claim id: Entry}`` in report order."""
    return merge(m.CLAIMS for m in CLAIM_MODULES)


def claim_ids() -> list[str]:
    """The ids of all claims, in report order."""
    return list(catalogue())


def run_claim(claim_id: str, effort: Effort = EFFORTS["default"],
              methods: Iterable[str] | None = None) -> ClaimResult:
    """Check one claim with all its methods (or the named ones).

    Parameters
    ----------
    claim_id : str
    effort : Effort
        How hard to look (default :data:`EFFORTS` ``["default"]``).
    methods : iterable of str, optional
        Names of the methods to run; by default all of them.

    Returns
    -------
    ClaimResult
        One :class:`theory.claims.MethodResult` per method run, with its wall-clock time.
        A method that raises is recorded with its ``error`` set (the claim's
        verdict is then ``"error"``) and the remaining methods still run.
    """
    reg = catalogue()
    if claim_id not in reg:
        raise ValueError(f"unknown claim id {claim_id!r}; known: {', '.join(reg)}")
    entry = reg[claim_id]
    wanted = None if methods is None else set(methods)
    result = ClaimResult(entry.claim)
    for name, fn in entry.methods:
        if wanted is not None and name not in wanted:
            continue
        t0 = time.perf_counter()
        try:
            r = fn(effort)
        except Exception as exc:  # a crash must be reported, never hide the other verdicts
            r = MethodResult(name, 0, float("nan"), error=f"{type(exc).__name__}: {exc}")
        r.seconds = time.perf_counter() - t0
        result.methods.append(r)
    return result


def run(ids: Iterable[str] | None = None, effort: Effort = EFFORTS["default"],
        on_result: Callable[[ClaimResult], None] | None = None) -> list[ClaimResult]:
    """Check the given claims (default all, in report order).

    Parameters
    ----------
    ids : iterable of str, optional
    effort : Effort
    on_result : callable, optional
        Called with each :class:`~theory.claims.ClaimResult` as soon as it is ready
        (the command line prints it).

    Returns
    -------
    list of ClaimResult
    """
    out = []
    for cid in (claim_ids() if ids is None else list(ids)):
        r = run_claim(cid, effort)
        out.append(r)
        if on_result is not None:
            on_result(r)
    return out


__all__ = ["CLAIM_MODULES", "catalogue", "claim_ids", "run", "run_claim"]
