"""Cells of notebooks/02_symbolic_proof.ipynb, read by notebooks/_make.py (which passes md, code and SETUP)."""

NAME = "02_symbolic_proof.ipynb"
CELLS = [
    md("""\
# 2. The symbolic proof

Numbers can only sample the claim "stacked equals delayed". Here both
networks are unrolled with **symbolic** weights (every entry its own SymPy
symbol, named after the PyTorch parameter it belongs to) and
**uninterpreted** activation functions `phi_1, phi_2, …`. If the two unrolled
outputs are the *same expression tree*, the identity holds for every weight
value and every activation at once. No `simplify` is involved: equality is
`==` on trees."""),
    code("""\
import textwrap

import sympy
from IPython.display import Math, display
from theory.symbolic import (assemble, build_case, check_identity, exact_check,
                             run_delayed, run_stacked, state_symbols, sweep,
                             uninterpreted)
sympy.init_printing(use_latex="mathjax")   # LaTeX output, typeset by MathJax"""),
    md("""\
## The assembled matrices are made of the stacked network's symbols

`assemble` fills the delayed network's matrices from the plan's placements —
the same list the NumPy code uses — so what is proved is the layout that runs."""),
    code("""\
plan, params, xs = build_case("elman", widths=[1, 1], steps=2, input_size=1)
mats = assemble(plan, params)
print(plan.summary())
mats["weight_hh"]"""),
    md("""\
## Unroll both networks and compare the trees

The output is a nested expression of a few hundred characters; it is printed
as wrapped text (typeset on one line it would be a hairline)."""),
    code("""\
acts = uninterpreted(len(plan.blocks))
h0 = state_symbols("h0", plan.widths)
s0 = [v for vec in h0 for v in vec]
delayed = run_delayed(plan, mats, xs, s0, None, acts)
stacked = run_stacked("elman", params, xs, h0, None, acts)
T, d = len(xs), plan.delay
top_delayed = delayed.h[T - 1 + d][-1]    # last block, read at step T-1+d
top_stacked = stacked[-1].h[T - 1][0]     # top layer at time T-1
print(textwrap.fill(str(top_delayed), 88))"""),
    code("""\
print("identical expression trees:", top_delayed == top_stacked)
print("tree size:", sympy.count_ops(top_delayed), "operations")"""),
    md("""\
## All three initial-state cases of Theorem 1

* `staggered`: block `l` is held at its (symbolic) initial state for `l - 1`
  steps — exact from any initial state (case c);
* `zero`: the delayed network starts from 0 and the stacked network starts
  from the delayed network's warm-up states, which contain no input symbol
  (case b);
* `zero-bias`: no biases and `f(0) = 0`; both start from 0 (case a)."""),
    code("""\
for start in ("staggered", "zero", "zero-bias"):
    chk = check_identity("elman", [2, 1, 3], 5, start=start)
    print(f"{start:>10}: equal = {chk.equal}, {chk.compared} expressions "
          f"compared in {chk.seconds:.2f} s")"""),
    md("## Every depth and length up to a bound, Elman and LSTM"),
    code("""\
import time
for cell, L, T in [("elman", 4, 5), ("lstm", 3, 3)]:
    t0 = time.perf_counter()
    results = sweep(cell, L, T)
    print(f"{cell}: {len(results)} cases (L <= {L}, T <= {T}, 3 start rules), "
          f"all identical: {all(r.equal for r in results)}  "
          f"[{time.perf_counter() - t0:.1f} s]")"""),
    md("""\
## Exact arithmetic

With relu or identity activations and rational weights, inputs and initial
states the two networks can be compared with zero tolerance."""),
    code("""\
compared, max_error = exact_check([2, 3, 1], 6, activation="relu")
print(f"{compared} values compared, largest difference exactly {max_error}")"""),
    md("""\
## Every depth at once: the induction, machine-checked

A sweep covers finitely many `(L, T)`. The induction of the theory chapter
covers all of them: block `l` at step `t` reads only its own previous state
and block `l - 1`'s previous state, which by the hypothesis are the stacked
states `h^l_{t-l}` and `h^{l-1}_{t-l+1}` — exactly what stacked layer `l`
consumes at time `t - l + 1`. `theory.induction` checks that step on a generic
window of blocks whose widths (`n_{l-1}`, `n_l`, and the total widths `m_<`,
`m_>` of everything before and after the window) and indices `l`, `t` are
SymPy *symbols*: one check for every depth, width and step."""),
    code("""\
from theory.induction import check_induction

report = check_induction(max_layers=32)
print(f"proved: {report.proved}   ({report.plans_checked} plans checked for the "
      f"window shape, {report.seconds:.2f} s)")
for fact in report.steps:
    verdict = "holds" if fact.holds else "fails (as expected)"
    print(f"  {'ok ' if fact.ok else 'BAD'} {fact.name:<45} {verdict}")"""),
    md("""\
The Elman step for a generic block `l >= 2`, delayed side (top) and stacked
side (bottom). SymPy writes the index `t - l` as `-l + t` and names the GRU
parameters `Wn_l`, `bhn_l`; `readable` rewrites both the way the notation
page does ($h^l_{t-l}$, $W^l_n$, $b^l_{hn}$) and puts each side on its own line."""),
    code("""\
import re

def readable(latex: str) -> str:
    latex = re.sub(r"_\\{-l \\+ t\\}", "_{t-l}", latex)
    latex = re.sub(r"_\\{-l \\+ t \\+ 1\\}", "_{t-l+1}", latex)
    latex = re.sub(r"\\b([WU])([rzn])_\\{l\\}", r"\\1^{l}_{\\2}", latex)
    latex = re.sub(r"\\bb(in|hn|r|z)_\\{l\\}", r"b^{l}_{\\1}", latex)
    for rel in (r"\\;=\\;", r"\\;\\neq\\;"):
        latex = latex.replace(rel, r"\\\\ &" + rel[2:-2] + " ")
    return r"\\begin{aligned} &" + latex + r"\\end{aligned}"

step = next(f for f in report.steps if f.name == "elman: step, block l >= 2")
display(Math(readable(step.latex())))       # typeset by MathJax"""),
    md("""\
And where the GRU breaks: the naive single layer puts the lower block's
contribution $W^l_n h^{l-1}_{t-l+1}$ *inside* the reset gate (top line);
the stacked GRU adds it outside (bottom line)."""),
    code("""\
gru = next(f for f in report.steps if f.name.startswith("gru (all reset)"))
display(Math(readable(gru.latex())))"""),
    md("""\
## Exercises

**Exercise N2.1.** In the $2 \\times 2$ matrix `mats["weight_hh"]` above
(widths 1, 1), how many entries are symbols and how many are structural
zeros? Which stacked parameter sits below the diagonal?

<details><summary>Solution N2.1</summary>

The diagonal holds the two recurrent weights, the entry below it the input
weight of layer 2 (`weight_ih_l1`); block 1 does not read block 2.

**Answer:** 3 symbols and 1 zero.
</details>"""),
    md("""\
**Exercise N2.2.** Is the GRU identity true for widths 1, 1 and a *single*
step? Predict, then run `check_identity("gru", [1, 1], 1).equal`.

<details><summary>Solution N2.2</summary>

Block 2 first reads block 1 at the second d-RNN step, inside the reset gate
of the single layer: one input step is already enough to differ (notebook 4).

**Answer:** `False`, the trees differ.
</details>"""),
    md("""\
**Exercise N2.3.** `exact_check([2, 3, 1], 6, activation="relu")` compares
values with zero tolerance: the outputs, then every state of every layer, at
every time step.
How many values does it compare? Predict before you run it.

<details><summary>Solution N2.3</summary>

Each time step has the 1 output value and $2 + 3 + 1 = 6$ state values (all
layers, not only the top one), and there are 6 steps.

**Answer:** 42 values.
</details>"""),
]
