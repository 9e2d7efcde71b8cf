"""The README's Python examples run as written (the PyTorch one needs a live module and is skipped)."""

import re
from pathlib import Path

import pytest

BLOCKS = re.findall(r"```python\n(.*?)```", (Path(__file__).parents[1] / "README.md").read_text(), re.S)


def _blocks(predicate):
    return [pytest.param(b, id=f"block{i}") for i, b in enumerate(BLOCKS) if predicate(b)]


def test_readme_has_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("code", _blocks(lambda b: "module" not in b and "train(" not in b))
def test_fast_example_runs(code):
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)
    for name, fn in list(ns.items()):
        if name.startswith("test_") and callable(fn):
            fn()  # the hypothesis example in the README is a test: run it


@pytest.mark.slow
@pytest.mark.parametrize("code", _blocks(lambda b: "train(" in b))
def test_training_example_reaches_the_stated_accuracy(code, capsys):
    exec(compile(code, "README.md", "exec"), {})
    accuracy = float(capsys.readouterr().out.strip().splitlines()[-1])
    assert accuracy >= 0.98
