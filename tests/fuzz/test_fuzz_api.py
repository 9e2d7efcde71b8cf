"""Fuzz of the public API with malformed arguments.

Every public function and class of :mod:`theory` and :mod:`numerics` is
either a fuzz target here (valid keyword arguments, of which hypothesis
replaces one by a malformed value: wrong type, rank, dtype, NaN/inf, empty,
huge, bad name) or listed in ``EXCLUDED`` with the reason. A new public name
that is in neither fails ``test_every_public_name_is_fuzzed_or_excluded``.

Each call must succeed or raise ``ValueError``/``TypeError`` whose message
names the argument. The fuzz runs in a subprocess under an address-space limit
(``RLIMIT_AS``) so that an attempt to allocate too much is a ``MemoryError``
(an unclean outcome) rather than a swapping machine, and each call has a
timeout. The fast profile makes a few hundred calls, the slow one over 10,000;
both print the outcome table (calls per target: succeeded, clean errors,
unclean) and write it as JSON next to the test's temporary files.

Run by hand: ``python tests/fuzz/test_fuzz_api.py 10000 table.json`` (or
``python tests/fuzz/fuzz_runner.py ...``).

The pieces: ``fuzz_exclusions.py`` (what is left out and why),
``fuzz_targets.py`` and ``fuzz_targets_areas.py`` (the targets),
``fuzz_runner.py`` (the calls, the table, the subprocess).
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from fuzz_exclusions import EXCLUDED, FUZZED_DESPITE_PREFIX, KNOWN_UNCLEAN
from fuzz_runner import _resolves, fuzz_in_subprocess, main, names_argument, public_names
from fuzz_targets import SCENARIO, targets


def test_every_public_name_is_fuzzed_or_excluded():
    fuzzed = set(targets())
    names = public_names()
    # An EXCLUDED key covers every name it starts (a module, a class and its methods, a family of kernels).
    missing = [n for n in names if n not in fuzzed and not any(n.startswith(p) for p in EXCLUDED)]
    assert not missing, f"public names neither fuzzed nor excluded with a reason: {missing}"
    # A method now inherited from a base class in a private module is no longer listed, but still public here.
    stale = sorted(n for n in fuzzed - set(names) if not n.startswith(SCENARIO) and not _resolves(n))
    assert not stale, f"fuzz targets that are not public names (renamed?): {stale}"
    covered = [n for n in fuzzed if any(n.startswith(p) for p in EXCLUDED if p.endswith("."))]
    assert set(covered) <= FUZZED_DESPITE_PREFIX, covered


def test_names_argument_rejects_an_unrelated_message():
    assert names_argument("hidden_sizes", "hidden_size must be >= 1")
    assert not names_argument("seed", "sizes must be a sequence")


def new_unclean(result: dict[str, Any]) -> list[str]:
    """Unclean outcomes of targets not listed in ``KNOWN_UNCLEAN``."""
    return [u for u in result["unclean"] if u.split("(", 1)[0] not in KNOWN_UNCLEAN]


def test_known_unclean_are_fuzz_targets():
    assert set(KNOWN_UNCLEAN) <= set(targets())


def test_malformed_calls_fail_cleanly(tmp_path):
    result = fuzz_in_subprocess(300, tmp_path / "fuzz.json")
    assert result["calls"] >= 300
    assert not new_unclean(result), "unclean outcomes:\n" + "\n".join(new_unclean(result))


@pytest.mark.slow
def test_malformed_calls_fail_cleanly_thorough(tmp_path):
    result = fuzz_in_subprocess(10_000, tmp_path / "fuzz.json")
    assert result["calls"] >= 10_000
    assert not new_unclean(result), "unclean outcomes:\n" + "\n".join(new_unclean(result))
    fixed = [n for n in KNOWN_UNCLEAN if result["table"].get(n, {}).get("unclean", 0) == 0]
    assert not fixed, f"now clean in {result['calls']} calls; remove from KNOWN_UNCLEAN: {fixed}"


if __name__ == "__main__":
    main(sys.argv)
