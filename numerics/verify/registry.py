"""Claims and their checking methods as plain data: :class:`Effort`, :class:`ClaimSet`, :class:`Entry`.

Each claim module builds one :class:`ClaimSet` at import time, called
``CLAIMS``: it declares claims with :meth:`ClaimSet.claim` and checking
methods with the :meth:`ClaimSet.method` decorator. Nothing is registered
globally, so importing or reloading a claim module twice cannot clash, and
the order modules are imported in does not matter.
:func:`merge` joins the modules' sets in the order the caller gives
(:mod:`numerics.verify.runner` names the modules in code), attaching
methods that one module declares for another module's claim by id.

A method is a function ``fn(effort) -> MethodResult``; :class:`Effort` says
how hard to look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from theory.claims import Claim, MethodResult


@dataclass(frozen=True)
class Effort:
    """How hard the checking methods look.

    Attributes
    ----------
    name : {"default", "thorough"}
    examples : int
        Hypothesis examples per property-based method.
    thorough : bool
        Larger symbolic sizes, more cases for the sampled methods.
    seed : int
        Seed for the sampled cases (runs are reproducible).
    """

    name: str = "default"
    examples: int = 60
    thorough: bool = False
    seed: int = 0


EFFORTS: dict[str, Effort] = {
    "default": Effort("default", examples=60, thorough=False),
    "thorough": Effort("thorough", examples=600, thorough=True),
}

MethodFn = Callable[[Effort], MethodResult]


@dataclass
class Entry:
    """A claim with its checking methods, in the order they run.

    Attributes
    ----------
    claim : theory.claims.Claim
    methods : list of (name, method)
        ``method(effort) -> MethodResult``; names are unique per claim.
    """

    claim: Claim
    methods: list[tuple[str, MethodFn]] = field(default_factory=list)


@dataclass(frozen=True)
class _Method:
    claim_id: str
    name: str
    fn: MethodFn


class ClaimSet:
    """The claims one module states and the methods it contributes, in declaration order.

    Methods may name claims of other modules; :func:`merge` resolves them.

    Examples
    --------
    >>> CLAIMS = ClaimSet()
    >>> _ = CLAIMS.claim("one-is-one", "1 == 1.", "ours", "holds")
    >>> @CLAIMS.method("one-is-one", "exact")
    ... def _exact(effort):
    ...     return MethodResult("exact", 1, 0.0)
    >>> [e.claim.id for e in merge([CLAIMS]).values()]
    ['one-is-one']
    """

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}
        self._methods: list[_Method] = []

    def claim(self, id: str, statement: str, source: str, expected: str, explanation: str = "") -> Claim:
        """State a claim (ids are unique within the set) and return it."""
        if id in self._claims:
            raise ValueError(f"claim id {id!r} is stated twice in this module")
        c = Claim(id, statement, source, expected, explanation)
        self._claims[id] = c
        return c

    def method(self, claim_id: str, name: str) -> Callable[[MethodFn], MethodFn]:
        """Decorator adding ``fn(effort) -> MethodResult`` as the check ``name`` of ``claim_id``."""

        def deco(fn: MethodFn) -> MethodFn:
            self._methods.append(_Method(claim_id, name, fn))
            return fn

        return deco

    @property
    def claims(self) -> tuple[Claim, ...]:
        """The claims stated here, in declaration order."""
        return tuple(self._claims.values())

    @property
    def methods(self) -> tuple[tuple[str, str, MethodFn], ...]:
        """``(claim_id, name, fn)`` for every method declared here, in declaration order."""
        return tuple((m.claim_id, m.name, m.fn) for m in self._methods)


def merge(sets: Iterable[ClaimSet]) -> dict[str, Entry]:
    """Join claim sets into one ordered catalogue ``{claim id: Entry}``.

    Claims come in the order of ``sets`` and, within a set, of declaration;
    every set's methods are then attached to their claims in the same order,
    so a claim's own checks run before checks other modules add to it.

    Raises
    ------
    ValueError
        A claim id stated in two sets, a method for an unknown claim id, or
        two methods of one claim with the same name.
    """
    sets = list(sets)
    out: dict[str, Entry] = {}
    for s in sets:
        for c in s.claims:
            if c.id in out:
                raise ValueError(f"claim id {c.id!r} is stated by two claim modules")
            out[c.id] = Entry(c)
    for s in sets:
        for claim_id, name, fn in s.methods:
            if claim_id not in out:
                raise ValueError(f"method {name!r} checks unknown claim id {claim_id!r}")
            entry = out[claim_id]
            if any(n == name for n, _ in entry.methods):
                raise ValueError(f"claim {claim_id!r} has two methods named {name!r}")
            entry.methods.append((name, fn))
    return out


__all__ = ["EFFORTS", "ClaimSet", "Effort", "Entry", "MethodFn", "merge"]
