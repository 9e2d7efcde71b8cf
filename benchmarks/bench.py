"""Speed of the NumPy engine measured in one run on one machine: PyTorch parity, schedules, GEMM, cache memory.

Run from the repository root::

    python benchmarks/bench.py            # full table (a few minutes)
    python benchmarks/bench.py --quick    # smaller repeats, for a smoke check

Every ratio compares two measurements taken in this same process, each the
best of several repeats (the minimum is the least disturbed by other load).
The printed Markdown is what ``benchmarks/RESULTS.md`` records.

Rows:

1. NumPy forward+backward over PyTorch CPU forward+backward (float32, 3
   layers, width 256, batch 64, 100 steps), Elman, LSTM and GRU; PyTorch
   uses as many threads as NumPy's BLAS.
2. Wavefront delayed forward over layer-by-layer stacked forward (4
   layers, float32, batch 64, 100 steps) at widths 16–256, and dense delayed
   over the wavefront.
3. Recurrent matrix-product throughput at width 1024, batch 256, as a
   fraction of the machine's measured GEMM peak.
4. Cache memory per (time step × batch item × unit).
5. Issue 12: the delayed network from the construction (``engine="auto"``)
   over the stacked network it came from, forward and forward+backward,
   at corners of the runtime grid, with the issue's targets.
6. One training step (forward, backward, Adam) on a 10 000-step sequence
   with batch 1.
7. The block-sparse schedules over dense on 8 blocks of width 64: a
   skip-one-layer plan (issue 12's target) and a cyclic plan that only the
   dense and block-sparse wavefront schedules can run.
8. Every schedule of the registry (:func:`numerics.engine.registry.schedule_names`)
   that a network supports, forward+backward over the dense schedule, on a
   stacked plan and a skip-one-layer plan per cell.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from numerics import DelayedRNN, StackedRNN
from numerics.engine.layer import layer_forward
from numerics.engine.registry import schedule_names
from numerics.train import Readout, train

F32 = np.float32
SECTIONS = ("torch", "schedules", "sparse", "wavefront", "registry", "gemm", "cache", "long")


def best_of(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    """Minimum wall time of ``repeats`` calls after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed (numpy.show_config() names the BLAS)"
    rows = [f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}, {i.get('num_threads')} threads)"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(rows) or "no BLAS found by threadpoolctl"


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 1
    return max([i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"] or [1])


def verdict(value: float, target: float, lower_is_better: bool = True) -> str:
    ok = value <= target if lower_is_better else value >= target
    return "met" if ok else "missed"


def bench_torch(rows: list[list[str]], repeats: int) -> None:
    try:
        import torch
    except ImportError:
        rows.append(["NumPy / PyTorch fwd+bwd", "-", "-", "torch not installed", "-"])
        return
    torch.set_num_threads(blas_threads())
    T, B, H, L = 100, 64, 256, 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, H)).astype(F32)
    dy = rng.standard_normal((T, B, H)).astype(F32)
    targets = {"RNN_TANH": 0.85, "LSTM": 1.15, "GRU": 1.15}  # the targets stated in docs/experiments.md
    for mode, kind in (("RNN_TANH", "RNN"), ("LSTM", "LSTM"), ("GRU", "GRU")):
        torch.manual_seed(0)
        mod = getattr(torch.nn, kind)(H, H, num_layers=L)
        from numerics import from_torch

        net = from_torch({k: v.detach().numpy() for k, v in mod.state_dict().items()}, mode)
        xt = torch.tensor(x, requires_grad=True)
        dyt = torch.tensor(dy)

        def run_np(net: Any = net) -> None:
            _, cache = net.forward(x)
            net.backward(cache, dy)

        def run_torch(mod: Any = mod, xt: Any = xt, dyt: Any = dyt) -> None:
            mod.zero_grad()
            xt.grad = None
            y, _ = mod(xt)
            y.backward(dyt)

        # In turn, so that a change of load between the two does not land on one side of the ratio.
        t = interleaved({"numpy": run_np, "torch": run_torch}, repeats)
        t_np, t_t = t["numpy"], t["torch"]
        target = targets[mode]
        rows.append([f"NumPy / PyTorch fwd+bwd, {mode}", f"{1e3 * t_np:.0f} ms / {1e3 * t_t:.0f} ms",
                     f"{t_np / t_t:.2f}", "-" if target is None else f"<= {target}",
                     "-" if target is None else verdict(t_np / t_t, target)])


def bench_wavefront(rows: list[list[str]], repeats: int) -> None:
    T, B, L = 100, 64, 4
    rng = np.random.default_rng(1)
    for cell in ("elman", "lstm"):
        for width in (16, 32, 64, 128, 256):
            net = StackedRNN.random(width, [width] * L, cell=cell, dtype=F32, seed=0)
            d = net.to_delayed("zero")
            x = rng.standard_normal((T, B, width)).astype(F32)
            t_st = best_of(partial(net.forward, x), repeats)
            t_bl = best_of(partial(d.forward, x, engine="wavefront"), repeats)
            t_de = best_of(partial(d.forward, x, engine="dense"), repeats)
            target = 0.67 if width <= 64 else (1.0 if width == 256 else None)
            rows.append([f"wavefront delayed / stacked fwd, {cell}, width {width}",
                         f"{1e3 * t_bl:.1f} ms / {1e3 * t_st:.1f} ms", f"{t_bl / t_st:.2f}",
                         "-" if target is None else f"<= {target}",
                         "-" if target is None else verdict(t_bl / t_st, target)])
            rows.append([f"dense delayed / wavefront fwd, {cell}, width {width}",
                         f"{1e3 * t_de:.1f} ms / {1e3 * t_bl:.1f} ms", f"{t_de / t_bl:.2f}", "report", "-"])


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Best time of each function, the functions run in turn in every round (load hits all alike)."""
    for f in fns.values():
        f()
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def _fwd_bwd(model: Any, x: np.ndarray, dy: np.ndarray) -> None:
    _, cache = model.forward(x)
    model.backward(cache, dy)


def bench_schedules(rows: list[list[str]], repeats: int) -> None:
    """Issue 12's targets: delayed (engine="auto") over the stacked network it came from, fwd and fwd+bwd."""
    from numerics.models import delayed_gru

    rng = np.random.default_rng(5)
    # (depth, width, batch, T): corners of the runtime grid and the overhead-dominated region.
    points = [(1, 16, 32, 50), (3, 64, 32, 100), (6, 256, 64, 200), (5, 24, 32, 100), (4, 32, 64, 50),
              (6, 16, 32, 200)]
    for cell in ("elman", "lstm", "gru"):
        for L, n, B, T in points:
            net = StackedRNN.random(8, [n] * L, cell=cell, dtype=F32, seed=0)
            d = delayed_gru(net, "own") if cell == "gru" else net.to_delayed()
            x = rng.standard_normal((T, B, 8)).astype(F32)
            dy = rng.standard_normal((T, B, n)).astype(F32)

            t = interleaved({"sf": partial(net, x), "df": partial(d, x),
                             "sb": partial(_fwd_bwd, net, x, dy), "db": partial(_fwd_bwd, d, x, dy)}, repeats)
            small = n <= 32 and L >= 4
            # engine="auto" chooses per pass: __call__ (no cache) by the forward cost, forward (whose
            # cache is for backward) by the forward + backward cost.
            for kind, a, b, target, training in (("fwd", "df", "sf", 0.6 if small else 1.05, False),
                                                 ("fwd+bwd", "db", "sb", 0.7 if small else 1.05, True)):
                r = t[a] / t[b]
                rows.append([f"delayed ({d.engine(batch=B, steps=T, training=training)}) / stacked {kind}, {cell}, "
                             f"L={L} n={n} B={B} T={T}", f"{1e3 * t[a]:.1f} ms / {1e3 * t[b]:.1f} ms",
                             f"{r:.2f}", f"<= {target}", verdict(r, target)])


def bench_sparse(rows: list[list[str]], repeats: int) -> None:
    """Block-sparse schedules over dense fwd+bwd, 8 blocks of width 64: a skip-one-layer and a cyclic plan.

    The skip-one-layer plan (block ``l`` reads ``l - 2 .. l``) is acyclic, so
    the block order runs it too (issue 12's target, ``<= 0.6`` for the one
    ``auto`` takes). In the cyclic plan block ``l`` also reads block ``l + 1``
    (a relaxed network, docs/theory/acausality.md): only the dense and the
    block-sparse wavefront (``sparse``) schedules can run it.
    """
    from theory.layout import relaxed_plan

    rng = np.random.default_rng(6)
    L, n, B, T = 8, 64, 32, 100
    idx = np.arange(L)
    below = idx[:, None] - idx[None, :]
    plans = (("skip-1", (below >= 0) & (below <= 2)), ("cyclic", (below >= -1) & (below <= 1)))
    for kind, rm in plans:
        for cell in ("elman", "lstm", "gru"):
            d = DelayedRNN.random(relaxed_plan(cell, n, [n] * L, rm, idx == 0, delay=L - 1), dtype=F32, seed=0)
            x = rng.standard_normal((T, B, n)).astype(F32)
            dy = rng.standard_normal((T, B, n)).astype(F32)

            def fb(engine: str, d: DelayedRNN = d, x: np.ndarray = x, dy: np.ndarray = dy) -> None:
                _, cache = d.forward(x, engine=engine)
                d.backward(cache, dy)

            # The block-sparse schedules: the wavefront ("sparse") and, on an acyclic plan, the block order
            # ("blocks"), which engine="sparse" ran before the registry split them; the row is the one auto takes.
            names = [s for s in ("sparse", "blocks") if s in d.schedules()]
            t = interleaved({"dense": partial(fb, "dense"), **{s: partial(fb, s) for s in names}}, repeats)
            auto = d.engine(batch=B, steps=T)
            for s in names:
                r = t[s] / t["dense"]
                graded = kind == "skip-1" and s == auto
                rows.append([f"{s} / dense fwd+bwd, {cell}, {kind} plan, L={L} n={n} B={B} T={T} (auto: {auto})",
                             f"{1e3 * t[s]:.1f} ms / {1e3 * t['dense']:.1f} ms", f"{r:.2f}",
                             "<= 0.6" if graded else "report", verdict(r, 0.6) if graded else "-"])


def bench_registry(rows: list[list[str]], repeats: int) -> None:
    """Every registry schedule a network supports, fwd+bwd over the dense schedule, all interleaved."""
    from numerics.models import delayed_gru
    from theory.layout import relaxed_plan

    rng = np.random.default_rng(7)
    L, n, B, T = 4, 32, 32, 100
    idx = np.arange(L)
    below = idx[:, None] - idx[None, :]
    for cell in ("elman", "lstm", "gru"):
        net = StackedRNN.random(8, [n] * L, cell=cell, dtype=F32, seed=0)
        stacked = delayed_gru(net, "own") if cell == "gru" else net.to_delayed()
        skip = DelayedRNN.random(relaxed_plan(cell, 8, [n] * L, (below >= 0) & (below <= 2), idx == 0,
                                              delay=L - 1), dtype=F32, seed=0)
        for kind, d in (("stacked", stacked), ("skip-1", skip)):
            x = rng.standard_normal((T, B, 8)).astype(F32)
            dy = rng.standard_normal((T, B, d.output_size)).astype(F32)

            def fb(engine: str, d: DelayedRNN = d, x: np.ndarray = x, dy: np.ndarray = dy) -> None:
                _, cache = d.forward(x, engine=engine)
                d.backward(cache, dy)

            names = [s for s in schedule_names() if s in d.schedules()]
            t = interleaved({s: partial(fb, s) for s in names}, repeats)
            for s in names:
                rows.append([f"{s} / dense fwd+bwd, {cell}, {kind} plan, L={L} n={n} B={B} T={T}",
                             f"{1e3 * t[s]:.1f} ms / {1e3 * t['dense']:.1f} ms", f"{t[s] / t['dense']:.2f}",
                             "report", "-"])


def bench_gemm(rows: list[list[str]], repeats: int) -> None:
    rng = np.random.default_rng(2)
    n = 2048
    a = rng.standard_normal((n, n)).astype(F32)
    b = rng.standard_normal((n, n)).astype(F32)
    c = np.empty((n, n), F32)
    t_peak = best_of(lambda: np.matmul(a, b, out=c), repeats)
    peak_big = 2 * n**3 / t_peak
    H, B, T = 1024, 256, 20
    h = rng.standard_normal((B, H)).astype(F32)
    w = (rng.standard_normal((H, H)) / np.sqrt(H)).astype(F32)
    out = np.empty((B, H), F32)
    t_step = best_of(lambda: np.matmul(h, w, out=out), repeats * 5)
    step_rate = 2 * B * H * H / t_step
    net = StackedRNN.random(H, [H], dtype=F32, seed=0)
    x = rng.standard_normal((T, B, H)).astype(F32)
    h0 = np.zeros((B, H), F32)
    t_layer = best_of(lambda: layer_forward("elman", net.layers[0], x, h0, activations=(("tanh", 0, H),)), repeats)
    layer_rate = 2 * 2 * T * B * H * H / t_layer  # input projection + recurrence
    # The peak is the best rate any GEMM reached in this run: a single large product can be
    # slowed by other load on a shared machine, which would flatter the ratios below.
    peak = max(peak_big, step_rate)
    rows.append(["measured GEMM peak (best of 2048³ and the recurrent shape)", f"{peak / 1e9:.1f} GFLOP/s",
                 "1.00", "reference", "-"])
    rows.append(["recurrent product (256×1024)@(1024×1024) / peak", f"{step_rate / 1e9:.1f} GFLOP/s",
                 f"{step_rate / peak:.2f}", ">= 0.5", verdict(step_rate / peak, 0.5, False)])
    rows.append(["Elman layer forward, width 1024, batch 256 / peak", f"{layer_rate / 1e9:.1f} GFLOP/s",
                 f"{layer_rate / peak:.2f}", ">= 0.5", verdict(layer_rate / peak, 0.5, False)])


def cache_bytes(cell: str, dtype: Any, T: int = 50, B: int = 8, H: int = 32) -> float:
    net = StackedRNN.random(H, [H], cell=cell, dtype=dtype, seed=0)
    _, cache = net.forward(np.zeros((T, B, H), dtype))
    lc = cache.layers[0]
    arrays = [a for a in (lc.x, lc.h, lc.c, lc.gates, lc.tanh_c, lc.hn) if a is not None]
    return sum(a.nbytes for a in arrays) / (T * B * H)


def bench_cache(rows: list[list[str]]) -> None:
    for cell in ("elman", "lstm", "gru"):
        b32, b64 = cache_bytes(cell, np.float32), cache_bytes(cell, np.float64)
        rows.append([f"cache bytes per (step × batch × unit), {cell}", f"{b32:.1f} (float32), {b64:.1f} (float64)",
                     "-", "report", "-"])


def bench_long(rows: list[list[str]], repeats: int) -> None:
    T, H = 10_000, 64
    rng = np.random.default_rng(3)
    x = rng.standard_normal((T, 1, 8)).astype(F32)
    y = np.roll(x[..., :1], 1, axis=0)
    model = Readout.random(StackedRNN.random(8, [H], cell="lstm", dtype=F32, seed=0), 1, seed=0)
    t = best_of(lambda: train(model, x, y, loss="mse", epochs=1, batch_size=1, lr=1e-3), repeats, warmup=0)
    mb = cache_bytes("lstm", np.float32) * T * H / 2**20
    rows.append([f"training step, LSTM width {H}, T = 10 000, batch 1", f"{t:.2f} s, cache ≈ {mb:.1f} MiB",
                 "-", "trains", "met"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--repeats", type=int, default=None,
                    help="rounds per measurement (default 5, or 2 with --quick); raise it on a loaded machine")
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS and PyTorch threads (default: the BLAS default); 1 is the stable choice on a "
                         "loaded machine, where multi-threaded BLAS stalls waiting for descheduled threads")
    ap.add_argument("--only", choices=SECTIONS, nargs="+", default=list(SECTIONS), help="sections to run")
    args = ap.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else 5)
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            ap.error("--threads needs threadpoolctl (pip install threadpoolctl)")
        threadpool_limits(args.threads)
    rows: list[list[str]] = []
    t0 = time.perf_counter()
    for name in args.only:
        if name == "torch":
            bench_torch(rows, repeats)
        elif name == "schedules":
            bench_schedules(rows, repeats)
        elif name == "sparse":
            bench_sparse(rows, repeats)
        elif name == "wavefront":
            bench_wavefront(rows, repeats)
        elif name == "registry":
            bench_registry(rows, repeats)
        elif name == "gemm":
            bench_gemm(rows, repeats)
        elif name == "cache":
            bench_cache(rows)
        else:
            bench_long(rows, max(1, repeats // 2))
    print(f"machine: {platform.machine()} {platform.processor() or ''}, Python {sys.version.split()[0]}, "
          f"NumPy {np.__version__}")
    print(f"BLAS (threadpoolctl): {blas_info()}")
    try:
        import torch

        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        pass
    print(f"total benchmark time {time.perf_counter() - t0:.0f} s; times are the best of {repeats} repeats\n")
    header = ["measurement", "times", "ratio", "target", "verdict"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
