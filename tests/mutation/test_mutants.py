"""Every catalogued mutant is killed by ``drnn verify`` without PyTorch, none by a crash (docs/theory/mutation.md)."""

from __future__ import annotations

import pytest
from mutants_catalogue import MUTANTS, crashes, installed, killers, run_mutant, run_tests_under

import theory.layout as layout
from numerics.models import stacked as stacked_module
from numerics.verify import oracle

VERIFY = [m for m in MUTANTS if not m.tests]
HELPERS = [m for m in MUTANTS if m.tests]


@pytest.mark.slow
@pytest.mark.parametrize("mutant", VERIFY, ids=[m.name for m in VERIFY])
def test_mutant_is_killed_without_torch(mutant):
    results = run_mutant(mutant, ids=mutant.killed_by or None)
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


@pytest.mark.slow
@pytest.mark.parametrize("mutant", HELPERS, ids=[m.name for m in HELPERS])
def test_helper_mutant_is_caught_by_its_tests(mutant):
    # drnn verify does not run the testing helpers by design; their own tests must fail under the mutant
    assert run_tests_under(mutant) == 11, f"{mutant.name}: {mutant.tests} pass under the mutant"


def test_every_new_kind_of_mutant_is_in_the_catalogue():
    areas = {m.area for m in MUTANTS}
    assert {"backward", "bounds", "contracts", "bidirectional", "testing helpers"} <= areas


def test_a_source_mutant_whose_text_is_gone_fails_loudly():
    from mutants_catalogue import Mutant, source_mutant

    import numerics.testing as testing

    bad = Mutant("gone", "x", "x", source_mutant(testing, "assert_equivalent", "no such text", "x"))
    with pytest.raises(AssertionError, match="occurs 0 times"), installed(bad):
        pass


def test_refreshing_rows_keeps_the_text_around_the_table(tmp_path, monkeypatch):
    import make_table

    page = tmp_path / "mutation.md"
    intro = "# Mutation testing\n\nAn introduction.\n\n"
    table = ("| mutant | area | bug | claims refuted | refuting claims: methods |\n| --- | --- | --- | --- | --- |\n"
             "| `a` | x | y | 1 | `c`: m |\n| `b` | x | y | 1 | `d`: m |\n")
    after = "\n## Generic mutation testing\n\nmutmut counts.\n"
    page.write_text(intro + table + after)
    monkeypatch.setattr(make_table, "OUT", page)
    before, rows, rest = make_table._existing()
    assert before == intro and rest == after
    assert rows == {"a": "| `a` | x | y | 1 | `c`: m |", "b": "| `b` | x | y | 1 | `d`: m |"}
    # only unknown names: the page is left alone and the call says so
    assert make_table.main(["no-such-mutant"]) == 2 and page.read_text() == intro + table + after
