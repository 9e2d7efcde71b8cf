"""The scratch pool's reference-count rule, checked on the interpreter that runs it (issue 22, item 6).

``sys.getrefcount`` is a CPython detail, so the pool checks its rule at import
(:func:`numerics.engine._workspace.refcount_rule_holds`) and turns itself off
where it fails. CI runs this file (in the fast suite) on every supported Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numerics.engine import _workspace as workspace
from numerics.models import StackedRNN

ROOT = str(Path(__file__).resolve().parents[2])


def test_the_rule_holds_and_the_pool_is_on_for_every_supported_cpython():
    assert sys.implementation.name == "cpython" and (3, 10) <= sys.version_info[:2] <= (3, 13)
    assert workspace.refcount_rule_holds()
    assert workspace.ENABLED == (os.environ.get("DRNN_WORKSPACE", "1") != "0")


@pytest.mark.parametrize("free_refs", [2, 4, 5])
def test_the_self_check_catches_a_wrong_reference_count(monkeypatch, free_refs):
    # 4 or 5 would hand out buffers that are still in use, 2 would never reuse one.
    monkeypatch.setattr(workspace, "_FREE_REFS", free_refs)
    assert not workspace.refcount_rule_holds()


def test_the_self_check_leaves_the_pool_as_it_was():
    a = workspace.take("test.keep", (4,), np.float64)
    before = {k: [id(b) for b in v] for k, v in workspace._pool().items()}
    assert workspace.refcount_rule_holds()
    assert {k: [id(b) for b in v] for k, v in workspace._pool().items()} == before
    del a


def test_the_pool_turns_itself_off_where_the_rule_cannot_be_shown():
    # An interpreter without sys.getrefcount stands for one whose counts cannot be trusted.
    code = ("import sys, numpy; del sys.getrefcount; "
            "from numerics.engine import _workspace as w; "
            "a = w.take('x', (4,), 'f8'); print(w.ENABLED, w.pooled_bytes())")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert proc.stdout.split() == ["False", "0"], proc.stderr[-800:]


def test_outputs_and_caches_survive_later_calls_on_this_interpreter():
    # The safety property the rule exists for, on every model kind that uses the pool.
    rng = np.random.default_rng(0)
    net = StackedRNN.random(3, [4, 5], cell="lstm", seed=0)
    for model in (net, net.to_delayed()):
        x1, x2 = rng.standard_normal((6, 2, 3)), rng.standard_normal((6, 2, 3))
        y1, c1 = model.forward(x1)
        kept, view = y1.copy(), y1[2:]
        g1 = model.backward(c1, np.ones_like(y1))[1].state_dict()
        y1_again, c1_again = model.forward(x1)
        for _ in range(3):
            model.forward(x2)
        np.testing.assert_array_equal(y1, kept)
        np.testing.assert_array_equal(view, kept[2:])
        g_again = model.backward(c1_again, np.ones_like(y1_again))[1].state_dict()
        for k, v in g1.items():
            np.testing.assert_array_equal(g_again[k], v)
