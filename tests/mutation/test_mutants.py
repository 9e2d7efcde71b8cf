"""Every catalogued mutant is killed by ``drnn verify`` without PyTorch, none by a crash (docs/theory/mutation.md)."""

from __future__ import annotations

import pytest
from mutants_catalogue import MUTANTS, crashes, installed, killers, run_mutant

import theory.layout as layout
from numerics.models import stacked as stacked_module
from numerics.verify import oracle


@pytest.mark.slow
@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_killed_without_torch(mutant):
    results = run_mutant(mutant)
    assert not crashes(results), f"{mutant.name} crashed a method: {crashes(results)}"
    assert killers(results), f"{mutant.name} survives: every claim verdict is as expected"


def test_installing_a_mutant_is_undone_and_hides_torch():
    original = stacked_module.stacked_plan
    with installed(MUTANTS[0]):
        assert stacked_module.stacked_plan is not original
        assert oracle.torch_missing()
    assert stacked_module.stacked_plan is original is layout.stacked_plan


def test_the_names_are_unique():
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
