"""Claims as data: statement, source, expected verdict, and the results of checking them.

A claim is checked by one or more *methods* (symbolic, exact rational,
property-based, external reference). Each method reports how many cases it
tried and the largest error it saw, and, if it found one, a counterexample.
A claim whose expected verdict is ``"fails"`` is confirmed when some method
finds a counterexample: a refuted claim is a result, not an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from theory._checks import check_choice

VERDICTS: tuple[str, ...] = ("holds", "fails")


@dataclass(frozen=True)
class Claim:
    """A precise, checkable statement.

    Attributes
    ----------
    id : str
        Short stable identifier, e.g. ``"elman-staggered"``.
    statement : str
        One sentence saying exactly what is claimed.
    source : str
        ``"paper §3"`` etc. for the source paper, ``"ours"`` for extensions.
    expected : {"holds", "fails"}
        The verdict the toolkit expects; ``drnn verify`` succeeds exactly when
        every claim's verdict equals its expectation.
    explanation : str
        Why the claim holds or fails (shown in reports).
    """

    id: str
    statement: str
    source: str
    expected: str
    explanation: str = ""

    def __post_init__(self) -> None:
        check_choice(self.expected, VERDICTS, "expected")


@dataclass
class MethodResult:
    """Outcome of one checking method.

    Attributes
    ----------
    name : str
        ``"symbolic"``, ``"exact"``, ``"property"``, ``"torch"``, …
    cases : int
        Number of cases tried.
    max_error : float
        Largest discrepancy seen (0.0 for exact and symbolic methods that
        found none; ``inf`` when a symbolic comparison failed).
    counterexample : dict or None
        A (shrunk) counterexample if the method found the claim violated.
    skipped : str
        Non-empty when the method could not run (e.g. an optional dependency
        is missing); a skipped method counts for neither verdict.
    seconds : float
        Wall-clock time of the method.
    error : str
        Non-empty when the method itself raised (``"TypeError: ..."``): the
        method reached no verdict, and the claim's verdict is ``"error"``.
    nontrivial : int or None
        How many of the ``cases`` were informative for the claim (e.g. at
        least two layers and one time step); ``None`` when the method does
        not classify its cases.
    """

    name: str
    cases: int
    max_error: float
    counterexample: dict[str, Any] | None = None
    skipped: str = ""
    seconds: float = 0.0
    error: str = ""
    nontrivial: int | None = None

    @property
    def refuted(self) -> bool:
        return self.counterexample is not None


@dataclass
class ClaimResult:
    """A claim together with the results of all its methods."""

    claim: Claim
    methods: list[MethodResult] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """``"error"`` if any method raised (a crash is never read as a verdict),
        else ``"fails"`` if any method found a counterexample, ``"holds"`` if at
        least one method ran and none did, ``"unchecked"`` if every method was skipped."""
        if any(m.error for m in self.methods):
            return "error"
        if any(m.refuted for m in self.methods):
            return "fails"
        if any(not m.skipped for m in self.methods):
            return "holds"
        return "unchecked"

    @property
    def as_expected(self) -> bool:
        return self.verdict == self.claim.expected

    @property
    def counterexample(self) -> dict[str, Any] | None:
        for m in self.methods:
            if m.counterexample is not None:
                return m.counterexample
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record: ``id, statement, source, expected, verdict, methods, counterexample``."""
        return {
            "id": self.claim.id,
            "statement": self.claim.statement,
            "source": self.claim.source,
            "expected": self.claim.expected,
            "verdict": self.verdict,
            "explanation": self.claim.explanation,
            "methods": [
                {k: v for k, v in asdict(m).items() if k != "counterexample"} for m in self.methods
            ],
            "counterexample": self.counterexample,
        }


__all__ = [
    "VERDICTS",
    "Claim",
    "ClaimResult",
    "MethodResult",
]
