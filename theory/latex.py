"""LaTeX of a plan: block matrices with the stacked weights as named blocks, and the unrolled equations.

Everything is generated from the :class:`~theory.layout.Plan` — the same
data the NumPy and SymPy assemblies use — so a slide shows the construction
the code runs. Display names are 1-based as in the paper: stacked parameter
``weight_ih_l0`` is ``W_1``, ``weight_hh_l0`` is ``U_1``, block 0 is
``s^{1}``. Free (trainable, no stacked source) blocks of a relaxed plan are
``A_{lk}``; structural zeros are ``0``.

The block matrices (:func:`block_matrix`, :func:`bias_vector`,
:func:`plan_latex`, :func:`plan_html`) are defined in :mod:`theory.layout`,
beside :class:`~theory.layout.Plan`, whose Jupyter display shows them, and are
re-exported here; this module adds the equations (:func:`unrolled_equations`,
:func:`stacked_equations`, :func:`stacked_latex`). The dependency points one
way: this module imports :mod:`theory.layout`, never the reverse.
"""

from __future__ import annotations

from theory.layout import (
    GATE_NAMES,
    Plan,
    bias_symbol,
    bias_vector,
    block_matrix,
    check_plan,
    param_symbol,
    plan_html,
    plan_latex,
)

__all__ = [
    "GATE_NAMES",
    "bias_symbol",
    "bias_vector",
    "block_matrix",
    "param_symbol",
    "plan_html",
    "plan_latex",
    "stacked_equations",
    "stacked_latex",
    "unrolled_equations",
]

_ACT_TEX = {"tanh": r"\tanh", "relu": r"\operatorname{relu}", "identity": r"\operatorname{id}",
            "sigmoid": r"\sigma", None: r"\varphi"}


def _block_sum(plan: Plan, l: int, gate: str) -> str:
    terms = []
    for e in plan.inputs:
        if e.dst == l:
            w = param_symbol(e.source, gate) if e.source else f"B_{{{l + 1}}}"
            terms.append(rf"{w}\,\tilde x_t")
    for e in plan.recurrent:
        if e.dst == l:
            w = param_symbol(e.source, gate) if e.source else f"A_{{{l + 1}{e.src + 1}}}"
            terms.append(rf"{w}\,s^{{{e.src + 1}}}_{{t-1}}")
    b = plan.blocks[l]
    if plan.bias and b.layer is not None:
        terms.append(bias_symbol(b.layer, gate))
    elif plan.bias:
        terms.append(rf"c_{{{l + 1}}}")
    return " + ".join(terms) or "0"


def unrolled_equations(plan: Plan) -> str:
    """The delayed network's update written block by block, as an ``aligned`` environment.

    One line per block (per gate for LSTM/GRU), the hold schedule, the
    padded input ``x̃`` and the delayed read-out.
    """
    plan = check_plan(plan)
    lines = []
    for l, b in enumerate(plan.blocks):
        k = l + 1
        hold = rf"\quad (t > {b.hold};\ s^{{{k}}}_t = s^{{{k}}}_0 \text{{ for }} t \le {b.hold})" if b.hold else ""
        if plan.cell == "elman":
            lines.append(rf"s^{{{k}}}_t &= {_ACT_TEX[b.activation]}\bigl({_block_sum(plan, l, '')}\bigr){hold}")
        else:
            for g in GATE_NAMES[plan.cell]:
                if plan.cell == "gru" and g == "n":
                    continue
                lines.append(rf"a^{{({g}),{k}}}_t &= {_block_sum(plan, l, g)}")
            if plan.cell == "lstm":
                lines.append(rf"c^{{{k}}}_t &= \sigma(a^{{(f),{k}}}_t) \odot c^{{{k}}}_{{t-1}} + "
                             rf"\sigma(a^{{(i),{k}}}_t) \odot \tanh(a^{{(g),{k}}}_t)")
                lines.append(rf"s^{{{k}}}_t &= \sigma(a^{{(o),{k}}}_t) \odot \tanh(c^{{{k}}}_t){hold}")
            else:
                lines.append(rf"n^{{{k}}}_t &= \tanh\bigl(\ldots + \sigma(a^{{(r),{k}}}_t) \odot "
                             rf"(\text{{recurrent part of }} a^{{(n),{k}}}_t)\bigr), \quad "
                             rf"a^{{(n),{k}}}_t = {_block_sum(plan, l, 'n')}")
                lines.append(rf"s^{{{k}}}_t &= (1 - \sigma(a^{{(z),{k}}}_t)) \odot n^{{{k}}}_t + "
                             rf"\sigma(a^{{(z),{k}}}_t) \odot s^{{{k}}}_{{t-1}}{hold}")
    lines.append(r"\tilde x_t &= x_t \ (t \le T), \quad \tilde x_t = 0 \ (T < t \le T + " + str(plan.delay) + ")")
    out = ", ".join(rf"s^{{{r + 1}}}_{{t+{plan.delay}}}" for r in plan.readout)
    lines.append(rf"y_t &= \bigl[{out}\bigr]")
    return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"


def stacked_equations(plan: Plan) -> str:
    """The stacked network a Theorem 1 plan was built from (``h^l_t = φ_l(W_l h^{l-1}_t + U_l h^l_{t-1} + b_l)``).

    Raises
    ------
    ValueError
        If a block has no stacked layer (a relaxed plan).
    """
    plan = check_plan(plan)
    lines = []
    for b in plan.blocks:
        if b.layer is None:
            raise ValueError(f"plan block {b.name!r} has no stacked layer; stacked_equations needs a stacked plan")
        k = b.layer + 1
        below = r"x_t" if b.layer == 0 else rf"h^{{{k - 1}}}_t"
        if plan.cell == "elman":
            act = _ACT_TEX[b.activation]
            bias = rf" + b_{{{k}}}" if plan.bias else ""
            lines.append(rf"h^{{{k}}}_t &= {act}\bigl(W_{{{k}}} {below} + U_{{{k}}} h^{{{k}}}_{{t-1}}{bias}\bigr)")
        else:
            lines.append(rf"h^{{{k}}}_t &= \operatorname{{{plan.cell.upper()}}}_{{{k}}}\bigl({below},\ "
                         rf"h^{{{k}}}_{{t-1}}\bigr)")
    lines.append(rf"y_t &= h^{{{len(plan.blocks)}}}_t")
    return r"\begin{aligned} " + r" \\ ".join(lines) + r" \end{aligned}"


def stacked_latex(plan: Plan) -> str:
    """Display math for a stacked network: its equations and the block matrices of its construction."""
    return rf"$${stacked_equations(plan)}$$" + "\n" + plan_latex(plan)
