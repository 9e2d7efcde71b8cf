"""Exact structural receptive fields and look-ahead of a delayed network's plan (docs/theory/acausality.md).

The unrolled graph of a plan has a node ``(block k, step τ)`` for each block
and each of the ``T + d`` steps. Node ``(l, τ)`` depends on

* ``(k, τ-1)`` for each recurrent edge ``k → l`` (and on ``(l, τ-1)``
  itself for LSTM and GRU, whose cell update always reads the block's own
  previous state),
* the input ``x_τ`` if the input feeds block ``l`` and ``τ < T`` (the ``d``
  padding steps are zeros and carry no input),

unless block ``l`` is *held* at step ``τ < hold[l]``: then it still has its
initial state, which depends on no input. The output for time ``t`` is the
read-out blocks at step ``t + d``. Input ``x_s`` can influence output ``y_t``
exactly when a path joins them; this is the structural receptive field.
Structural zeros are exact zeros of the Jacobian ``∂y_t/∂x_s``; structural
non-zeros are non-zero for generic weights.

Every recurrent edge advances one step, so a path from ``x_s`` to the
read-out at step ``t + d`` has ``t + d - s`` edges: the look-ahead
``max(s - t)`` is ``d - m`` where ``m`` is the length of the shortest path
from an input-fed block to a read-out block (:func:`lookahead`). In the lag
bookkeeping of §5 (:func:`lookahead_from_lags`) the same number is
``max over paths of  λ_first - Σ shift + (d - λ_readout)``: each edge
``k → l`` carries shift ``1 + λ_k - λ_l``, and the shifts telescope to
``m + λ_first - λ_readout``.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from theory._checks import check_allocation, check_count
from theory.layout import Plan, check_plan


def dependency_matrix(plan: Plan) -> np.ndarray:
    """Boolean ``(L, L)`` array, ``[dst, src]`` true where block ``dst`` at step ``τ`` reads ``src`` at ``τ - 1``.

    The plan's recurrent edges, plus the diagonal for gated cells (an LSTM's
    cell state and a GRU's ``z ⊙ h`` term read the block's own previous state
    even where ``weight_hh`` has a zero diagonal block).
    """
    m = check_plan(plan).recurrent_block_mask().copy()
    if plan.cell in ("lstm", "gru"):
        np.fill_diagonal(m, True)
    return m


def block_fields(plan: Plan, steps: int) -> np.ndarray:
    """Which inputs each block depends on at each step.

    Parameters
    ----------
    plan : Plan
    steps : int
        Sequence length ``T >= 0``.

    Returns
    -------
    ndarray of bool, shape (T + d, L, T)
        ``[τ, l, s]`` is true when ``x_s`` can influence block ``l`` after step ``τ``.
    """
    plan = check_plan(plan)
    T = check_count(steps, "steps", minimum=0)
    L, d = len(plan.blocks), plan.delay
    check_allocation((T + d) * L * T, 10, "steps")  # the field and its int64 working copies
    dep = dependency_matrix(plan).astype(np.int64)
    fed = plan.input_block_mask()
    holds = np.array(plan.holds)
    out = np.zeros((T + d, L, T), dtype=bool)
    prev = np.zeros((L, T), dtype=bool)
    for tau in range(T + d):
        cur = (dep @ prev.astype(np.int64)) > 0
        if tau < T:
            cur[fed, tau] = True
        cur[holds > tau] = False  # held blocks still carry their (input-free) initial state
        out[tau] = cur
        prev = cur
    return out


def receptive_field(plan: Plan, steps: int) -> np.ndarray:
    """Structural receptive field: which input times can influence which output times.

    Parameters
    ----------
    plan : Plan
    steps : int
        Sequence length ``T >= 0``.

    Returns
    -------
    ndarray of bool, shape (T, T)
        ``[t, s]`` true when ``x_s`` can influence the output ``y_t`` (read-out
        blocks at step ``t + d``); 0-based times.
    """
    bf = block_fields(plan, steps)
    T, d = bf.shape[2], plan.delay
    return bf[d:d + T][:, list(plan.readout), :].any(axis=1)


def field_lookahead(field: np.ndarray) -> int | None:
    """``max(s - t)`` over the true entries of a ``(T, T)`` field; ``None`` if it is empty."""
    f = np.asarray(field)
    if f.ndim != 2 or f.shape[0] != f.shape[1] or f.dtype != bool:
        raise ValueError(f"field must be a square bool array (T, T); got {f.dtype} {f.shape}")
    t, s = np.nonzero(f)
    return int((s - t).max()) if t.size else None


def shortest_input_path(plan: Plan) -> int | None:
    """Fewest recurrent edges from a block the input feeds to a read-out block (``None``: no path)."""
    dep = dependency_matrix(check_plan(plan))
    L = len(plan.blocks)
    dist = [math.inf] * L
    queue: deque[int] = deque()
    for e in plan.inputs:
        if dist[e.dst] != 0:
            dist[e.dst] = 0
            queue.append(e.dst)
    while queue:
        k = queue.popleft()
        for l in np.nonzero(dep[:, k])[0]:
            if dist[l] == math.inf:
                dist[l] = dist[k] + 1
                queue.append(int(l))
    best = min(dist[r] for r in plan.readout)
    return None if best == math.inf else int(best)


def lookahead(plan: Plan) -> int | None:
    """Closed-form look-ahead ``d - m``, ``m`` = :func:`shortest_input_path`.

    It is the largest ``s - t`` with ``x_s`` influencing ``y_t`` once the
    sequence is long enough (``T >= min_steps(plan)``); negative values mean
    the output only sees inputs at least ``-(d - m)`` steps old. ``None``
    when the output does not depend on the input at all.
    """
    m = shortest_input_path(plan)
    return None if m is None else plan.delay - m


def lookahead_from_lags(plan: Plan) -> int | None:
    """Look-ahead by the lag bookkeeping (a teaching aid, not an independent check).

    Along any path the lag terms telescope, so this returns ``d - m`` (``m`` the
    shortest input-to-read-out path length) for *any* lags: it cannot catch
    wrong lags. The claims' independent leg is :func:`unrolled_reach`, a
    search over the unrolled unit-level graph of the assembled weights.

    An input edge into block ``l`` looks ``λ_l`` steps ahead of the time block
    ``l`` stands for; an edge ``k → l`` moves information by
    ``shift = 1 + λ_k - λ_l`` steps; the read-out block ``r`` at step ``t + d``
    stands for time ``t + d - λ_r``. So the look-ahead along a path
    ``x → l_0 → … → r`` is ``λ_{l_0} - Σ shift + d - λ_r``, maximised over
    paths by a shortest-path search with the shifts as edge weights
    (Bellman–Ford: shifts may be negative, but every cycle has positive total
    shift, its length).
    """
    plan = check_plan(plan)
    dep = dependency_matrix(plan)
    lags = plan.lags
    L = len(plan.blocks)
    best = [-math.inf] * L  # best[l]: max over paths ending in l of λ_first - Σ shift
    for e in plan.inputs:
        best[e.dst] = max(best[e.dst], lags[e.dst])
    for _ in range(L):
        changed = False
        for l, k in zip(*np.nonzero(dep)):
            if best[k] > -math.inf:
                cand = best[k] - (1 + lags[k] - lags[l])
                if cand > best[l]:
                    best[l], changed = cand, True
        if not changed:
            break
    out = max(best[r] + plan.delay - lags[r] for r in plan.readout)
    return None if out == -math.inf else int(out)


def min_steps(plan: Plan) -> int:
    """The shortest sequence length whose receptive field reaches the look-ahead :func:`lookahead`.

    Exact: at ``T = min_steps(plan)`` the field's ``max(s - t)`` equals
    ``lookahead(plan)``, and at ``T - 1`` (when ``>= 1``) it does not, so a
    caller needs no safety margin. The field's look-ahead never decreases
    with ``T`` (a shorter sequence's paths exist in every longer one), and
    ``T = max(hold) + |d - m| + 1`` always suffices (the shortest path, ``m``
    edges, started past every hold, fits with its input and output times
    inside ``0 … T-1``); the smallest length is found by bisection below that.
    ``1`` when the output does not depend on the input.
    """
    m = shortest_input_path(plan)
    if m is None:
        return 1
    want = plan.delay - m
    lo, hi = 1, max(plan.holds) + abs(want) + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if field_lookahead(receptive_field(plan, mid)) == want:
            hi = mid
        else:
            lo = mid + 1
    return lo


def unrolled_reach(plan: Plan, weight_hh: np.ndarray, weight_ih: np.ndarray, steps: int) -> np.ndarray:
    """Which inputs reach which unit at which step, by breadth-first search over the unrolled unit-level graph.

    An implementation independent of :func:`dependency_matrix`,
    :func:`block_fields` and the plan's block edges and lags: the graph is
    read off the non-zero pattern of the weight matrices the network
    actually runs, one node per unit and step. Unit ``j`` at step ``τ``
    reads unit ``k`` at ``τ - 1`` when some gate row of ``weight_hh`` for
    ``j`` is non-zero in column ``k`` (and, for LSTM and GRU, its own
    previous state, which the cell update always reads); it reads ``x_τ``
    when some gate row of ``weight_ih`` for ``j`` is non-zero and ``τ < T``;
    a unit held at step ``τ < hold`` reads nothing. The search starts at each
    input time ``s`` and walks forward one step per edge.

    Parameters
    ----------
    plan : Plan
        Supplies the cell, delay and holds (not the edges).
    weight_hh : ndarray, shape (G·N, N)
    weight_ih : ndarray, shape (G·N, n_0)
    steps : int
        Sequence length ``T >= 0``.

    Returns
    -------
    ndarray of bool, shape (T + d, N, T)
        ``[τ, j, s]`` true when a path joins ``x_s`` to unit ``j`` after step ``τ``.
    """
    plan = check_plan(plan)
    T = check_count(steps, "steps", minimum=0)
    N, G, d = plan.hidden_size, plan.gates, plan.delay
    whh, wih = np.asarray(weight_hh), np.asarray(weight_ih)
    if whh.shape != (G * N, N) or wih.shape != (G * N, plan.input_size):
        raise ValueError(f"weight_hh and weight_ih must have shapes {(G * N, N)} and {(G * N, plan.input_size)}; "
                         f"got {whh.shape} and {wih.shape}")
    check_allocation((T + d) * N * T, 1, "steps")
    reads = (whh != 0).reshape(G, N, N).any(axis=0)  # [j, k]: unit j reads unit k
    if plan.cell in ("lstm", "gru"):
        reads = reads | np.eye(N, dtype=bool)
    readers = [np.nonzero(reads[:, k])[0].tolist() for k in range(N)]
    fed = np.nonzero((wih != 0).reshape(G, N, plan.input_size).any(axis=(0, 2)))[0].tolist()
    hold = np.repeat(np.array(plan.holds), plan.widths).tolist()
    out = np.zeros((T + d, N, T), dtype=bool)
    for s in range(T):
        frontier = {j for j in fed if hold[j] <= s}
        for tau in range(s, T + d):
            if not frontier:
                break
            out[tau, sorted(frontier), s] = True
            frontier = {j for k in frontier for j in readers[k] if hold[j] <= tau + 1}
    return out


def unrolled_field(plan: Plan, weight_hh: np.ndarray, weight_ih: np.ndarray, steps: int) -> np.ndarray:
    """The ``(T, T)`` field ``[t, s]`` read off :func:`unrolled_reach` at the read-out units, step ``t + d``."""
    reach = unrolled_reach(plan, weight_hh, weight_ih, steps)
    T, d = reach.shape[2], plan.delay
    return reach[d:d + T][:, plan.readout_units(), :].any(axis=1)


__all__ = [
    "block_fields",
    "dependency_matrix",
    "field_lookahead",
    "lookahead",
    "lookahead_from_lags",
    "min_steps",
    "receptive_field",
    "shortest_input_path",
    "unrolled_field",
    "unrolled_reach",
]
