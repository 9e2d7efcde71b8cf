"""The paper's synthetic experiments (docs/experiments.md) as data: runs, a resumable runner, tables and plots.

A *run* is one :class:`RunSpec`: a task with its parameters, a model
(stacked, bidirectional or delayed; LSTM or Elman; layers, width, delay), a
seed and a training budget. Its result is a JSON file
``OUT/runs/<run_id>.json``, written atomically the moment the run finishes,
so an interrupted invocation resumes by skipping every run whose file is
already there. A *runtime* run times every model of one (width, depth)
point in the same process, so the ratios never compare different machines
or loads.

Training uses :mod:`numerics.train.loop` (losses, read-out, Adam, clipping, early
stopping); nothing here optimises anything itself.

Profiles (:data:`PROFILES`) fix the sizes: ``paper`` follows the paper and
its reference code (T = 20 reversal, 10 000 / 2 000 / 2 000 sequences, 100
LSTM units), ``quick`` shrinks everything to fit in a quarter of an hour on
two cores while keeping the outcomes the paper reports visible, ``smoke``
runs in seconds for the tests.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import hashlib
import json
import math
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from numerics.experiments.tasks import TaskData, make_task, reversal_accuracy_bound
from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from theory.layout import GATES, relaxed_plan

KINDS: tuple[str, ...] = ("stacked", "bidirectional", "delayed")
CELLS: tuple[str, ...] = ("lstm", "elman")
TASKS: tuple[str, ...] = ("reverse", "sine", "runtime")

#: Format version of the run files; a file of another version is re-run.
RESULT_VERSION = 1


# ------------------------------------------------------------------ models
@dataclass(frozen=True)
class ModelSpec:
    """One network architecture.

    Attributes
    ----------
    kind : {"stacked", "bidirectional", "delayed"}
    cell : {"lstm", "elman"}
    width : int
        Units per layer and direction (stacked, bidirectional) or of the
        single delayed layer.
    layers : int
        1–3 for stacked and bidirectional; 1 for delayed.
    delay : int
        ``d`` of a delayed network (the paper's "pad ``d`` zeros, drop the
        first ``d`` outputs"); 0 otherwise.
    """

    kind: str
    cell: str = "lstm"
    width: int = 32
    layers: int = 1
    delay: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}; got {self.kind!r}")
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {list(CELLS)}; got {self.cell!r}")
        for name in ("width", "layers", "delay"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int; got {type(v).__name__}")
        if self.width < 1 or self.layers < 1 or self.delay < 0:
            raise ValueError(f"width and layers must be >= 1 and delay >= 0; got width={self.width}, "
                             f"layers={self.layers}, delay={self.delay}")
        if self.kind == "delayed" and self.layers != 1:
            raise ValueError(f"a delayed network has one layer; got layers={self.layers}")
        if self.kind != "delayed" and self.delay != 0:
            raise ValueError(f"delay applies to delayed networks only; got delay={self.delay} for {self.kind}")

    @property
    def label(self) -> str:
        """Short name for tables and legends, e.g. ``d-LSTM d=7`` or ``stacked LSTM ×2``."""
        c = "LSTM" if self.cell == "lstm" else "Elman"
        if self.kind == "delayed":
            return f"d-{c} d={self.delay}"
        if self.kind == "bidirectional":
            return f"bi-{c}" + (f" ×{self.layers}" if self.layers > 1 else "")
        return f"stacked {c} ×{self.layers}"


def build_model(spec: ModelSpec, input_size: int, *, seed: int = 0, dtype: Any = np.float32) -> Any:
    """Randomly initialised network (PyTorch's ``U(-1/sqrt(n), 1/sqrt(n))``) for ``spec``.

    Returns
    -------
    StackedRNN, BidirectionalRNN or DelayedRNN
        A delayed network is one dense block of width ``spec.width`` with
        delay ``spec.delay``: outputs ``(T, B, width)`` aligned with the input.
    """
    if spec.kind == "stacked":
        return StackedRNN.random(input_size, [spec.width] * spec.layers, cell=spec.cell, dtype=dtype, seed=seed)
    if spec.kind == "bidirectional":
        return BidirectionalRNN.random(input_size, [spec.width] * spec.layers, cell=spec.cell, dtype=dtype,
                                       seed=seed)
    plan = relaxed_plan(spec.cell, input_size, [spec.width], np.ones((1, 1), bool), np.ones(1, bool),
                        delay=spec.delay, readout=[0])
    return DelayedRNN.random(plan, dtype=dtype, seed=seed, masked=False)


def recurrent_parameter_count(spec: ModelSpec, input_size: int) -> int:
    """Trainable parameters of the recurrent part (PyTorch's two bias vectors included).

    A layer of ``G`` gates (4 for LSTM, 1 for Elman), width ``n`` and input
    ``m`` has ``G·n·(m + n) + 2·G·n``.
    """
    G = GATES[spec.cell]

    def layer(m: int, n: int) -> int:
        return G * n * (m + n) + 2 * G * n

    n = spec.width
    if spec.kind == "delayed":
        return layer(input_size, n)
    if spec.kind == "stacked":
        return layer(input_size, n) + (spec.layers - 1) * layer(n, n)
    return 2 * (layer(input_size, n) + (spec.layers - 1) * layer(2 * n, n))


def output_width(spec: ModelSpec) -> int:
    """Width of the features the read-out sees (``2·width`` for bidirectional)."""
    return 2 * spec.width if spec.kind == "bidirectional" else spec.width


def parameter_count(spec: ModelSpec, input_size: int, output_size: int) -> int:
    """Recurrent parameters plus the linear read-out ``(output_size, features) + bias``."""
    return recurrent_parameter_count(spec, input_size) + output_size * (output_width(spec) + 1)


def matched_width(kind: str, cell: str, layers: int, target: int, input_size: int, output_size: int) -> int:
    """Width whose total parameter count is closest to ``target`` (ties: the smaller width).

    Used to give stacked and bidirectional networks the parameter budget of
    the delayed network they are compared with.
    """
    best, best_gap = 1, math.inf
    for n in range(1, 4096):
        gap = abs(parameter_count(ModelSpec(kind, cell, n, layers), input_size, output_size) - target)
        if gap < best_gap:
            best, best_gap = n, gap
        elif gap > best_gap:
            break  # the count grows monotonically with n: past the minimum
    return best


# -------------------------------------------------------------------- runs
@dataclass(frozen=True)
class TrainConfig:
    """Training budget, following the reference code (Adam, lr 1e-3, clipping 1.0, early stopping).

    Attributes
    ----------
    epochs : int
        Maximum epochs.
    batch_size : int
    lr : float
    clip : float
        Gradient-norm clipping threshold.
    patience : int
        Epochs without validation improvement before stopping.
    """

    epochs: int = 100
    batch_size: int = 64
    lr: float = 1e-3
    clip: float = 1.0
    patience: int = 10


@dataclass(frozen=True)
class RunSpec:
    """One training run (task ``reverse``/``sine``) or one timing point (task ``runtime``).

    Attributes
    ----------
    task : {"reverse", "sine", "runtime"}
    task_params : dict
        Keyword arguments of :func:`numerics.experiments.tasks.make_task`; for
        ``runtime`` the sizes ``T``, ``batch``, ``repeats``, ``input_size``.
    model : ModelSpec or None
        ``None`` for runtime points (they time several models).
    seed : int
        Model initialisation and batch order; the data seed is in ``task_params``.
    train : TrainConfig or None
    width, depth : int
        Runtime points only: per-layer width and number of layers.
    """

    task: str
    task_params: dict[str, Any]
    model: ModelSpec | None = None
    seed: int = 0
    train: TrainConfig | None = None
    width: int = 0
    depth: int = 0
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {list(TASKS)}; got {self.task!r}")
        if not isinstance(self.task_params, dict):
            raise TypeError(f"task_params must be a dict; got {type(self.task_params).__name__}")
        if self.task == "runtime":
            if self.width < 1 or self.depth < 1:
                raise ValueError(f"a runtime point needs width >= 1 and depth >= 1; got {self.width}, {self.depth}")
        elif not isinstance(self.model, ModelSpec) or not isinstance(self.train, TrainConfig):
            raise TypeError(f"a {self.task} run needs model=ModelSpec and train=TrainConfig; "
                            f"got {type(self.model).__name__}, {type(self.train).__name__}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {self.dtype!r}")

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), sort_keys=True))

    @property
    def run_id(self) -> str:
        """File-name-safe identifier: a readable prefix and a hash of the whole spec."""
        digest = hashlib.sha1(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:10]
        if self.task == "runtime":
            return f"runtime-w{self.width}-L{self.depth}-{digest}"
        m = self.model
        assert m is not None
        name = f"{m.kind}-{m.cell}-L{m.layers}-w{m.width}-d{m.delay}"
        extra = "-".join(f"{k}{v}" for k, v in sorted(self.task_params.items()) if k in ("T", "V", "acausal", "scale"))
        return f"{self.task}-{extra}-{name}-s{self.seed}-{digest}"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSpec:
        model = None if d.get("model") is None else ModelSpec(**d["model"])
        train = None if d.get("train") is None else TrainConfig(**d["train"])
        return cls(d["task"], dict(d["task_params"]), model, d["seed"], train, d.get("width", 0), d.get("depth", 0),
                   d.get("dtype", "float32"))


# ---------------------------------------------------------------- profiles
@dataclass(frozen=True)
class Profile:
    """Sizes of one reproduction.

    Attributes
    ----------
    reverse : dict
        ``V``, ``T``, ``sizes`` of the reversal task.
    reverse_delays : tuple of int
        Delays of the d-LSTM curve; the d-Elman curve uses ``elman_delays``.
    width : int
        Width of the delayed networks; stacked and bidirectional networks get
        matched parameter counts.
    sine : dict
        ``T``, ``causal``, ``sizes`` of the sine task.
    sine_grid : tuple of (acausal, scale)
    sine_delays : tuple of int
    runtime : dict
        ``T``, ``batch``, ``repeats``, ``widths``, ``depths``, ``fixed_width``, ``fixed_depth``.
    reverse_train_elman : TrainConfig, optional
        Budget of the Elman reversal runs if it differs from ``reverse_train``.
    """

    name: str
    reverse: dict[str, Any]
    reverse_delays: tuple[int, ...]
    elman_delays: tuple[int, ...]
    width: int
    stacked_layers: tuple[int, ...]
    reverse_train: TrainConfig
    sine: dict[str, Any]
    sine_grid: tuple[tuple[int, float], ...]
    sine_delays: tuple[int, ...]
    sine_train: TrainConfig
    runtime: dict[str, Any]
    seeds: tuple[int, ...] = (0,)
    sine_elman: bool = False
    reverse_train_elman: TrainConfig | None = None
    dtype: str = "float32"
    notes: str = field(default="", compare=False)


PROFILES: dict[str, Profile] = {
    # The paper's sizes (docs/experiments.md and the reference code): never run in CI; days of CPU time,
    # which is why every run is saved and the command resumes.
    "paper": Profile(
        name="paper",
        reverse={"V": 4, "T": 20, "sizes": [10_000, 2_000, 2_000], "seed": 0},
        reverse_delays=(0, 5, 10, 15, 18, 19, 20, 25),
        elman_delays=(0, 10, 19, 25),
        width=100,
        stacked_layers=(1, 2, 3),
        reverse_train=TrainConfig(epochs=1000, batch_size=100, lr=1e-3, clip=1.0, patience=20),
        sine={"T": 30, "causal": 10, "sizes": [10_000, 2_000, 2_000], "seed": 0},
        sine_grid=tuple((a, s) for a in (1, 5, 10) for s in (0.1, 0.5, 1.0, 2.0)),
        sine_delays=(0, 1, 2, 3, 5, 7, 10, 15),
        sine_train=TrainConfig(epochs=1000, batch_size=100, lr=1e-3, clip=1.0, patience=20),
        runtime={"T": 100, "batch": 64, "repeats": 5, "widths": [32, 64, 128, 256, 512], "depths": [1, 2, 3, 4, 6],
                 "fixed_width": 128, "fixed_depth": 3},
        seeds=(0, 1, 2),
        notes="sizes of the paper and its reference code (423 runs: days of CPU time in NumPy; resumable)",
    ),
    # Fits in < 15 minutes on two cores: reversal at T = 8, smaller widths and splits.
    "quick": Profile(
        name="quick",
        reverse={"V": 4, "T": 8, "sizes": [4_000, 500, 1_000], "seed": 0},
        reverse_delays=(0, 2, 4, 6, 7, 8),
        elman_delays=(0, 4, 7),
        width=32,
        stacked_layers=(2, 3),
        # lr 5e-3 instead of the reference 1e-3: the same optimiser in a tenth of the epochs.
        reverse_train=TrainConfig(epochs=40, batch_size=32, lr=5e-3, clip=1.0, patience=8),
        # An Elman epoch costs about a third of an LSTM epoch, and at 40 epochs the
        # d-Elman with d = T - 1 was still learning (94%; 99.5% after ~90 epochs).
        reverse_train_elman=TrainConfig(epochs=120, batch_size=32, lr=5e-3, clip=1.0, patience=10),
        sine={"T": 30, "causal": 10, "sizes": [2_000, 500, 1_000], "seed": 0},
        sine_grid=((5, 0.1), (2, 1.0), (5, 1.0), (5, 2.0)),
        sine_delays=(0, 2, 4, 5, 8),
        # Longer delays than needed learn slowly (they must carry inputs for d - a extra steps):
        # at 30 epochs and lr 5e-3 the d = a + 3 runs had not left their plateau yet.
        sine_train=TrainConfig(epochs=50, batch_size=32, lr=1e-2, clip=1.0, patience=10),
        runtime={"T": 50, "batch": 32, "repeats": 5, "widths": [16, 32, 64, 128], "depths": [1, 2, 3, 4, 6],
                 "fixed_width": 64, "fixed_depth": 3},
        notes="reduced sizes: reversal T = 8 with 4 000 training sequences (lr 5e-3), sine 2 000 (lr 1e-2), "
              "width 32",
    ),
    # Seconds: for the tests of the runner, the files and the command line.
    "smoke": Profile(
        name="smoke",
        reverse={"V": 3, "T": 4, "sizes": [40, 10, 10], "seed": 0},
        reverse_delays=(0, 3),
        elman_delays=(3,),
        width=6,
        stacked_layers=(2,),
        reverse_train=TrainConfig(epochs=2, batch_size=20, lr=1e-2, clip=1.0, patience=2),
        sine={"T": 8, "causal": 3, "sizes": [20, 10, 10], "seed": 0},
        sine_grid=((1, 1.0),),
        sine_delays=(0, 1),
        sine_train=TrainConfig(epochs=2, batch_size=10, lr=1e-2, clip=1.0, patience=2),
        runtime={"T": 6, "batch": 2, "repeats": 1, "widths": [4, 8], "depths": [1, 2],
                 "fixed_width": 4, "fixed_depth": 2},
        notes="tiny sizes for tests",
    ),
}


def _comparison_models(cell: str, width: int, layers: Iterable[int], input_size: int,
                       output_size: int) -> list[ModelSpec]:
    """Stacked and bidirectional networks with the parameter budget of a delayed one of ``width``."""
    target = parameter_count(ModelSpec("delayed", cell, width), input_size, output_size)
    out = [ModelSpec("bidirectional", cell, matched_width("bidirectional", cell, 1, target, input_size,
                                                          output_size), 1)]
    for L in layers:
        out.append(ModelSpec("stacked", cell, matched_width("stacked", cell, L, target, input_size, output_size), L))
    return out


def plan_runs(profile: Profile, tasks: Sequence[str]) -> list[RunSpec]:
    """Every run of ``profile`` for the given tasks, in execution order.

    Reversal: d-LSTM over ``reverse_delays``, stacked LSTMs, a bidirectional
    LSTM (parameter-matched), and the Elman counterparts (d-Elman over
    ``elman_delays``, a 2-layer stacked Elman, a bidirectional Elman).
    Sine: for each ``(acausal, scale)`` of ``sine_grid``, the d-LSTM over
    ``sine_delays``, a 2-layer stacked and a bidirectional LSTM. Runtime: a
    width sweep at ``fixed_depth`` and a depth sweep at ``fixed_width``.
    """
    runs: list[RunSpec] = []
    dt = profile.dtype
    for task in tasks:
        if task not in TASKS:
            raise ValueError(f"task must be one of {list(TASKS)}; got {task!r}")
    if "reverse" in tasks:
        V = int(profile.reverse["V"])
        models: list[ModelSpec] = [ModelSpec("delayed", "lstm", profile.width, 1, d) for d in profile.reverse_delays]
        models += _comparison_models("lstm", profile.width, profile.stacked_layers, V, V)
        elman = [ModelSpec("delayed", "elman", profile.width, 1, d) for d in profile.elman_delays]
        elman += _comparison_models("elman", profile.width, profile.stacked_layers[:1], V, V)
        elman_train = profile.reverse_train_elman or profile.reverse_train
        runs += [RunSpec("reverse", dict(profile.reverse), m, s, elman_train if m.cell == "elman" else
                         profile.reverse_train, dtype=dt) for s in profile.seeds for m in models + elman]
    if "sine" in tasks:
        for a, scale in profile.sine_grid:
            tp = {**profile.sine, "acausal": a, "scale": scale}
            models = [ModelSpec("delayed", "lstm", profile.width, 1, d) for d in profile.sine_delays]
            models += _comparison_models("lstm", profile.width, profile.stacked_layers[:1], 1, 1)
            if profile.sine_elman:
                models += [ModelSpec("delayed", "elman", profile.width, 1, d) for d in profile.sine_delays]
                models += _comparison_models("elman", profile.width, profile.stacked_layers[:1], 1, 1)
            runs += [RunSpec("sine", tp, m, s, profile.sine_train, dtype=dt) for s in profile.seeds for m in models]
    if "runtime" in tasks:
        rt = profile.runtime
        tp = {k: rt[k] for k in ("T", "batch", "repeats")}
        points = [(w, rt["fixed_depth"]) for w in rt["widths"]]
        points += [(rt["fixed_width"], L) for L in rt["depths"] if (rt["fixed_width"], L) not in points]
        runs += [RunSpec("runtime", tp, None, 0, None, width=w, depth=L, dtype=dt) for w, L in points]
    return runs


# ----------------------------------------------------------------- storage
def runs_dir(out: str | Path) -> Path:
    """``OUT/runs``, created if needed; a clear error if ``out`` is a file or cannot be created."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: {out} exists and is not a directory")
    d = out / "runs"
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"out: cannot create directory {d}: {exc.strerror or exc}") from None
    return d


def _umask_mode() -> int:
    # mkstemp creates 0600 files; published results get the mode a plain open() would give.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_text_atomic(path: Path, write: Callable[[Any], None], newline: str | None = None) -> None:
    """Write through ``write(fh)`` to a temporary file in ``path``'s directory, then rename it over ``path``.

    ``path`` is therefore either absent, the old file, or the complete new
    one, never half-written (the rename is atomic on POSIX and Windows).
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline=newline) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON so that ``path`` is either absent or complete, never half-written."""
    _write_text_atomic(path, lambda fh: json.dump(data, fh, indent=1, sort_keys=True))


def load_record(path: Path) -> dict[str, Any] | None:
    """A finished run's record, or ``None`` if the file is missing, unreadable or of another version."""
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("version") != RESULT_VERSION or "result" not in rec:
        return None
    return rec


def load_records(out: str | Path) -> list[dict[str, Any]]:
    """Every valid run record under ``OUT/runs`` (sorted by file name)."""
    d = Path(out) / "runs"
    if not d.is_dir():
        return []
    recs = [load_record(p) for p in sorted(d.glob("*.json"))]
    return [r for r in recs if r is not None]


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
    engine = nets["d-LSTM (construction)"][0].engine()
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

    The network gets a linear read-out (:class:`numerics.train.loop.Readout`) and
    is trained by :func:`numerics.train.loop.train`: Adam, gradient-norm
    clipping, early stopping on the validation loss with the best weights
    restored. Reversal uses softmax cross-entropy on the symbols, sine
    filtering the mean squared error.

    Returns
    -------
    dict
        ``params``, ``epochs``, ``best_epoch``, ``stopped_early``,
        ``train_seconds``, ``history`` (per-epoch losses), and
        ``test_accuracy`` (reversal) or ``test_mse`` and ``test_nmse``
        (sine; MSE divided by the test targets' variance).
    """
    from numerics.train.loop import Readout, count_parameters, evaluate, train

    if spec.model is None or spec.train is None or spec.task not in ("reverse", "sine"):
        raise ValueError(f"train_run needs a reverse or sine spec with a model and a training config; got {spec}")
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
    if loss == "cross_entropy":
        out["test_accuracy"] = float(test["accuracy"])
        out["test_loss"] = float(test["loss"])
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
    return train_run(spec)


def _record(spec: RunSpec, result: dict[str, Any], seconds: float) -> dict[str, Any]:
    return {"version": RESULT_VERSION, "run_id": spec.run_id, "spec": spec.to_dict(), "result": result,
            "seconds": round(seconds, 3), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


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
    tp = spec.task_params
    where = f"T={tp['T']}" if spec.task == "reverse" else f"a={tp['acausal']} scale={tp['scale']:g}"
    return f"{spec.task} {where}: {spec.model.label} (width {spec.model.width}) seed {spec.seed}"


def summary(spec: RunSpec, result: dict[str, Any]) -> str:
    """The headline number of a finished run."""
    if spec.task == "reverse":
        return f"test accuracy {100 * result['test_accuracy']:.1f}% ({result['epochs']} epochs)"
    if spec.task == "sine":
        return f"test NMSE {result['test_nmse']:.4f} ({result['epochs']} epochs)"
    m = result["models"]
    return "fwd+bwd " + ", ".join(f"{k} {1e3 * v['forward_backward_s']:.1f} ms" for k, v in m.items())


def _bar(done: int, total: int, width: int = 20) -> str:
    k = round(width * done / total) if total else width
    return "#" * k + "-" * (width - k)


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
    # Children are spawned (not forked) and read these variables when they
    # import NumPy, so each uses one BLAS thread; the parent is unaffected.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=abs(jobs), mp_context=ctx) as pool:
        futures = {pool.submit(_worker, s.to_dict()): s for s in specs}
        try:
            for fut in cf.as_completed(futures):
                result, seconds = fut.result()
                finish(futures[fut], result, seconds)
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def run_all(specs: Sequence[RunSpec], out: str | Path, *, jobs: int = 1,
            log: Callable[[str], None] | None = print) -> dict[str, Any]:
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

    Returns
    -------
    dict
        ``{"ran": [...run ids], "skipped": [...], "seconds": wall time}``.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1; got {jobs!r}")
    d = runs_dir(out)
    say = log or (lambda _s: None)
    todo, skipped = [], []
    for s in specs:
        rec = load_record(d / f"{s.run_id}.json")
        # A file counts as done only if it records this very spec (the id carries a hash of it).
        (skipped if rec is not None and rec["spec"] == s.to_dict() else todo).append(s)
    total = len(todo)
    say(f"{len(specs)} runs: {len(skipped)} already done in {d}, {total} to run with {jobs} worker(s)")
    t_start = time.perf_counter()
    ran: list[str] = []

    def finish(spec: RunSpec, result: dict[str, Any], seconds: float) -> None:
        write_json_atomic(d / f"{spec.run_id}.json", _record(spec, result, seconds))
        ran.append(spec.run_id)
        elapsed = time.perf_counter() - t_start
        say(f"[{_bar(len(ran), total)}] {len(ran)}/{total} {describe(spec)}: {summary(spec, result)} "
            f"[{seconds:.1f} s; {elapsed / 60:.1f} min elapsed]")

    # Training runs share the workers; timing points then run one at a time
    # (each alone on the machine as far as this command is concerned), so a
    # concurrent training run does not distort the times being compared.
    training = [s for s in todo if s.task != "runtime"]
    timing = [s for s in todo if s.task == "runtime"]
    _execute(training, jobs, finish)
    _execute(timing, 1 if jobs == 1 else -1, finish)
    return {"ran": ran, "skipped": [s.run_id for s in skipped], "seconds": time.perf_counter() - t_start}


# ------------------------------------------------------------------ tables
RESULT_COLUMNS: tuple[str, ...] = (
    "task", "T", "V", "causal", "acausal", "scale", "model", "kind", "cell", "layers", "width", "delay", "params",
    "seed", "epochs", "train_seconds", "test_accuracy", "accuracy_bound", "test_mse", "test_nmse",
)
RUNTIME_COLUMNS: tuple[str, ...] = ("width", "depth", "model", "model_width", "params", "forward_ms",
                                    "forward_backward_ms", "ratio_to_stacked", "ratio_to_bidirectional")


def result_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per training run (reverse and sine), sorted for reading."""
    rows = []
    for rec in records:
        spec = RunSpec.from_dict(rec["spec"])
        if spec.task == "runtime":
            continue
        m, r, tp = spec.model, rec["result"], spec.task_params
        assert m is not None
        row: dict[str, Any] = {c: "" for c in RESULT_COLUMNS}
        row.update(task=spec.task, T=tp["T"], model=m.label, kind=m.kind, cell=m.cell, layers=m.layers,
                   width=m.width, delay=m.delay, params=r["params"], seed=spec.seed, epochs=r["epochs"],
                   train_seconds=round(r["train_seconds"], 1))
        if spec.task == "reverse":
            look = m.delay if m.kind == "delayed" else (tp["T"] - 1 if m.kind == "bidirectional" else 0)
            row.update(V=tp["V"], test_accuracy=round(r["test_accuracy"], 4),
                       accuracy_bound=round(reversal_accuracy_bound(tp["V"], tp["T"], look), 4))
        else:
            row.update(causal=tp["causal"], acausal=tp["acausal"], scale=tp["scale"],
                       test_mse=float(f"{r['test_mse']:.4g}"), test_nmse=float(f"{r['test_nmse']:.4g}"))
        rows.append(row)
    order = {"delayed": 0, "bidirectional": 1, "stacked": 2}
    rows.sort(key=lambda r: (r["task"], str(r["acausal"]), str(r["scale"]), r["cell"] != "lstm", order[r["kind"]],
                             r["layers"], r["delay"], r["seed"]))
    return rows


def runtime_rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (point, model), with the time ratios to the stacked and bidirectional networks."""
    rows = []
    for rec in records:
        if rec["spec"]["task"] != "runtime":
            continue
        r = rec["result"]
        ms = r["models"]
        for name, v in ms.items():
            rows.append({
                "width": r["width"], "depth": r["depth"], "model": name, "model_width": v["width"],
                "params": v["params"], "forward_ms": round(1e3 * v["forward_s"], 3),
                "forward_backward_ms": round(1e3 * v["forward_backward_s"], 3),
                "ratio_to_stacked": round(v["forward_backward_s"] / ms["stacked"]["forward_backward_s"], 3),
                "ratio_to_bidirectional": round(v["forward_backward_s"] / ms["bidirectional"]["forward_backward_s"],
                                                3),
            })
    order = list(_RUNTIME_STYLE)
    rows.sort(key=lambda r: (r["depth"], r["width"], order.index(r["model"]) if r["model"] in order else 99))
    return rows


def write_csv(path: Path, rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """Rows as CSV (atomically replaced)."""
    def write(fh: Any) -> None:
        w = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)

    _write_text_atomic(path, write, newline="")


def _md_table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _mean_sd(values: Sequence[float], fmt: str) -> str:
    if len(values) == 1:
        return format(values[0], fmt)
    return f"{format(float(np.mean(values)), fmt)} ± {format(float(np.std(values, ddof=1)), fmt)}"


def _grouped(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> dict[tuple, list[dict[str, Any]]]:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def markdown_report(records: Sequence[dict[str, Any]], profile: str = "") -> str:
    """The results as Markdown tables (means ± sample s.d. over seeds where there are several)."""
    rows = result_rows(records)
    parts = [f"# Reproduction results{f' (profile {profile})' if profile else ''}", ""]
    rev = [r for r in rows if r["task"] == "reverse"]
    if rev:
        T, V = rev[0]["T"], rev[0]["V"]
        parts += [f"## Sequence reversal (V = {V}, T = {T}; a delay of d >= T - 1 = {T - 1} sees every symbol)", "",
                  "Test accuracy per symbol; *bound* is the best expected accuracy with the model's look-ahead "
                  "(symbols it cannot see are guessed, 1/V).", ""]
        body = []
        for (model, width, params), grp in _grouped(rev, ("model", "width", "params")).items():
            body.append([model, width, params, len(grp), _mean_sd([100 * g["test_accuracy"] for g in grp], ".1f") + "%",
                         f"{100 * grp[0]['accuracy_bound']:.1f}%",
                         _mean_sd([g["epochs"] for g in grp], ".0f"), _mean_sd([g["train_seconds"] for g in grp],
                                                                                ".0f")])
        parts += [_md_table(["model", "width", "parameters", "seeds", "test accuracy", "bound", "epochs",
                             "train time (s)"], body), ""]
    sine = [r for r in rows if r["task"] == "sine"]
    if sine:
        parts += [f"## Sine filtering (T = {sine[0]['T']}, causal taps c = {sine[0]['causal']})", "",
                  "Test error as NMSE = MSE / Var(y_test) (1 = predicting the mean); raw MSE in the CSV.", ""]
        body = []
        for (a, scale, model, width, params), grp in _grouped(
                sine, ("acausal", "scale", "model", "width", "params")).items():
            body.append([a, scale, model, width, params, len(grp), _mean_sd([g["test_nmse"] for g in grp], ".4f"),
                         _mean_sd([g["test_mse"] for g in grp], ".3g"), _mean_sd([g["epochs"] for g in grp], ".0f")])
        parts += [_md_table(["acausal a", "scale", "model", "width", "parameters", "seeds", "test NMSE", "test MSE",
                             "epochs"], body), ""]
    rt = runtime_rows(records)
    if rt:
        first = next(r for r in records if r["spec"]["task"] == "runtime")["result"]
        parts += [f"## Runtime (LSTM, T = {first['T']}, batch {first['batch']}, median of {first['repeats']}, "
                  "one BLAS thread, all models of a row measured in the same run)", "",
                  "Forward+backward time in ms; the ratio is to the stacked network of the same point.", ""]
        body = [[r["depth"], r["width"], r["model"], r["model_width"], r["params"], r["forward_ms"],
                 r["forward_backward_ms"], r["ratio_to_stacked"]] for r in rt]
        parts += [_md_table(["depth", "width", "model", "model width", "parameters", "forward (ms)",
                             "fwd+bwd (ms)", "fwd+bwd / stacked"], body), ""]
    return "\n".join(parts)


# ------------------------------------------------------------------- plots
def _axes(ax: Any, figsize: tuple[float, float] = (7.0, 4.5)) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _plain_log_ticks(axis: Any) -> None:
    """Log-axis ticks at 1, 2, 5 × 10^k labelled as plain numbers (``0.5``, ``2``, ``20``), not ``2×10^0``."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


_CELL_COLOURS = {"lstm": "tab:blue", "elman": "tab:orange"}


def plot_reversal(records: Sequence[dict[str, Any]], ax: Any = None) -> Any:
    """Reversal test accuracy against delay, bidirectional and stacked networks as reference lines.

    Parameters
    ----------
    records : run records (others than reversal are ignored)
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    rows = [r for r in result_rows(records) if r["task"] == "reverse"]
    if not rows:
        raise ValueError("no reversal results to plot")
    ax = _axes(ax)
    T, V = rows[0]["T"], rows[0]["V"]
    delays = sorted({r["delay"] for r in rows if r["kind"] == "delayed"} | {0, T - 1})
    dd = np.arange(0, max(delays) + 1)
    ax.step(dd, [100 * reversal_accuracy_bound(V, T, int(d)) for d in dd], where="post", color="0.55", lw=1.2,
            ls=(0, (1, 1)), label="best possible with look-ahead d")
    ax.axvline(T - 1, color="0.6", lw=1, ls="--", zorder=0, label=f"d = T − 1 = {T - 1}: every symbol seen")
    styles = {"stacked": [":", "-."], "bidirectional": ["--"]}
    for cell in CELLS:
        sub = [r for r in rows if r["cell"] == cell]
        dly = sorted(_grouped([r for r in sub if r["kind"] == "delayed"], ("delay",)).items())
        colour = _CELL_COLOURS[cell]
        name = "LSTM" if cell == "lstm" else "Elman"
        if dly:
            ax.plot([k[0] for k, _ in dly], [100 * np.mean([g["test_accuracy"] for g in grp]) for _, grp in dly],
                    "o-", color=colour, lw=2, ms=6, label=f"d-{name} (width {sub[0]['width']})")
        for kind in ("bidirectional", "stacked"):
            for i, ((model,), grp) in enumerate(_grouped([r for r in sub if r["kind"] == kind], ("model",)).items()):
                acc = 100 * np.mean([g["test_accuracy"] for g in grp])
                ls = styles[kind][i % len(styles[kind])]
                ax.axhline(acc, color=colour, ls=ls, lw=2.0 if kind == "bidirectional" else 1.4,
                           alpha=1.0 if kind == "bidirectional" else 0.75,
                           label=f"{model} (width {grp[0]['width']}): {acc:.1f}%")
    ax.set_xlabel("delay d (steps of look-ahead)")
    ax.set_ylabel("test accuracy per symbol (%)")
    ax.set_ylim(100 / V - 5, 102)  # from just below chance (1/V) to perfect
    ax.set_xlim(-0.3, max(delays) + 0.3)
    ax.set_xticks(delays)
    ax.set_title(f"Sequence reversal (V = {V}, T = {T}): accuracy vs delay")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8.5, loc="lower right", framealpha=0.95)
    return ax


def plot_sine(records: Sequence[dict[str, Any]], fig: Any = None) -> Any:
    """Sine-filtering test NMSE against delay: one panel per scale, one curve per acausal span.

    The bidirectional LSTM of each span is a dashed line of the same colour;
    a vertical dotted line marks ``d = a``.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    rows = [r for r in result_rows(records) if r["task"] == "sine" and r["cell"] == "lstm"]
    if not rows:
        raise ValueError("no sine-filtering results to plot")
    scales = sorted({r["scale"] for r in rows})
    spans = sorted({r["acausal"] for r in rows})
    if fig is None:
        fig = plt.figure(figsize=(4.2 * len(scales) + 0.6, 4.6), layout="constrained")
    axes = fig.subplots(1, len(scales), sharey=True, squeeze=False)[0]
    colours = dict(zip(spans, ["tab:blue", "tab:red", "tab:green", "tab:purple", "tab:brown"] * 4))
    for ax, scale in zip(axes, scales):
        for a in spans:
            sub = [r for r in rows if r["scale"] == scale and r["acausal"] == a]
            if not sub:
                continue
            c = colours[a]
            dly = sorted(_grouped([r for r in sub if r["kind"] == "delayed"], ("delay",)).items())
            ax.plot([k[0] for k, _ in dly], [np.mean([g["test_nmse"] for g in grp]) for _, grp in dly], "o-",
                    color=c, lw=2, label=f"d-LSTM, a = {a}")
            for (model,), grp in _grouped([r for r in sub if r["kind"] == "bidirectional"], ("model",)).items():
                ax.axhline(np.mean([g["test_nmse"] for g in grp]), color=c, ls="--", lw=1.3,
                           label=f"{model}, a = {a}")
            for (model,), grp in _grouped([r for r in sub if r["kind"] == "stacked"], ("model",)).items():
                ax.axhline(np.mean([g["test_nmse"] for g in grp]), color=c, ls="-.", lw=1, alpha=0.6,
                           label=f"{model}, a = {a}")
            ax.axvline(a, color=c, ls=":", lw=1)
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
        ax.set_xlabel("delay d (steps)")
        ax.set_title(f"scale = {scale:g}")
        ax.grid(alpha=0.35, which="major")
        ax.grid(alpha=0.12, which="minor")
    axes[0].set_ylabel("test NMSE (MSE / Var y, log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    seen = dict(zip(labels, handles))
    for ax in axes[1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(lab, h)
    fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center", ncol=min(len(seen), 3),
               fontsize=9)
    c0 = rows[0]["causal"]
    fig.suptitle(f"Sine filtering (T = {rows[0]['T']}, c = {c0} causal taps, a acausal; dotted: d = a): "
                 "test error vs delay")
    return fig


_RUNTIME_STYLE = {
    "stacked": ("tab:gray", "s"), "bidirectional": ("tab:orange", "^"),
    "d-LSTM (construction)": ("tab:blue", "o"), "d-LSTM (dense)": ("tab:green", "D"),
}


def plot_runtime(records: Sequence[dict[str, Any]], fig: Any = None) -> Any:
    """Forward and forward+backward time of the four LSTM networks as width and depth grow.

    Returns
    -------
    matplotlib Figure
        2 × 2 panels: rows forward / forward+backward, columns width sweep /
        depth sweep (log-scaled times).
    """
    import matplotlib.pyplot as plt

    recs = [r["result"] for r in records if r["spec"]["task"] == "runtime"]
    if not recs:
        raise ValueError("no runtime results to plot")
    depths = [r["depth"] for r in recs]
    widths = [r["width"] for r in recs]
    fixed_depth = max(set(depths), key=depths.count)
    fixed_width = max(set(widths), key=widths.count)
    by_width = sorted((r for r in recs if r["depth"] == fixed_depth), key=lambda r: r["width"])
    by_depth = sorted((r for r in recs if r["width"] == fixed_width), key=lambda r: r["depth"])
    if fig is None:
        fig = plt.figure(figsize=(10, 7.5), layout="constrained")
    axes = fig.subplots(2, 2)
    for col, (sweep, key, xlabel) in enumerate(
            [(by_width, "width", f"width per layer (depth {fixed_depth})"),
             (by_depth, "depth", f"depth = number of layers (width {fixed_width})")]):
        for row, (field_, what) in enumerate([("forward_s", "forward"), ("forward_backward_s", "forward + backward")]):
            ax = axes[row, col]
            for name, (colour, marker) in _RUNTIME_STYLE.items():
                ax.plot([r[key] for r in sweep], [1e3 * r["models"][name][field_] for r in sweep], marker=marker,
                        color=colour, lw=1.8, label=name)
            ax.set_yscale("log")
            _plain_log_ticks(ax.yaxis)
            if key == "width":
                ax.set_xscale("log", base=2)
            ax.set_xticks([r[key] for r in sweep], [str(r[key]) for r in sweep])
            ax.set_xlabel(xlabel)
            ax.set_ylabel(f"{what} time (ms)")
            ax.set_title(f"{what}, {'growing width' if key == 'width' else 'growing depth'}")
            ax.grid(alpha=0.3, which="both")
    axes[0, 0].legend(fontsize=9)
    r0 = recs[0]
    fig.suptitle(f"Runtime of LSTM networks (NumPy, T = {r0['T']}, batch {r0['batch']}, one thread, median of "
                 f"{r0['repeats']})\nd-LSTM (construction) equals the stacked network; d-LSTM (dense) has its "
                 "parameter count; both use delay = depth − 1", fontsize=11)
    return fig


def write_outputs(out: str | Path, profile: str = "", dpi: int = 150) -> list[Path]:
    """Tables (CSV, Markdown) and PNG plots of every result under ``OUT/runs``.

    Returns
    -------
    list of Path
        Files written (plots only for the tasks that have results).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    records = load_records(out)
    written = []
    rows = result_rows(records)
    if rows:
        write_csv(out / "results.csv", rows, RESULT_COLUMNS)
        written.append(out / "results.csv")
    rt = runtime_rows(records)
    if rt:
        write_csv(out / "runtime.csv", rt, RUNTIME_COLUMNS)
        written.append(out / "runtime.csv")
    if records:
        md = markdown_report(records, profile)
        _write_text_atomic(out / "results.md", lambda fh: fh.write(md))
        written.append(out / "results.md")
    meta = {"Software": None}
    tasks = {r["spec"]["task"] for r in records}
    if "reverse" in tasks:
        ax = plot_reversal(records)
        ax.figure.savefig(out / "reversal_accuracy_vs_delay.png", dpi=dpi, metadata=meta)
        plt.close(ax.figure)
        written.append(out / "reversal_accuracy_vs_delay.png")
    if any(r["spec"]["task"] == "sine" and r["spec"]["model"]["cell"] == "lstm" for r in records):
        fig = plot_sine(records)
        fig.savefig(out / "sine_error_vs_delay.png", dpi=dpi, metadata=meta)
        plt.close(fig)
        written.append(out / "sine_error_vs_delay.png")
    if "runtime" in tasks:
        fig = plot_runtime(records)
        fig.savefig(out / "runtime.png", dpi=dpi, metadata=meta)
        plt.close(fig)
        written.append(out / "runtime.png")
    return written
