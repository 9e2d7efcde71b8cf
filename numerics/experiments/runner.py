"""Running the experiments: training runs, timing points, and a resumable process-pool runner.

:func:`run_all` executes every :class:`~numerics.experiments.specs.RunSpec`
whose result is not yet stored (:mod:`numerics.experiments.storage`), in this
process or in spawned single-thread-BLAS workers, and saves each result the
moment it finishes. A *runtime* point times every model of one (width,
depth) point in the same process, so the ratios never compare different
machines or loads.

Training uses :mod:`numerics.train` (losses, read-out, Adam, clipping, early
stopping); nothing here optimises anything itself.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from numerics._progress import bar
from numerics.experiments._interrupt import ignore_sigint, sigint_blocked, stop_pool
from numerics.experiments.specs import ModelSpec, RunSpec, build_model, matched_width, recurrent_parameter_count
from numerics.experiments.storage import (
    clean_stale_temps,
    code_version,
    locked,
    make_record,
    runs_dir,
    save_record,
    scan_runs,
    spec_key,
)
from numerics.experiments.tasks import TaskData, make_task
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from numerics.train.loop import evaluate, predict, train
from numerics.train.losses import log_softmax
from numerics.train.readout import Readout, count_parameters
from theory._checks import check_count


# ----------------------------------------------------------------- runtime
def _time_call(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def runtime_point(spec: RunSpec) -> dict[str, Any]:
    """Time forward and forward+backward of four LSTM networks at one (width, depth) point.

    Models: ``stacked`` (``depth`` layers of ``width``), ``bidirectional``
    (same), ``d-LSTM (construction)`` — the delayed network that equals the
    stacked one (width ``depth·width``, delay ``depth − 1``, block-batched
    engine when the structure allows) — and ``d-LSTM (dense)``, a single
    dense layer with the stacked network's parameter count and delay
    ``depth − 1``: the model the paper trains in place of a deep one.

    Every repeat runs all four in turn, so load changes hit them alike; the
    reported time is the median over ``repeats`` after one warm-up call.

    Returns
    -------
    dict
        ``{"models": {name: {"forward_s", "forward_backward_s", "params", "width"}}, …}``.
    """
    tp = spec.task_params
    T, B, reps = int(tp["T"]), int(tp["batch"]), int(tp["repeats"])
    I = int(tp.get("input_size", 16))
    w, L = spec.width, spec.depth
    dtype = np.dtype(spec.dtype)
    stacked = StackedRNN.random(I, [w] * L, cell="lstm", dtype=dtype, seed=0)
    target = recurrent_parameter_count(ModelSpec("stacked", "lstm", w, L), I)
    dense_w = matched_width("delayed", "lstm", 1, target, I, 0)
    # Keys in the order of RUNTIME_MODELS (tables and plots list the models in this order).
    nets: dict[str, tuple[Any, int, int]] = {
        "stacked": (stacked, target, w),
        "bidirectional": (BidirectionalRNN.random(I, [w] * L, cell="lstm", dtype=dtype, seed=1),
                          recurrent_parameter_count(ModelSpec("bidirectional", "lstm", w, L), I), w),
        "d-LSTM (construction)": (stacked.to_delayed(), target, w * L),
        "d-LSTM (dense)": (build_model(ModelSpec("delayed", "lstm", dense_w, 1, L - 1), I, seed=2, dtype=dtype),
                           recurrent_parameter_count(ModelSpec("delayed", "lstm", dense_w), I), dense_w),
    }
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, B, I)).astype(dtype)
    times: dict[str, dict[str, list[float]]] = {k: {"forward": [], "forward_backward": []} for k in nets}

    def fwd(net: Any) -> tuple[np.ndarray, Any]:
        return net.forward(x)

    def fwd_bwd(net: Any) -> None:
        y, cache = net.forward(x)
        net.backward(cache, np.ones_like(y))

    for net, _, _ in nets.values():  # warm-up: allocation, BLAS start-up
        fwd_bwd(net)
    for _ in range(reps):
        for name, (net, _, _) in nets.items():
            times[name]["forward"].append(_time_call(lambda net=net: fwd(net)))
            times[name]["forward_backward"].append(_time_call(lambda net=net: fwd_bwd(net)))
    # The schedule forward() picks at this point's own batch and length (the default arguments of engine() are
    # batch 32 and 100 steps, which is not what ran here).
    engine = nets["d-LSTM (construction)"][0].engine(batch=B, steps=T)
    return {
        "T": T, "batch": B, "repeats": reps, "input_size": I, "width": w, "depth": L,
        "construction_engine": engine,
        "models": {name: {"forward_s": float(np.median(times[name]["forward"])),
                          "forward_backward_s": float(np.median(times[name]["forward_backward"])),
                          "params": int(p), "width": int(nw)}
                   for name, (_, p, nw) in nets.items()},
    }


# ---------------------------------------------------------------- training
@lru_cache(maxsize=4)
def _task_data(name: str, params_json: str, dtype: str) -> TaskData:
    # Workers train several runs of one task in a row: generate its data once per process.
    params = json.loads(params_json)
    params["sizes"] = tuple(params["sizes"])
    return make_task(name, **params, dtype=np.dtype(dtype))


def task_data(spec: RunSpec) -> TaskData:
    """The (cached) data set of a training run."""
    return _task_data(spec.task, json.dumps(spec.task_params, sort_keys=True), spec.dtype)


def train_run(spec: RunSpec) -> dict[str, Any]:
    """Train the model of ``spec`` on its task and evaluate it on the test split.

    The network gets a linear read-out (:class:`numerics.train.readout.Readout`) and
    is trained by :func:`numerics.train.loop.train`: Adam, gradient-norm
    clipping, early stopping on the validation loss with the best weights
    restored. Reversal uses softmax cross-entropy on the symbols, sine
    filtering the mean squared error.

    Returns
    -------
    dict
        ``params``, ``epochs``, ``best_epoch``, ``stopped_early``,
        ``train_seconds``, ``history`` (per-epoch losses), ``engine`` (delayed
        networks: the schedule used at the run's batch size and length), and
        ``test_accuracy`` (reversal: argmax of the output distribution) with
        ``test_accuracy_sampled`` (the expected accuracy when each symbol is
        sampled from it, as the reference code does) or ``test_mse`` and
        ``test_nmse`` (sine; MSE divided by the test targets' variance).
    """
    if spec.model is None or spec.train is None or spec.task not in ("reversal", "sine"):
        raise ValueError(f"train_run needs a reversal or sine spec with a model and a training config; got {spec}")
    data = task_data(spec)
    cfg = spec.train
    body = build_model(spec.model, data.input_size, seed=spec.seed, dtype=np.dtype(spec.dtype))
    # Seeds: the body uses ``seed``, the read-out and the batch order derived ones, so
    # runs that differ only in the model still see the same batches.
    model = Readout.random(body, data.output_size, seed=10_000 + spec.seed)
    loss = "cross_entropy" if data.kind == "classification" else "mse"
    t0 = time.perf_counter()
    res = train(model, data.train.x, data.train.y, loss=loss, val=(data.val.x, data.val.y), epochs=cfg.epochs,
                batch_size=cfg.batch_size, lr=cfg.lr, clip=cfg.clip, patience=cfg.patience, seed=spec.seed,
                progress=False)
    seconds = time.perf_counter() - t0
    test = evaluate(res.model, data.test.x, data.test.y, loss=loss)
    out: dict[str, Any] = {
        "params": int(count_parameters(res.model)),
        "epochs": res.epochs, "best_epoch": res.best_epoch, "stopped_early": bool(res.stopped_early),
        "train_seconds": seconds,
        "history": [{k: round(float(v), 6) for k, v in h.items()} for h in res.history],
    }
    if isinstance(res.model.body, DelayedRNN):
        # The schedule forward() ran in training, at this run's batch size and padded length.
        out["engine"] = res.model.body.engine(batch=cfg.batch_size, steps=int(data.train.x.shape[0]))
    if loss == "cross_entropy":
        out["test_accuracy"] = float(test["accuracy"])
        out["test_loss"] = float(test["loss"])
        # The reference code samples each output symbol from the softmax instead of taking the argmax; the
        # expected accuracy of that sampling is the mean probability the model gives the right symbol.
        logp = log_softmax(predict(res.model, data.test.x))
        out["test_accuracy_sampled"] = float(np.mean(np.exp(np.take_along_axis(
            logp, np.asarray(data.test.y)[..., None].astype(np.intp), axis=-1))))
    else:
        # The loss module's MSE is the mean over positions; NMSE makes scales comparable.
        out["test_mse"] = float(test["loss"])
        out["test_nmse"] = float(test["loss"] / np.var(data.test.y))
    return out


# ------------------------------------------------------------------ runner
def execute_run(spec: RunSpec) -> dict[str, Any]:
    """Run one spec and return its result (no files touched): training runs or a runtime point."""
    if spec.task == "runtime":
        return runtime_point(spec)
    if spec.task == "pos":
        from numerics.experiments.pos import pos_run

        return pos_run(spec)
    if spec.task == "mlm":
        from numerics.experiments.mlm import mlm_run

        return mlm_run(spec)
    return train_run(spec)


def _worker(spec_dict: dict[str, Any]) -> tuple[dict[str, Any], float]:
    """Process-pool entry point: specs travel as plain dicts, results come back with their wall time."""
    spec = RunSpec.from_dict(spec_dict)
    t0 = time.perf_counter()
    result = execute_run(spec)
    return result, time.perf_counter() - t0


def describe(spec: RunSpec) -> str:
    """One-line description of a run for progress output."""
    if spec.task == "runtime":
        return f"runtime width {spec.width} depth {spec.depth}"
    assert spec.model is not None
    if spec.task in ("pos", "mlm"):
        return f"{spec.task}: {spec.model.label} (width {spec.model.width}) seed {spec.seed}"
    tp = spec.task_params
    where = f"T={tp['T']}" if spec.task == "reversal" else f"a={tp['acausal']} scale={tp['scale']:g}"
    return f"{spec.task} {where}: {spec.model.label} (width {spec.model.width}) seed {spec.seed}"


def summary(spec: RunSpec, result: dict[str, Any]) -> str:
    """The headline number of a finished run."""
    if spec.task == "reversal":
        return f"test accuracy {100 * result['test_accuracy']:.1f}% ({result['epochs']} epochs)"
    if spec.task == "pos":
        return f"test accuracy {100 * result['test_accuracy']:.2f}% (best epoch {result['best_epoch']})"
    if spec.task == "mlm":
        return f"test {result['test_bpc']:.3f} bits per character (best epoch {result['best_epoch']})"
    if spec.task == "sine":
        return f"test NMSE {result['test_nmse']:.4f} ({result['epochs']} epochs)"
    m = result["models"]
    return "fwd+bwd " + ", ".join(f"{k} {1e3 * v['forward_backward_s']:.1f} ms" for k, v in m.items())


#: Upper bound of ``jobs``: more worker processes than this only exhaust the machine.
MAX_JOBS = 1024


def _die_with_parent(parent: int) -> None:
    """Pool initializer: end this worker when the process that started it dies, even by SIGKILL.

    On Linux the kernel delivers SIGKILL on the parent's death
    (``prctl(PR_SET_PDEATHSIG)``); everywhere a daemon thread also checks
    once a second whether the worker has been re-parented.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    ignore_sigint()  # Ctrl-C reaches the whole process group; the parent alone handles it

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="drnn-parent-watch", daemon=True).start()


def worker_pool(jobs: int) -> cf.ProcessPoolExecutor:
    """A pool of ``jobs`` spawned worker processes, each with one BLAS thread, that die with this process."""
    # Children are spawned (not forked) and read these variables when they
    # import NumPy, so each uses one BLAS thread; the parent is unaffected.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    ctx = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_die_with_parent,
                                  initargs=(os.getpid(),))


def _execute(specs: Sequence[RunSpec], jobs: int, finish: Callable[[RunSpec, dict[str, Any], float], None]) -> None:
    """Run ``specs``: in this process (``jobs == 1``) or in ``|jobs|`` spawned single-thread BLAS workers."""
    if not specs:
        return
    if jobs == 1:
        for spec in specs:
            t0 = time.perf_counter()
            result = execute_run(spec)
            finish(spec, result, time.perf_counter() - t0)
        return
    pool = worker_pool(min(abs(jobs), len(specs)))
    try:
        with sigint_blocked():  # workers are started by submit() and must start with SIGINT blocked
            futures = {pool.submit(_worker, s.to_dict()): s for s in specs}
        for fut in cf.as_completed(futures):
            result, seconds = fut.result()
            finish(futures[fut], result, seconds)
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def run_all(specs: Sequence[RunSpec], out: str | Path, *, jobs: int = 1,
            log: Callable[[str], None] | None = print, scheduler: str | None = None) -> dict[str, Any]:
    """Run every spec whose result is not yet in ``OUT/runs``, saving each one as it finishes.

    Parameters
    ----------
    specs : sequence of RunSpec
    out : path
        Output directory; results go to ``out/runs/<run_id>.json``.
    jobs : int
        Worker processes for the training runs. ``1`` runs everything in this
        process; more use a process pool in which every worker's BLAS is
        limited to one thread (oversubscribed BLAS threads slow small
        recurrent products down by orders of magnitude), and the timing
        points then run one after another in a single such worker.
    log : callable or None
        Receives one progress line per finished run.
    scheduler : str, optional
        Run on Dask instead of the local pool (``jobs`` is then ignored):
        ``"local:N"`` starts a LocalCluster of ``N`` worker processes, any
        other value is the address of a running ``dask.distributed``
        scheduler (:mod:`numerics.experiments.cluster`; needs the
        ``cluster`` extra). Records are written by this process either way.

    Returns
    -------
    dict
        ``{"ran": [...run ids], "skipped": [...], "seconds": wall time}``.
    """
    jobs = check_count(jobs, "jobs")
    if jobs > MAX_JOBS:
        raise ValueError(f"jobs must be at most {MAX_JOBS}; got {jobs}")
    say = log or (lambda _s: None)
    if scheduler is not None:
        from numerics.experiments.cluster import parse_scheduler

        parse_scheduler(scheduler)  # a malformed value fails before anything is touched
    d = runs_dir(out)
    with locked(out):
        for p in clean_stale_temps(out):
            say(f"removed a temporary file left by an interrupted run: {p}")
        done = scan_runs(out, say)
        todo, skipped = [], []
        for s in dict((spec_key(s), s) for s in specs).values():  # a spec listed twice is one run
            (skipped if spec_key(s) in done else todo).append(s)
        total = len(todo)
        how = f"{jobs} worker(s)" if scheduler is None else f"Dask ({scheduler})"
        say(f"{len(todo) + len(skipped)} runs: {len(skipped)} already done in {d}, {total} to run with {how}")
        t_start = time.perf_counter()
        ran: list[str] = []
        # The code that runs is the code imported now (workers start now too): later edits to a checkout
        # during a long invocation must not change what the records say about it.
        code = code_version()

        def finish(spec: RunSpec, result: dict[str, Any], seconds: float) -> None:
            save_record(out, make_record(spec, result, seconds, code), say)
            ran.append(spec.run_id)
            elapsed = time.perf_counter() - t_start
            say(f"[{bar(len(ran), total)}] {len(ran)}/{total} {describe(spec)}: {summary(spec, result)} "
                f"[{seconds:.1f} s; {elapsed / 60:.1f} min elapsed]")

        # Training runs share the workers; timing points then run one at a time
        # (each alone on the machine as far as this command is concerned), so a
        # concurrent training run does not distort the times being compared.
        training = [s for s in todo if s.task != "runtime"]
        timing = [s for s in todo if s.task == "runtime"]
        if scheduler is not None:
            from numerics.experiments.cluster import dask_execute

            dask_execute(training, scheduler, _worker, finish, say, sequential=timing)
        else:
            _execute(training, jobs, finish)
            _execute(timing, 1 if jobs == 1 else -1, finish)
    return {"ran": ran, "skipped": [s.run_id for s in skipped], "seconds": time.perf_counter() - t_start}
