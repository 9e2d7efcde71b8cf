"""The contract every schedule of the registry keeps, checked against the dense schedule.

Each schedule named by :func:`numerics.engine.registry.schedule_names` that
can run a network (:meth:`numerics.models.delayed.DelayedRNN.schedules`)
must give the dense schedule's outputs, final states and gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
from schedule_nets import masked_net as _net
from schedule_nets import random_inputs as _inputs
from schedule_nets import run_grads as _grads

from numerics.engine.registry import schedule_names

TOL = {np.float64: (1e-9, 1e-11), np.float32: (3e-4, 3e-5)}


def _assert_same(a, b, rtol: float, atol: float, what: str) -> None:
    ya, dxa, ga, dha = a
    yb, dxb, gb, dhb = b
    np.testing.assert_allclose(yb, ya, rtol=rtol, atol=atol, err_msg=f"{what}: outputs")
    np.testing.assert_allclose(dxb, dxa, rtol=rtol, atol=atol, err_msg=f"{what}: dx")
    for k in ga:
        np.testing.assert_allclose(gb[k], ga[k], rtol=rtol, atol=atol, err_msg=f"{what}: d{k}")
    for u, v in zip(np.atleast_1d(dha) if not isinstance(dha, tuple) else dha,
                    np.atleast_1d(dhb) if not isinstance(dhb, tuple) else dhb):
        np.testing.assert_allclose(v, u, rtol=rtol, atol=atol, err_msg=f"{what}: initial-state gradient")


CASES = [(cell, kind) for cell in ("elman", "lstm", "gru") for kind in ("stacked", "skip", "cyclic")]


@pytest.mark.parametrize(("cell", "kind"), CASES)
def test_in_place_parameter_edits_reach_every_schedule(cell: str, kind: str) -> None:
    """A notebook's ``net.params.weight_hh *= 0.5`` is seen by every schedule, including ones that ran before."""
    net = _net(cell, kind)
    x, h0, dy = _inputs(net, T=5, B=2)
    names = net.schedules()
    assert len(names) >= 2, names
    for name in names:                      # every schedule runs once, so whatever it keeps is built
        _grads(net, name, x, h0, dy)
    arrays = net.params.arrays()
    for k, edit in (("weight_hh", 0.5), ("weight_ih", -1.5), ("bias_ih", 0.25), ("bias_hh", 2.0)):
        a = arrays[k]
        if k.startswith("bias"):
            a += edit                       # in place: the network object is the same
        else:
            a *= edit
        ref = _grads(net, "dense", x, h0, dy)
        for name in names:
            _assert_same(ref, _grads(net, name, x, h0, dy), *TOL[np.float64], f"{name} after {k} edit")


CONTRACT = [
    pytest.param(cell, kind, reset, holds, dtype, T, B, id=f"{cell}-{kind}-{reset}-h{''.join(map(str, holds))}-"
                 f"{np.dtype(dtype).name}-T{T}-B{B}")
    for cell, kind, reset, holds, dtype, T, B in [
        ("elman", "stacked", "own", (0, 0, 0), np.float64, 5, 2),
        ("elman", "skip", "own", (0, 2, 1), np.float32, 4, 1),
        ("elman", "cyclic", "own", (1, 0, 0), np.float64, 0, 2),
        ("lstm", "stacked", "own", (0, 1, 2), np.float64, 5, 1),
        ("lstm", "skip", "own", (0, 0, 0), np.float32, 5, 3),
        ("lstm", "cyclic", "own", (0, 0, 3), np.float64, 3, 2),
        ("lstm", "stacked", "own", (0, 0, 0), np.float64, 0, 1),
        ("gru", "stacked", "own", (0, 1, 0), np.float64, 5, 2),
        ("gru", "stacked", "full", (0, 0, 0), np.float64, 4, 1),
        ("gru", "skip", "full", (2, 0, 0), np.float32, 5, 2),
        ("gru", "cyclic", "own", (0, 0, 0), np.float64, 3, 1),
        ("gru", "cyclic", "full", (0, 1, 1), np.float64, 0, 2),
    ]
]


@pytest.mark.parametrize(("cell", "kind", "reset", "holds", "dtype", "T", "B"), CONTRACT)
def test_every_schedule_keeps_the_contract(cell: str, kind: str, reset: str, holds: tuple[int, ...], dtype: type,
                                           T: int, B: int) -> None:
    """Outputs, all states, final states and every gradient (with a final-state gradient) equal dense's."""
    net = _net(cell, kind, reset=reset, holds=holds, dtype=dtype)
    x, h0, dy = _inputs(net, T, B)
    rng = np.random.default_rng(7)
    fin = rng.standard_normal((B, net.hidden_size)).astype(dtype)
    fin = (fin, rng.standard_normal((B, net.hidden_size)).astype(dtype)) if cell == "lstm" else fin
    rtol, atol = TOL[dtype]
    names = net.schedules()
    assert names[0] == "dense" and set(names) <= set(schedule_names())
    if kind == "stacked" and (cell != "gru" or reset == "own"):
        assert {"wavefront", "layers"} <= set(names)
    if kind != "cyclic":
        assert "blocks" in names
    ref = None
    for name in names:
        y, cache = net.forward(x, h0, engine=name)
        assert cache.schedule == name and y.dtype == np.dtype(dtype)
        assert y.shape == (T, B, net.output_size)
        dx, g, dh = net.backward(cache, dy, dh_final=fin, return_state_grads=True)
        got = (y, net.states(x, h0, engine=name), net(x, h0, engine=name), dx, g.params.arrays(), dh)
        assert all(a.dtype == np.dtype(dtype) for a in g.params.arrays().values())
        if ref is None:
            ref = got
            continue
        for k, (a, b) in enumerate(zip(got[:4], ref[:4])):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{name}: output {k}")
        for k in ref[4]:
            np.testing.assert_allclose(got[4][k], ref[4][k], rtol=rtol, atol=atol, err_msg=f"{name}: d{k}")
        for a, b in zip(got[5] if cell == "lstm" else (got[5],), ref[5] if cell == "lstm" else (ref[5],)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{name}: initial-state gradient")


def test_an_alias_runs_its_schedule_and_unknown_names_fail() -> None:
    net = _net("elman", "stacked")
    x, h0, _ = _inputs(net, 3, 1)
    _, cache = net.forward(x, h0, engine="blocked")
    assert cache.schedule == "wavefront" and net.engine("blocked") == "wavefront"
    with pytest.raises(ValueError, match="engine must be one of"):
        net.forward(x, h0, engine="fastest")


def test_the_model_imports_no_schedule_module_and_the_engine_has_no_import_circle() -> None:
    """``models/delayed.py`` reaches the schedules through the registry only; engine imports point one way."""
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    engine = root / "numerics" / "engine"

    def imports(path: pathlib.Path) -> set[str]:
        out = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                out.add(node.module)
                out |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                out |= {a.name for a in node.names}
        return out

    schedule_modules = {"numerics.engine." + m for m in ("dense", "wavefront", "layerorder", "sparse", "blockorder",
                                                          "layer")}
    assert not imports(root / "numerics" / "models" / "delayed.py") & schedule_modules
    mods = {f"numerics.engine.{p.stem}": p for p in engine.glob("*.py") if p.stem != "__init__"}
    graph = {m: {i for i in imports(p) if i in mods and i != m} for m, p in mods.items()}
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            assert state.get(n) != 1, f"import circle: {' -> '.join([*path, m, n])}"
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])
