"""Argument checks shared by :mod:`theory` and :mod:`numerics`.

Every public function of the toolkit validates what it is given with these,
so a bad argument always gives the same kind of message: a ``TypeError`` for
the wrong kind of object, a ``ValueError`` for a value out of range, both
naming the argument, what was expected and what was received.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any, TypeVar

#: Number of gates of each cell type (rows of ``weight_ih`` per unit).
GATES: dict[str, int] = {"elman": 1, "lstm": 4, "gru": 3}

#: Elementwise activations an Elman block may use.
ELMAN_ACTIVATIONS: tuple[str, ...] = ("tanh", "relu", "identity", "sigmoid")

K = TypeVar("K")


def check_choice(value: object, choices: Sequence[str], name: str) -> str:
    """Return ``value`` if it is one of the strings ``choices``, else raise."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {list(choices)}; got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}")
    return value


def check_cell(cell: object, name: str = "cell") -> str:
    """Return ``cell`` if it names a supported cell type, else raise."""
    return check_choice(cell, sorted(GATES), name)


def check_activation(activation: object, name: str = "activation") -> str:
    """Return ``activation`` if it names an Elman activation, else raise."""
    return check_choice(activation, ELMAN_ACTIVATIONS, name)


def check_count(value: object, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in ``[minimum, maximum]``, else raise."""
    # Plans check every block and edge when built, and are built often: a plain int in range skips the
    # isinstance test against the numbers ABC, which costs ten times more.
    if type(value) is int and minimum <= value and (maximum is None or value <= maximum):
        return value
    bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int {bound}; got {type(value).__name__}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an int {bound}; got {value}")
    return int(value)


def check_sequence(values: object, name: str, what: str = "items", *, nonempty: bool = False) -> tuple[Any, ...]:
    """Return a list, tuple or other non-string sequence as a tuple, else raise.

    ``what`` names the entries in the message ("a non-empty sequence of ints >= 1").

    Raises
    ------
    TypeError
        For a string, an array or any other object that is not a sequence.
    ValueError
        For an empty sequence when ``nonempty``.
    """
    expected = f"{'a non-empty' if nonempty else 'a'} sequence of {what}"
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be {expected}; got {type(values).__name__}")
    if nonempty and len(values) == 0:
        raise ValueError(f"{name} must be {expected}; got an empty sequence")
    return tuple(values)


def check_sizes(values: object, name: str) -> tuple[int, ...]:
    """Return a non-empty sequence of positive ints as a tuple, else raise."""
    values = check_sequence(values, name, "ints >= 1", nonempty=True)
    return tuple(check_count(v, f"{name}[{i}]") for i, v in enumerate(values))


def check_records(values: object, kind: type[K], name: str, *, nonempty: bool = False) -> tuple[K, ...]:
    """Return a sequence of ``kind`` instances as a tuple, else raise naming the first bad entry."""
    what = f"{kind.__module__}.{kind.__name__}"
    values = check_sequence(values, name, what, nonempty=nonempty)
    for i, v in enumerate(values):
        if not isinstance(v, kind):
            check_type(v, kind, f"{name}[{i}]", f"a {what}")
    return values


def check_real(value: object, name: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    """Return ``value`` as a finite float (optionally ``> 0`` or ``>= 0``), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite; got {v}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0; got {v}")
    if nonnegative and v < 0:
        raise ValueError(f"{name} must be >= 0; got {v}")
    return v


def check_type(value: Any, kind: type[K], name: str, what: str | None = None) -> K:
    """Return ``value`` if it is an instance of ``kind``, else raise ``TypeError``."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {what or 'a ' + kind.__name__}; got {type(value).__name__}")
    return value


def memory_limit() -> int:
    """Bytes this process may allocate: physical memory, or less under an address-space limit.

    A large fixed bound stands in where the system does not say.
    """
    try:
        limit = int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        limit = 2**40
    try:
        import resource  # POSIX only

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return limit
    # Under ``ulimit -v`` a request below physical memory can still end in
    # MemoryError; the address-space limit is then the honest bound.
    return limit if soft == resource.RLIM_INFINITY else min(limit, int(soft))


def check_allocation(entries: int, itemsize: int, name: str) -> None:
    """Refuse, before allocating, an array that cannot fit in this machine's memory.

    Raises
    ------
    ValueError
        Naming ``name``, the size asked for and the memory available, instead
        of a ``MemoryError`` after an attempt to allocate terabytes.
    """
    need, limit = int(entries) * int(itemsize), memory_limit()
    if need > limit:
        raise ValueError(f"{name}: {entries} entries ({need / 2**30:.3g} GiB) do not fit in this machine's "
                         f"memory ({limit / 2**30:.3g} GiB)")
