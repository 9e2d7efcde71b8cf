"""The exercises of the theory chapters and of the notebooks: every printed answer is recomputed.

Solutions live in ``docs/theory/*.md`` (MyST ``{dropdown} Solution X.Y`` blocks, collapsed in the
rendered docs) and in the notebooks (HTML ``<details>`` blocks; notebook 00 numbers its exercises
0.5 on, notebooks 01–05 number theirs ``N1.1``, ``N2.1``, …).
A solution with a checkable answer has one line ``**Answer:** ...``; this file parses the numbers
(or the code name) printed there and compares them with what the toolkit computes, so a solution
that stops being right fails here. Only public entry points are used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from numerics import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.experiments.tasks import reversal_accuracy_bound
from numerics.models import delayed_gru
from theory.layout import relaxed_plan, stacked_plan
from theory.receptive import field_lookahead, lookahead, receptive_field
from theory.symbolic import assemble, build_case, check_identity, exact_check
from theory.topologies import topology_patterns

ROOT = Path(__file__).resolve().parents[1]
THEORY = ROOT / "docs" / "theory"
NOTEBOOK_DIR = ROOT / "notebooks"
#: Every notebook ends with exercises.
NOTEBOOKS = ("00_stacked_and_bidirectional", "01_block_matrix", "02_symbolic_proof",
             "03_receptive_fields", "04_lstm_holds_gru_breaks", "05_training_acausal",
             "06_bidirectional_to_streaming")
#: The course's own pages with exercises (docs/course/*.md), numbered on from the theory chapters.
COURSE = ROOT / "docs" / "course"
COURSE_PAGES = ("bidirectional",)

#: Every theory chapter ends with exercises (the index page is a table of contents).
CHAPTERS = ("lecture0", "notation", "theorem1", "cells", "acausality", "extensions")

_MD_SOLUTION = re.compile(r"^:::\{dropdown\} Solution (\d+\.\d+)\n(.*?)^:::$", re.M | re.S)
_HTML_SOLUTION = re.compile(r"<details><summary>Solution (N?\d+\.\d+)</summary>(.*?)</details>", re.S)
_EXERCISE = re.compile(r"\*\*Exercise (N?\d+\.\d+)[ .(]")
_NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?")


def _notebook_markdown(stem: str) -> str:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _sources() -> dict[str, str]:
    out = {name: (THEORY / f"{name}.md").read_text(encoding="utf-8") for name in CHAPTERS}
    out |= {f"course/{name}": (COURSE / f"{name}.md").read_text(encoding="utf-8") for name in COURSE_PAGES}
    for stem in NOTEBOOKS:
        out[f"notebook {stem[:2]}"] = _notebook_markdown(stem)
    return out


def _solutions() -> dict[str, tuple[str, str]]:
    """Exercise number -> (source name, solution text)."""
    found: dict[str, tuple[str, str]] = {}
    for name, text in _sources().items():
        pattern = _HTML_SOLUTION if name.startswith("notebook") else _MD_SOLUTION
        for number, body in pattern.findall(text):
            assert number not in found, f"solution {number} appears twice ({found[number][0]}, {name})"
            found[number] = (name, body)
    return found


def _answer(body: str) -> str:
    lines = [ln for ln in body.splitlines() if ln.startswith("**Answer:**")]
    return lines[0][len("**Answer:**"):].strip() if lines else ""


def _numbers(answer: str) -> list[float]:
    """Numbers printed in an answer line, outside inline math ($...$) and code (`...`)."""
    plain = re.sub(r"\$[^$]*\$|`[^`]*`", " ", answer)
    return [float(n.replace("−", "-")) for n in _NUMBER.findall(plain)]


def _decimals(answer: str) -> list[int]:
    plain = re.sub(r"\$[^$]*\$|`[^`]*`", " ", answer)
    return [len(n.split(".")[1]) if "." in n else 0 for n in _NUMBER.findall(plain)]


# ----------------------------------------------------------------- the toolkit's answers
def _width1_stacked(layers: list[tuple[float, float, float]], cell: str = "elman") -> StackedRNN:
    sd = {}
    for l, (w, u, b) in enumerate(layers):
        sd[f"weight_ih_l{l}"] = np.array([[w]])
        sd[f"weight_hh_l{l}"] = np.array([[u]])
        sd[f"bias_ih_l{l}"] = np.array([b])
        sd[f"bias_hh_l{l}"] = np.zeros(1)
    return StackedRNN.from_state_dict(sd, cell=cell)


#: Theorem 1's exercises: layers (W, U, b) of width 1.
_THEOREM1_LAYERS = [(1.0, 0.5, 0.3), (2.0, 0.5, 0.5), (1.0, -1.0, 0.2)]


def _n_params(net) -> int:
    return sum(a.size for a in net.state_dict().values())


def _changed_outputs(model, T: int, s: int) -> list[int]:
    """1-based output times that change when the input at 1-based time ``s`` changes."""
    x = np.random.default_rng(0).normal(size=(T, 2, 3))
    x2 = x.copy()
    x2[s - 1] += 1.0
    changed = np.abs(model(x2) - model(x)).max(axis=(1, 2)) > 0
    return [int(t) + 1 for t in np.nonzero(changed)[0]]


def _dense(delay: int, input_size: int = 3) -> object:
    return relaxed_plan("elman", input_size, [6], [[True]], [True], delay=delay)


def ex_0_1() -> list[float]:
    return [_n_params(BidirectionalRNN.random(3, [4, 4], seed=0))]


def ex_0_2() -> list[float]:
    out = _changed_outputs(DelayedRNN.random(_dense(4), seed=0), T=10, s=7)
    assert out == list(range(out[0], 11))
    return [out[0], out[-1]]


def ex_0_3() -> list[float]:
    T, fps = 400, 100
    bi = BidirectionalRNN.random(3, [2], seed=0)
    for n in (2, 5, 20):                  # the last input changes the first output, whatever the length
        assert _changed_outputs(bi, T=n, s=n)[0] == 1  # (over 400 tanh steps the change underflows)
    wait = T - 1                          # so the first tag waits for the last frame
    d = lookahead(_dense(5))
    return [wait, wait / fps, d, 1000 * d / fps]


def ex_0_5() -> list[float]:
    return [_n_params(BidirectionalRNN.random(3, [4], cell="lstm", seed=0))]


def ex_0_6() -> list[float]:
    out = _changed_outputs(DelayedRNN.random(_dense(2), seed=0), T=10, s=10)
    assert out == list(range(out[0], 11))
    return [out[0], out[-1]]


def ex_1_1() -> list[float]:
    d = StackedRNN.random(3, [4, 5, 2], seed=0).to_delayed()
    return [d.hidden_size, d.delay]


def ex_1_2() -> list[float]:
    net = DelayedRNN.random(_dense(3), seed=0)
    return [net.states(np.zeros((10, 1, 3))).shape[0]]


def ex_1_3() -> str:
    plan = stacked_plan("elman", 3, [4, 4, 4])
    (edge,) = [e for e in plan.recurrent if e.src == e.dst == 2]
    return f"`{edge.source}`"


def ex_2_1() -> list[float]:
    return [float(w[0]) for w in _width1_stacked(_THEOREM1_LAYERS[:2]).warmup_states()]


def ex_2_2() -> list[float]:
    return [float(_width1_stacked(_THEOREM1_LAYERS).warmup_states()[2][0])]


def ex_2_3() -> list[float]:
    net = _width1_stacked(_THEOREM1_LAYERS[:2])
    x = np.ones((1, 1, 1))
    return [float((net(x) - net.to_delayed("zero")(x))[0, 0, 0])]


def ex_3_1() -> list[float]:
    sd = {}
    for l in range(2):
        sd[f"weight_ih_l{l}"] = np.array([[0.0], [0.0], [1.0]])     # gates r, z, n: only W_n = 1
        sd[f"weight_hh_l{l}"] = np.zeros((3, 1))
        sd[f"bias_ih_l{l}"] = np.zeros(3)
        sd[f"bias_hh_l{l}"] = np.zeros(3)
    stacked = StackedRNN.from_state_dict(sd, cell="gru")
    w_ih = np.zeros((6, 1))
    w_ih[4, 0] = 1.0                     # candidate rows 4, 5; block 1 reads x
    w_hh = np.zeros((6, 2))
    w_hh[5, 0] = 1.0                     # block 2's candidate reads block 1 (inside the reset gate)
    delayed = DelayedRNN.from_weights(w_ih, w_hh, np.zeros(6), np.zeros(6), delay=1, cell="gru",
                                widths=[1, 1], hold=[0, 1])
    x = np.ones((1, 1, 1))
    return [float(stacked(x)[0, 0, 0]), float(delayed(x)[0, 0, 0])]


def ex_3_2() -> list[float]:
    hs, cs = StackedRNN.random(2, [3, 3, 3], cell="lstm", bias=False, seed=0).warmup_states()
    values = np.concatenate([*hs, *cs])
    assert values.size == 18
    return [float(np.abs(values).max())]


def _chain(skip: bool, input_into_last: bool):
    mask = np.eye(3, dtype=bool)
    mask[1, 0] = mask[2, 1] = True
    mask[2, 0] = skip
    return relaxed_plan("elman", 2, [2, 2, 2], mask, np.array([True, False, input_into_last]), delay=2)


def _checked_lookahead(plan) -> int:
    value = lookahead(plan)
    assert value == field_lookahead(receptive_field(plan, 12)), "closed form and receptive field disagree"
    return value


def ex_4_1() -> list[float]:
    return [_checked_lookahead(_chain(skip=True, input_into_last=False))]


def ex_4_2() -> list[float]:
    return [_checked_lookahead(_chain(skip=False, input_into_last=True))]


def ex_4_3() -> list[float]:
    lags = [b.lag for b in _chain(skip=False, input_into_last=False).blocks]
    return [1 + lags[2] - lags[0]]


def ex_4_4() -> list[float]:
    T = 8
    for d in range(T):
        field = receptive_field(_dense(d, input_size=4), T)
        if all(field[t, T - 1 - t] for t in range(T)):      # 0-based: y_t needs x_{T-1-t}
            return [d]
    raise AssertionError("no delay below T lets every output see its symbol")


def ex_5_1() -> list[float]:
    lags = [b.lag for b in stacked_plan("elman", 3, [4, 4, 4, 4]).blocks]
    # the reader (layer 4) needs the source (layer 1) lag difference steps later; a direct edge gives 1
    return [lags[3] - lags[0] - 1]


def ex_5_2() -> list[float]:
    h = 3
    return [2 * h, h + 1]


def ex_5_3() -> list[float]:
    rho, h = 0.5, 3
    return [rho ** (h + 1)]


def ex_5_4() -> list[float]:
    net = StackedRNN.random(3, [2, 2, 2, 2], seed=0)
    T = 100
    steps = net.to_delayed().states(np.zeros((T, 1, 3))).shape[0]
    return [steps, net.num_layers * T]


# ----------------------------------------------------------------- notebooks 01-05
def ex_N1_1() -> list[float]:
    w = StackedRNN.random(3, [4, 5, 2], activations="tanh", seed=0).to_delayed().params.weight_hh
    return [np.count_nonzero(w), w.size]


def ex_N1_2() -> list[float]:
    steps, _, width = StackedRNN.random(3, [4, 5, 2], seed=0).to_delayed().states(np.zeros((12, 1, 3))).shape
    return [steps, width]


def ex_N1_3() -> list[float]:
    warm = StackedRNN.random(3, [4, 5, 2], bias=False, seed=0).warmup_states()
    return [max(float(np.abs(w).max()) for w in warm)]


def ex_N2_1() -> list[float]:
    plan, params, _ = build_case("elman", widths=[1, 1], steps=2, input_size=1)
    w = assemble(plan, params)["weight_hh"]
    return [sum(1 for e in w if e != 0), sum(1 for e in w if e == 0)]


def ex_N2_2() -> str:
    return f"`{check_identity('gru', [1, 1], 1).equal}`"


def ex_N2_3() -> list[float]:
    return [exact_check([2, 3, 1], 6, activation="relu")[0]]


def _notebook3_mine():
    rm = np.eye(4, dtype=bool) | np.eye(4, k=-1, dtype=bool)
    rm[3, 0] = rm[0, 3] = True
    return relaxed_plan("elman", 1, [2] * 4, rm, np.array([True, False, False, False]), delay=3)


def _skip_pattern(distance: int):
    rm = np.eye(4, dtype=bool) | np.eye(4, k=-1, dtype=bool) | np.eye(4, k=-distance, dtype=bool)
    return relaxed_plan("elman", 1, [2] * 4, rm, np.eye(4, dtype=bool)[0], delay=3)


def ex_N3_1() -> list[float]:
    return [_checked_lookahead(_notebook3_mine())]


def ex_N3_2() -> list[float]:
    (distance,) = [k for k in (2, 3) if _checked_lookahead(_skip_pattern(k)) == 1]
    return [distance]


def ex_N3_3() -> list[float]:
    return [int(receptive_field(topology_patterns(L=4, width=2)["dense"], 10)[0].sum())]


def ex_N4_1() -> list[float]:
    lstm = StackedRNN.random(2, [3, 4, 2], cell="lstm", seed=0)
    p = lstm.to_delayed(start="staggered").params
    stored = p.weight_ih.size + p.weight_hh.size + p.bias_ih.size + p.bias_hh.size
    return [stored, _n_params(lstm)]


def ex_N4_2() -> list[float]:
    gru = StackedRNN.random(2, [3, 3], cell="gru", seed=0, scale=1.0)
    x = np.random.default_rng(1).normal(size=(8, 1, 2))
    per_step = np.abs(gru(x) - delayed_gru(gru, "full")(x)).max(axis=(1, 2))
    return [int(np.nonzero(per_step > 1e-12)[0][0]) + 1]


def ex_N5_1() -> list[float]:
    return [reversal_accuracy_bound(4, 6, 0)]


def ex_N5_2() -> list[float]:
    return [min(d for d in range(6) if reversal_accuracy_bound(4, 6, d) == 1.0)]


def ex_N5_3() -> list[float]:
    return [_n_params(BidirectionalRNN.random(4, [16], cell="lstm", seed=0)),
            _n_params(StackedRNN.random(4, [24], cell="lstm", seed=0))]


def _streaming(widths: list[int], horizon: int | list[int], input_size: int = 1) -> object:
    from numerics.experiments.bidirectional import as_topology_net
    from numerics.models.topology import streaming

    return streaming(as_topology_net(BidirectionalRNN.random(input_size, widths, bias=False)), horizon)[0]


def ex_N6_1() -> list[float]:
    return [_streaming([16], 3, input_size=2).units]


def ex_N6_2() -> list[float]:
    # A dense d-RNN with delay 3 looks 3 ahead; the conversion at h = 3 has latency (delay) 6.
    return [_dense(3).delay, lookahead(_dense(3)), _streaming([4], 3).delay]


def ex_7_1() -> list[float]:
    return [_streaming([3], 4).delay, 4]


def ex_7_2() -> list[float]:
    return [_streaming([3, 3], [2, 3]).delay]


def ex_7_3() -> list[float]:
    from numerics.models.topology import truncation_bound

    # truncation_bound(...)[0] is the bound at t = 1, away from the end for T = 100.
    return [min(h for h in range(40) if truncation_bound(0.5, 16, h, 100)[0] <= 1e-3)]


CHECKS: dict[str, Callable[[], list[float] | str]] = {
    name[3:].replace("_", "."): fn for name, fn in globals().items() if name.startswith("ex_")
}


# ----------------------------------------------------------------- the tests
def test_every_chapter_has_exercises_each_with_a_solution() -> None:
    solutions = _solutions()
    for name, text in _sources().items():
        exercises = _EXERCISE.findall(text)
        assert exercises, f"{name} has no exercises"
        for number in exercises:
            assert number in solutions and solutions[number][0] == name, \
                f"exercise {number} in {name} has no solution there"


def test_every_printed_answer_is_checked() -> None:
    with_answer = {n for n, (_, body) in _solutions().items() if _answer(body)}
    assert with_answer == set(CHECKS), (
        f"answers without a check: {sorted(with_answer - set(CHECKS))}; "
        f"checks without an answer: {sorted(set(CHECKS) - with_answer)}"
    )


@pytest.mark.parametrize("number", sorted(CHECKS))
def test_printed_answer_is_right(number: str) -> None:
    source, body = _solutions()[number]
    answer = _answer(body)
    expected = CHECKS[number]()
    if isinstance(expected, str):
        assert expected in answer, f"solution {number} ({source}) prints {answer!r}; the toolkit gives {expected}"
        return
    printed = _numbers(answer)
    assert len(printed) == len(expected), \
        f"solution {number} ({source}) prints {printed}; the toolkit gives {len(expected)} numbers {expected}"
    for p, e, dec in zip(printed, expected, _decimals(answer)):
        tol = 0.5 * 10.0 ** (-dec) + 1e-12
        assert abs(p - e) <= tol, f"solution {number} ({source}) prints {p}; the toolkit gives {e}"


def test_the_solutions_are_collapsed_in_the_docs() -> None:
    """Solutions are dropdowns (sphinx-design) or <details>, never plain text after the exercise."""
    for name, text in _sources().items():
        plain = text
        for pattern in (_MD_SOLUTION, _HTML_SOLUTION):
            plain = pattern.sub("", plain)
        assert "**Answer:**" not in plain, f"{name} shows an answer outside a collapsed solution"


def test_lecture0_code_runs_and_matches_the_toolkit() -> None:
    """The from-scratch NumPy of Lecture 0 is executed; its asserts compare with the toolkit."""
    text = (THEORY / "lecture0.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"^```python\n(.*?)^```$", text, re.M | re.S))
    assert "def bidirectional" in code and "def stacked" in code
    namespace: dict = {}
    exec(compile(code, str(THEORY / "lecture0.md"), "exec"), namespace)
    assert namespace["mine"].shape == (10, 2, 10)
