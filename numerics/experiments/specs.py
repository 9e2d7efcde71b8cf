"""What one run of the paper's synthetic experiments is: a model, a training budget, a task.

A *run* is one :class:`RunSpec`: a task with its parameters, a model
(:class:`ModelSpec`: stacked, bidirectional or delayed; LSTM or Elman;
layers, width, delay), a seed and a training budget (:class:`TrainConfig`).
Specs are plain frozen data with a JSON round trip, so they travel to worker
processes and name their result files (:attr:`RunSpec.run_id`).

This module also builds the networks a spec names and counts their
parameters, so stacked and bidirectional networks can be given the
parameter budget of the delayed network they are compared with
(:func:`matched_width`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN
from theory._checks import check_choice, check_count, check_type
from theory.layout import GATES, relaxed_plan

KINDS: tuple[str, ...] = ("stacked", "bidirectional", "delayed")
CELLS: tuple[str, ...] = ("lstm", "elman")
#: Task names of :class:`RunSpec`: the two synthetic training tasks of :mod:`numerics.experiments.tasks`, timing,
#: part-of-speech tagging on a treebank (:mod:`numerics.experiments.pos`) and the character-level masked
#: language model on a treebank's text (:mod:`numerics.experiments.mlm`).
TASKS: tuple[str, ...] = ("reversal", "sine", "runtime", "pos", "mlm")
#: The four LSTM networks of a runtime point, in the order tables and plots list them.
RUNTIME_MODELS: tuple[str, ...] = ("stacked", "bidirectional", "d-LSTM (construction)", "d-LSTM (dense)")


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
        check_choice(self.kind, KINDS, "kind")
        check_choice(self.cell, CELLS, "cell")
        for name, minimum in (("width", 1), ("layers", 1), ("delay", 0)):
            # Stored as plain ints so the spec serialises to JSON whatever integer type was given.
            object.__setattr__(self, name, check_count(getattr(self, name), name, minimum))
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
    check_type(spec, ModelSpec, "spec")
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
    check_type(spec, ModelSpec, "spec")
    check_count(input_size, "input_size")
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
    check_type(spec, ModelSpec, "spec")
    return 2 * spec.width if spec.kind == "bidirectional" else spec.width


def parameter_count(spec: ModelSpec, input_size: int, output_size: int) -> int:
    """Recurrent parameters plus the linear read-out ``(output_size, features) + bias``."""
    check_count(output_size, "output_size", minimum=0)
    return recurrent_parameter_count(spec, input_size) + output_size * (output_width(spec) + 1)


def matched_width(kind: str, cell: str, layers: int, target: int, input_size: int, output_size: int) -> int:
    """Width whose total parameter count is closest to ``target`` (ties: the smaller width).

    Used to give stacked and bidirectional networks the parameter budget of
    the delayed network they are compared with.
    """
    check_count(target, "target")
    check_count(input_size, "input_size")
    check_count(output_size, "output_size", minimum=0)
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
    """One training run (task ``reversal``/``sine``) or one timing point (task ``runtime``).

    Attributes
    ----------
    task : {"reversal", "sine", "runtime", "pos", "mlm"}
    task_params : dict
        Keyword arguments of :func:`numerics.experiments.tasks.make_task`; for
        ``runtime`` the sizes ``T``, ``batch``, ``repeats``, ``input_size``;
        for ``pos`` the treebank and the tagger's sizes (:func:`numerics.experiments.pos.plan_pos`); for ``mlm``
        the text, chunking and masking (:func:`numerics.experiments.mlm.plan_mlm`).
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
        check_choice(self.task, TASKS, "task")
        check_type(self.task_params, dict, "task_params")
        if self.task == "runtime":
            if self.width < 1 or self.depth < 1:
                raise ValueError(f"a runtime point needs width >= 1 and depth >= 1; got {self.width}, {self.depth}")
        elif not isinstance(self.model, ModelSpec) or not isinstance(self.train, TrainConfig):
            raise TypeError(f"a {self.task} run needs model=ModelSpec and train=TrainConfig; "
                            f"got {type(self.model).__name__}, {type(self.train).__name__}")
        check_choice(self.dtype, ("float32", "float64"), "dtype")

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-compatible data (the inverse of :meth:`from_dict`)."""
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
        """Rebuild a spec from :meth:`to_dict`'s data."""
        model = None if d.get("model") is None else ModelSpec(**d["model"])
        train = None if d.get("train") is None else TrainConfig(**d["train"])
        return cls(d["task"], dict(d["task_params"]), model, d["seed"], train, d.get("width", 0), d.get("depth", 0),
                   d.get("dtype", "float32"))


__all__ = [
    "CELLS",
    "KINDS",
    "RUNTIME_MODELS",
    "TASKS",
    "ModelSpec",
    "RunSpec",
    "TrainConfig",
    "build_model",
    "matched_width",
    "output_width",
    "parameter_count",
    "recurrent_parameter_count",
]
