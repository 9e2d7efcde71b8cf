"""Experiment profiles: the sizes of one reproduction, and the runs they plan.

:data:`EXPERIMENT_PROFILES` fixes the sizes: ``paper`` follows the paper and
its reference code (T = 20 reversal, 10 000 / 2 000 / 2 000 sequences, 100
LSTM units), ``quick`` shrinks everything to fit in a quarter of an hour on
two cores while keeping the outcomes the paper reports visible, ``smoke``
runs in seconds for the tests. :func:`plan_runs` turns a profile into the
list of :class:`~numerics.experiments.specs.RunSpec` to execute.

(The verification command has its own, unrelated notion of effort; these
are the sizes of experiments only.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from numerics.experiments.specs import TASKS, ModelSpec, RunSpec, TrainConfig, matched_width, parameter_count
from theory._checks import check_choice


@dataclass(frozen=True)
class ExperimentProfile:
    """Sizes of one reproduction.

    Attributes
    ----------
    reversal : dict
        ``V``, ``T``, ``sizes`` of the reversal task.
    reversal_delays : tuple of int
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
    reversal_train_elman : TrainConfig, optional
        Budget of the Elman reversal runs if it differs from ``reversal_train``.
    seeds : tuple of int
        Seeds of every training configuration (at least 3 outside ``smoke``,
        so the tables can show a spread).
    reversal_elman : bool
        Also run the Elman counterparts on reversal.
    sine_width : int, optional
        Width of the delayed networks on the sine task if it differs from ``width``.
    sine_stacked : bool
        Also run a parameter-matched 2-layer stacked network on the sine task
        (the d-LSTM with ``d = 0`` is the one-layer causal reference either way).
    """

    name: str
    reversal: dict[str, Any]
    reversal_delays: tuple[int, ...]
    elman_delays: tuple[int, ...]
    width: int
    stacked_layers: tuple[int, ...]
    reversal_train: TrainConfig
    sine: dict[str, Any]
    sine_grid: tuple[tuple[int, float], ...]
    sine_delays: tuple[int, ...]
    sine_train: TrainConfig
    runtime: dict[str, Any]
    seeds: tuple[int, ...] = (0, 1, 2)
    sine_elman: bool = False
    reversal_elman: bool = True
    sine_width: int | None = None
    sine_stacked: bool = True
    reversal_train_elman: TrainConfig | None = None
    dtype: str = "float32"
    notes: str = field(default="", compare=False)


EXPERIMENT_PROFILES: dict[str, ExperimentProfile] = {
    # The paper's sizes (docs/experiments.md and the reference code): never run in CI; days of CPU time,
    # which is why every run is saved and the command resumes.
    "paper": ExperimentProfile(
        name="paper",
        reversal={"V": 4, "T": 20, "sizes": [10_000, 2_000, 2_000], "seed": 0},
        reversal_delays=(0, 5, 10, 15, 18, 19, 20, 25),
        elman_delays=(0, 10, 19, 25),
        width=100,
        stacked_layers=(1, 2, 3),
        reversal_train=TrainConfig(epochs=1000, batch_size=100, lr=1e-3, clip=1.0, patience=20),
        sine={"T": 30, "causal": 10, "sizes": [10_000, 2_000, 2_000], "seed": 0},
        sine_grid=tuple((a, s) for a in (1, 5, 10) for s in (0.1, 0.5, 1.0, 2.0)),
        sine_delays=(0, 1, 2, 3, 5, 7, 10, 15),
        sine_train=TrainConfig(epochs=1000, batch_size=100, lr=1e-3, clip=1.0, patience=20),
        runtime={"T": 100, "batch": 64, "repeats": 5, "widths": [32, 64, 128, 256, 512], "depths": [1, 2, 3, 4, 6],
                 "fixed_width": 128, "fixed_depth": 3},
        seeds=(0, 1, 2),
        notes="sizes of the paper and its reference code (423 runs: days of CPU time in NumPy; resumable)",
    ),
    # The paper's sizes for the headline comparisons (reversal V = 4, T = 20; sine c = 10, a = 5,
    # scales 0.1 / 1 / 2, T = 30), 3 seeds, sized to finish in about an hour on two cores. Measured
    # before sizing (one worker, d = 19): width 32 reached 89% in 56 epochs on 6 000 sequences (lr 1e-2,
    # early-stopped), width 64 reached 98.7% after 60 epochs (lr 5e-3, still rising; 187 s).
    "standard": ExperimentProfile(
        name="standard",
        reversal={"V": 4, "T": 20, "sizes": [5_000, 1_000, 1_000], "seed": 0},
        reversal_delays=(0, 10, 19),
        elman_delays=(),
        width=64,
        stacked_layers=(2,),
        reversal_train=TrainConfig(epochs=50, batch_size=32, lr=5e-3, clip=1.0, patience=10),
        reversal_elman=False,
        sine={"T": 30, "causal": 10, "sizes": [2_000, 500, 1_000], "seed": 0},
        sine_grid=((5, 0.1), (5, 1.0), (5, 2.0)),
        sine_delays=(0, 5),
        # The machine this profile was sized on turned out to be shared with other jobs (runs took 3-5 times
        # their measured cost), so the sine runs use the quick profile's width 32 and no stacked network.
        sine_width=32,
        sine_stacked=False,
        sine_train=TrainConfig(epochs=40, batch_size=32, lr=5e-3, clip=1.0, patience=10),
        runtime={"T": 50, "batch": 32, "repeats": 5, "widths": [16, 32, 64, 128], "depths": [1, 2, 3, 4, 6],
                 "fixed_width": 64, "fixed_depth": 3},
        seeds=(0, 1, 2),
        notes="paper sizes of the headline comparisons (reversal V = 4, T = 20; sine c = 10, a = 5, scales "
              "0.1/1/2), 3 seeds; reduced: width 64 on reversal and 32 on sine (paper 100), 5 000 / 1 000 / 1 000 "
              "reversal and 2 000 / 500 / 1 000 sine sequences, at most 50 / 40 epochs at lr 5e-3, no Elman runs, "
              "no stacked network on sine",
    ),
    # Fits in < 15 minutes on two cores: reversal at T = 8, smaller widths and splits.
    "quick": ExperimentProfile(
        name="quick",
        reversal={"V": 4, "T": 8, "sizes": [4_000, 500, 1_000], "seed": 0},
        reversal_delays=(0, 4, 6, 7),
        elman_delays=(0, 7),
        width=32,
        stacked_layers=(2,),
        # lr 5e-3 instead of the reference 1e-3: the same optimiser in a tenth of the epochs.
        reversal_train=TrainConfig(epochs=40, batch_size=32, lr=5e-3, clip=1.0, patience=8),
        # An Elman epoch costs about a third of an LSTM epoch, and at 40 epochs the
        # d-Elman with d = T - 1 was still learning (94%; 99.5% after ~90 epochs).
        reversal_train_elman=TrainConfig(epochs=120, batch_size=32, lr=5e-3, clip=1.0, patience=10),
        sine={"T": 30, "causal": 10, "sizes": [2_000, 500, 1_000], "seed": 0},
        sine_grid=((2, 1.0), (5, 1.0)),
        sine_delays=(0, 2, 5),
        # Longer delays than needed learn slowly (they must carry inputs for d - a extra steps):
        # at 30 epochs and lr 5e-3 the d = a + 3 runs had not left their plateau yet.
        sine_train=TrainConfig(epochs=50, batch_size=32, lr=1e-2, clip=1.0, patience=10),
        runtime={"T": 50, "batch": 32, "repeats": 5, "widths": [16, 32, 64, 128], "depths": [1, 2, 3, 4, 6],
                 "fixed_width": 64, "fixed_depth": 3},
        seeds=(0, 1, 2),
        notes="reduced sizes: reversal T = 8 with 4 000 training sequences (lr 5e-3), sine 2 000 (lr 1e-2), "
              "width 32, 3 seeds; fewer delays and sine settings than before seeds were added",
    ),
    # Seconds: for the tests of the runner, the files and the command line.
    "smoke": ExperimentProfile(
        name="smoke",
        reversal={"V": 3, "T": 4, "sizes": [40, 10, 10], "seed": 0},
        reversal_delays=(0, 3),
        elman_delays=(3,),
        width=6,
        stacked_layers=(2,),
        reversal_train=TrainConfig(epochs=2, batch_size=20, lr=1e-2, clip=1.0, patience=2),
        sine={"T": 8, "causal": 3, "sizes": [20, 10, 10], "seed": 0},
        sine_grid=((1, 1.0),),
        sine_delays=(0, 1),
        sine_train=TrainConfig(epochs=2, batch_size=10, lr=1e-2, clip=1.0, patience=2),
        runtime={"T": 6, "batch": 2, "repeats": 1, "widths": [4, 8], "depths": [1, 2],
                 "fixed_width": 4, "fixed_depth": 2},
        notes="tiny sizes for tests",
    ),
}


def comparison_models(cell: str, width: int, layers: Iterable[int], input_size: int,
                      output_size: int) -> list[ModelSpec]:
    """Stacked and bidirectional networks with the parameter budget of a delayed one of ``width``.

    Parameters
    ----------
    cell : {"lstm", "elman"}
    width : int
        Width of the delayed network whose parameter count is matched.
    layers : iterable of int
        Depths of the stacked networks (one each); the bidirectional network has one layer.
    input_size, output_size : int
        Sizes of the task (the read-out counts towards the budget).

    Returns
    -------
    list of ModelSpec
        The bidirectional network first, then the stacked ones in the order of ``layers``.
    """
    target = parameter_count(ModelSpec("delayed", cell, width), input_size, output_size)
    out = [ModelSpec("bidirectional", cell, matched_width("bidirectional", cell, 1, target, input_size,
                                                          output_size), 1)]
    for L in layers:
        out.append(ModelSpec("stacked", cell, matched_width("stacked", cell, L, target, input_size, output_size), L))
    return out


def plan_runs(profile: ExperimentProfile, tasks: Sequence[str]) -> list[RunSpec]:
    """Every run of ``profile`` for the given tasks, in execution order.

    Reversal: d-LSTM over ``reversal_delays``, stacked LSTMs, a bidirectional
    LSTM (parameter-matched), and the Elman counterparts (d-Elman over
    ``elman_delays``, a 2-layer stacked Elman, a bidirectional Elman).
    Sine: for each ``(acausal, scale)`` of ``sine_grid``, the d-LSTM over
    ``sine_delays``, a 2-layer stacked and a bidirectional LSTM. Runtime: a
    width sweep at ``fixed_depth`` and a depth sweep at ``fixed_width``.
    """
    runs: list[RunSpec] = []
    dt = profile.dtype
    for task in tasks:
        check_choice(task, TASKS, "task")
    if "reversal" in tasks:
        V = int(profile.reversal["V"])
        models: list[ModelSpec] = [ModelSpec("delayed", "lstm", profile.width, 1, d) for d in profile.reversal_delays]
        models += comparison_models("lstm", profile.width, profile.stacked_layers, V, V)
        elman: list[ModelSpec] = []
        if profile.reversal_elman:
            elman = [ModelSpec("delayed", "elman", profile.width, 1, d) for d in profile.elman_delays]
            elman += comparison_models("elman", profile.width, profile.stacked_layers[:1], V, V)
        elman_train = profile.reversal_train_elman or profile.reversal_train
        runs += [RunSpec("reversal", dict(profile.reversal), m, s, elman_train if m.cell == "elman" else
                         profile.reversal_train, dtype=dt) for s in profile.seeds for m in models + elman]
    if "sine" in tasks:
        for a, scale in profile.sine_grid:
            tp = {**profile.sine, "acausal": a, "scale": scale}
            w = profile.sine_width or profile.width
            stacked = profile.stacked_layers[:1] if profile.sine_stacked else ()
            models = [ModelSpec("delayed", "lstm", w, 1, d) for d in profile.sine_delays]
            models += comparison_models("lstm", w, stacked, 1, 1)
            if profile.sine_elman:
                models += [ModelSpec("delayed", "elman", w, 1, d) for d in profile.sine_delays]
                models += comparison_models("elman", w, stacked, 1, 1)
            runs += [RunSpec("sine", tp, m, s, profile.sine_train, dtype=dt) for s in profile.seeds for m in models]
    if "runtime" in tasks:
        rt = profile.runtime
        tp = {k: rt[k] for k in ("T", "batch", "repeats")}
        points = [(w, rt["fixed_depth"]) for w in rt["widths"]]
        points += [(rt["fixed_width"], L) for L in rt["depths"] if (rt["fixed_width"], L) not in points]
        runs += [RunSpec("runtime", tp, None, 0, None, width=w, depth=L, dtype=dt) for w, L in points]
    return runs


__all__ = [
    "EXPERIMENT_PROFILES",
    "ExperimentProfile",
    "comparison_models",
    "plan_runs",
]
