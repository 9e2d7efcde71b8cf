"""LaTeX of a plan: block matrices with the stacked weights as named blocks, and the unrolled equations.

Everything is generated from the :class:`~theory.layout.Plan` — the same
data the NumPy and SymPy assemblies use — so a slide shows the construction
the code runs. Display names are 1-based as in the paper: stacked parameter
``weight_ih_l0`` is ``W_1``, ``weight_hh_l0`` is ``U_1``, block 0 is
``s^{1}``. Free (trainable, no stacked source) blocks of a relaxed plan are
``A_{lk}``; structural zeros are ``0``.

``Plan``, ``StackedRNN`` and ``DelayedRNN`` render themselves in Jupyter
through :func:`plan_latex` / :func:`plan_html` / :func:`stacked_latex`.
"""

from __future__ import annotations

import html
import re

from theory.layout import Plan

#: Gate names per cell (PyTorch order), used as superscripts.
GATE_NAMES: dict[str, tuple[str, ...]] = {"elman": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}

_ACT_TEX = {"tanh": r"\tanh", "relu": r"\operatorname{relu}", "identity": r"\operatorname{id}",
            "sigmoid": r"\sigma", None: r"\varphi"}


def _check_plan(plan: object) -> Plan:
    if not isinstance(plan, Plan):
        raise TypeError(f"plan must be a theory.layout.Plan; got {type(plan).__name__}")
    return plan


def param_symbol(source: str, gate: str = "") -> str:
    """LaTeX name of a stacked parameter: ``weight_ih_l1`` → ``W_{2}``, with a gate superscript if given.

    Raises
    ------
    ValueError
        If ``source`` is not a PyTorch-style ``{weight,bias}_{ih,hh}_l{k}`` name.
    """
    m = re.fullmatch(r"(weight|bias)_(ih|hh)_l(\d+)(_reverse)?", source)
    if m is None:
        raise ValueError(f"source must look like 'weight_ih_l0' or 'bias_hh_l2'; got {source!r}")
    kind, which, layer, rev = m.groups()
    base = {"weight": {"ih": "W", "hh": "U"}, "bias": {"ih": "b", "hh": r"\bar b"}}[kind][which]
    sup = ",".join(p for p in (gate, "r" if rev else "") if p)
    return f"{base}^{{({sup})}}_{{{int(layer) + 1}}}" if sup else f"{base}_{{{int(layer) + 1}}}"


def _gate(plan: Plan, gate: str | None) -> str:
    if gate is None:
        return ""
    names = GATE_NAMES[plan.cell]
    if gate not in names:
        raise ValueError(f"gate must be one of {list(names)} for cell={plan.cell!r}; got {gate!r}")
    return gate


def block_matrix(plan: Plan, matrix: str = "weight_hh", gate: str | None = None) -> str:
    """The block pattern of ``weight_hh`` (``L × L`` blocks) or ``weight_ih`` (``L × 1``) as a ``bmatrix``.

    Parameters
    ----------
    plan : Plan
    matrix : {"weight_hh", "weight_ih"}
    gate : str, optional
        For gated cells, the gate whose rows are shown (``"i"``, ``"f"``, …);
        by default the pattern without gate superscripts (every gate has it).

    Returns
    -------
    str
        ``\\begin{bmatrix} … \\end{bmatrix}``; entry ``[l, k]`` names the
        stacked parameter copied there, ``A_{lk}`` for a free block, ``0`` otherwise.
    """
    plan = _check_plan(plan)
    g = _gate(plan, gate)
    L = len(plan.blocks)
    if matrix == "weight_hh":
        cells = [["0"] * L for _ in range(L)]
        for e in plan.recurrent:
            cells[e.dst][e.src] = param_symbol(e.source, g) if e.source else f"A_{{{e.dst + 1}{e.src + 1}}}"
    elif matrix == "weight_ih":
        cells = [["0"] for _ in range(L)]
        for e in plan.inputs:
            cells[e.dst][0] = param_symbol(e.source, g) if e.source else f"B_{{{e.dst + 1}}}"
    else:
        raise ValueError(f"matrix must be 'weight_hh' or 'weight_ih'; got {matrix!r}")
    rows = r" \\ ".join(" & ".join(r) for r in cells)
    return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"


def bias_vector(plan: Plan, gate: str | None = None) -> str:
    """The assembled bias ``b̂ = [b_1 + b̄_1; …]`` as a one-column ``bmatrix`` (``0`` rows for free blocks)."""
    plan = _check_plan(plan)
    g = _gate(plan, gate)
    rows = []
    for l, b in enumerate(plan.blocks):
        if not plan.bias:
            rows.append("0")
        elif b.layer is None:
            rows.append(rf"c_{{{l + 1}}}")
        else:
            rows.append(param_symbol(f"bias_ih_l{b.layer}", g) + " + " + param_symbol(f"bias_hh_l{b.layer}", g))
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


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
        terms.append(param_symbol(f"bias_ih_l{b.layer}", gate) + " + " + param_symbol(f"bias_hh_l{b.layer}", gate))
    elif plan.bias:
        terms.append(rf"c_{{{l + 1}}}")
    return " + ".join(terms) or "0"


def unrolled_equations(plan: Plan) -> str:
    """The delayed network's update written block by block, as an ``aligned`` environment.

    One line per block (per gate for LSTM/GRU), the hold schedule, the
    padded input ``x̃`` and the delayed read-out.
    """
    plan = _check_plan(plan)
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
    plan = _check_plan(plan)
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


def plan_latex(plan: Plan) -> str:
    """Display math for a plan: ``Û``, ``Ŵ``, ``b̂`` and the delay (for ``_repr_latex_``)."""
    plan = _check_plan(plan)
    gates = "" if plan.cell == "elman" else r"\quad \text{(each gate)}"
    return (rf"$$\hat U = {block_matrix(plan)}, \quad \hat W = {block_matrix(plan, 'weight_ih')}, \quad "
            rf"\hat b = {bias_vector(plan)}, \quad d = {plan.delay}{gates}$$")


def stacked_latex(plan: Plan) -> str:
    """Display math for a stacked network: its equations and the block matrices of its construction."""
    return rf"$${stacked_equations(plan)}$$" + "\n" + plan_latex(plan)


def plan_html(plan: Plan) -> str:
    """An HTML summary table of the blocks and edges, followed by the block matrices (MathJax)."""
    plan = _check_plan(plan)
    head = html.escape(plan.description or f"delayed {plan.cell} plan")
    rows = "".join(
        f"<tr><td>{i + 1}</td><td>{html.escape(b.name)}</td><td>{b.width}</td><td>{html.escape(str(b.activation))}"
        f"</td><td>{b.lag}</td><td>{b.hold}</td><td>{'' if b.layer is None else b.layer + 1}</td></tr>"
        for i, b in enumerate(plan.blocks))
    table = ("<table><thead><tr><th>block</th><th>name</th><th>width</th><th>activation</th><th>lag</th>"
             f"<th>hold</th><th>layer</th></tr></thead><tbody>{rows}</tbody></table>")
    return (f"<div><p><b>{head}</b>: {len(plan.blocks)} blocks, N = {plan.hidden_size}, input "
            f"{plan.input_size}, delay {plan.delay}</p>{table}<p>{html.escape(plan_latex(plan))}</p></div>")
