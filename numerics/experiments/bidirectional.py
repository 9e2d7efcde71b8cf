"""From a trained bidirectional network to a streaming one (docs/theory/bidirectional.md).

:func:`conversion_experiment` trains a one-layer bidirectional Elman network
on a task, converts it **without retraining** into single delayed layers
with backward horizons ``h = 0 … T - 1`` (latency ``2h``,
:func:`numerics.models.topology.streaming`), and trains dense d-RNNs with
delays ``d`` directly for comparison (latency and look-ahead ``d``). It
returns plain data (JSON-ready), which ``benchmarks/bidirectional_conversion.py``
stores and :func:`numerics.figures.bidirectional.plot_conversion` draws.

The bidirectional network is trained **without biases** in its recurrent
layer: then a tanh backward cell fed the padding zeros stays at 0, so the
converted network at ``h ≥ T - 1`` equals the trained network exactly
(claim ``bidir-clipped-zero-bias``). The read-out keeps its bias.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from numerics.experiments.specs import ModelSpec, build_model, matched_width, parameter_count
from numerics.experiments.tasks import TaskData, lookahead_needed, make_task
from numerics.models import BidirectionalRNN
from numerics.models.topology import TopologyRNN, backward_contraction, streaming, truncation_error
from numerics.train.loop import evaluate, train
from numerics.train.readout import Readout, count_parameters
from theory._checks import check_choice, check_count
from theory.topology import bidirectional_topology


def as_topology_net(net: BidirectionalRNN, horizon: int = 0) -> TopologyRNN:
    """The same weights as a :class:`TopologyRNN` (Elman, tanh), backward horizons ``horizon``.

    Parameters
    ----------
    net : BidirectionalRNN
        Elman cells with one activation for all layers.
    horizon : int
        Backward horizon of every layer in the topology (the full pass is
        ``TopologyRNN.forward(x, backward="full")`` whatever the horizon).

    Returns
    -------
    TopologyRNN
    """
    if not isinstance(net, BidirectionalRNN):
        raise TypeError(f"net must be a BidirectionalRNN; got {type(net).__name__}")
    if net.cell != "elman" or len(set(net.activations)) != 1:
        raise ValueError(f"only Elman networks with one activation compile; got cell={net.cell!r}, "
                         f"activations={net.activations}")
    top = bidirectional_topology(net.input_size, list(net.hidden_sizes), horizon, str(net.activations[0]))
    return TopologyRNN(top, net.state_dict(), net.bias)


def _score(model: Readout, data: TaskData) -> dict[str, float]:
    split = data.test
    if data.kind == "regression":
        mse = evaluate(model, split.x, split.y, loss="mse")["loss"]
        return {"mse": float(mse), "nmse": float(mse / np.var(split.y))}
    res = evaluate(model, split.x, split.y, loss="cross_entropy")
    return {"cross_entropy": float(res["loss"]), "accuracy": float(res["accuracy"])}


def conversion_experiment(task: str = "sine", *, width: int = 24, delays: tuple[int, ...] = (0, 1, 2, 3, 4, 6),
                          epochs: int = 30, lr: float = 3e-3, batch_size: int = 64, seed: int = 0,
                          task_kwargs: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train a bidirectional Elman network, convert it at every horizon, and train d-RNNs for comparison.

    Parameters
    ----------
    task : {"sine", "reversal"}
    width : int
        Units per direction of the bidirectional layer; the d-RNNs get the
        width with the closest parameter count.
    delays : tuple of int
        Delays of the directly trained dense d-RNNs.
    epochs, lr, batch_size, seed
        Adam with clipping at 1.0 and early stopping (patience 5) on the validation split.
    task_kwargs : dict, optional
        Passed to :func:`numerics.experiments.tasks.make_task`.

    Returns
    -------
    dict
        ``task``, ``task_params``, ``metric`` (``"nmse"`` or ``"accuracy"``),
        ``lookahead_needed``, ``bidirectional`` (score, parameter count,
        ``rho = ‖U_b‖₂``, epochs, seconds), ``converted`` (one row per
        horizon ``h``: ``latency = 2h``, ``units`` of the single layer,
        the largest and mean ``‖ỹ_t - y_t‖₂`` of the recurrent layer's
        output against the full pass over the test set, and the score) and
        ``drnn`` (one row per delay: width, parameters, score, epochs, seconds).
    """
    check_choice(task, ("sine", "reversal"), "task")
    width = check_count(width, "width")
    for d in delays:
        check_count(d, "delays[i]", minimum=0)
    data = make_task(task, **(task_kwargs or {}))
    T, n0, n_out = data.train.x.shape[0], data.input_size, data.output_size
    loss = "mse" if data.kind == "regression" else "cross_entropy"
    metric = "nmse" if data.kind == "regression" else "accuracy"
    fit = {"loss": loss, "val": (data.val.x, data.val.y), "epochs": epochs, "batch_size": batch_size, "lr": lr,
           "clip": 1.0, "patience": 5, "seed": seed, "progress": False}

    t0 = time.perf_counter()
    body = BidirectionalRNN.random(n0, [width], bias=False, seed=seed)
    res = train(Readout.random(body, n_out, seed=seed + 1), data.train.x, data.train.y, **fit)
    bidir: Readout = res.model
    n_params = count_parameters(bidir)
    topo_net = as_topology_net(bidir.body)
    out: dict[str, Any] = {
        "task": task, "task_params": data.params, "metric": metric, "lookahead_needed": lookahead_needed(data),
        "bidirectional": {"width": width, "parameters": n_params, "rho": backward_contraction(topo_net)[1],
                          "epochs": res.epochs, "seconds": time.perf_counter() - t0, **_score(bidir, data)},
        "converted": [], "drnn": [],
    }
    for h in range(T):
        compiled, delayed = streaming(topo_net, h)
        model = Readout(delayed, bidir.weight, bidir.bias)
        err = truncation_error(topo_net, data.test.x, h)
        out["converted"].append({"h": h, "latency": compiled.delay, "lookahead": h, "units": compiled.units,
                                 "state_error_max": float(err.max()), "state_error_mean": float(err.mean()),
                                 **_score(model, data)})

    N = matched_width("delayed", "elman", 1, n_params, n0, n_out)
    for d in delays:
        t0 = time.perf_counter()
        net = build_model(ModelSpec("delayed", "elman", N, 1, d), n0, seed=seed, dtype=data.train.x.dtype)
        res = train(Readout.random(net, n_out, seed=seed + 1), data.train.x, data.train.y, **fit)
        out["drnn"].append({"delay": d, "latency": d, "lookahead": d, "width": N,
                            "parameters": parameter_count(ModelSpec("delayed", "elman", N, 1, d), n0, n_out),
                            "epochs": res.epochs, "seconds": time.perf_counter() - t0, **_score(res.model, data)})
    return out


__all__ = [
    "as_topology_net",
    "conversion_experiment",
]
