"""The fuzz targets: dotted public name -> (callable, valid keyword arguments).

:func:`targets` builds the table from the core API (layouts, models, engine,
training, experiments' specs and tasks, ``numerics.testing``) and merges the
per-area tables of ``fuzz_targets_areas.py`` and the in-place-edit scenarios.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fuzz_targets_areas import (
    figure_targets,
    pos_targets,
    record_targets,
    strategy_targets,
    symbolic_targets,
)
from fuzz_targets_mlm import mlm_targets


def targets() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Fuzz targets: dotted public name -> (callable, valid keyword arguments)."""
    import numpy as np

    from numerics.engine.layer import layer_backward, layer_forward
    from numerics.engine.params import LayerParams
    from numerics.engine.registry import schedule_names
    from numerics.experiments import specs, tasks
    from numerics.experiments.bidirectional import as_topology_net
    from numerics.models import BidirectionalRNN, DelayedRNN, StackedRNN, assemble, delayed_gru, disassemble
    from numerics.models.jacobian import input_jacobian
    from numerics.models.topology import (
        TopologyRNN,
        backward_contraction,
        compiled_delayed,
        streaming,
        truncation_bound,
        truncation_error,
    )
    from numerics.testing import assert_equivalent, assert_gradients_match, default_tolerance, first_difference
    from numerics.train import loop, losses, optim, readout
    from theory import latex, layout, receptive, topologies, topology

    net = StackedRNN.random(2, [3], cell="lstm", seed=0)
    gru = StackedRNN.random(2, [3, 2], cell="gru", seed=0)
    elman = StackedRNN.random(2, [3, 2], cell="elman", seed=0)
    bi = BidirectionalRNN.random(2, [3], cell="elman", seed=0)
    dnet = net.to_delayed()
    plan = dnet.plan
    x = np.zeros((4, 2, 2))
    _, cache = net.forward(x)
    dy = np.ones((4, 2, 3))
    _, dcache = dnet.forward(x)
    dys = np.ones((4, 2, dnet.output_size))
    ro = readout.Readout.random(elman, 3, seed=0)
    _, rcache = ro.forward(x)
    p0 = net.layers[0]
    p0_grad = dataclasses.replace(p0.map(np.zeros_like), weight_hh=np.ones_like(p0.weight_hh))
    h0 = np.zeros((2, 3))
    _, lcache = layer_forward("lstm", p0, x, h0, h0)
    logits = np.zeros((4, 2, 3))
    labels = np.zeros((4, 2), dtype=np.int64)
    top = topology.stacked_topology(1, [2, 2])
    tnet = TopologyRNN.random(top, seed=0)
    btop = topology.bidirectional_topology(2, [3], horizon=1)
    bnet = TopologyRNN.random(btop, seed=0)
    spec = specs.ModelSpec("stacked", "lstm", 4, 1, 0)
    g = {"w": np.ones(2)}
    a = np.zeros((3, 2))

    def m(obj: Any, name: str) -> Any:
        return getattr(obj, name)

    t: dict[str, tuple[Any, dict[str, Any]]] = {
        # theory.layout
        "theory.layout.stacked_plan": (layout.stacked_plan, dict(cell="elman", input_size=1, hidden_sizes=[2, 2])),
        "theory.layout.relaxed_plan": (
            layout.relaxed_plan,
            dict(
                cell="elman",
                input_size=1,
                widths=[2, 2],
                recurrent_mask=[[True, False], [True, True]],
                input_mask=[True, False],
                delay=1,
            ),
        ),
        "theory.layout.check_plan": (layout.check_plan, dict(plan=plan)),
        "theory.layout.block_matrix": (layout.block_matrix, dict(plan=plan, matrix="weight_hh", gate=None)),
        "theory.layout.bias_vector": (layout.bias_vector, dict(plan=plan, gate=None)),
        "theory.layout.plan_latex": (layout.plan_latex, dict(plan=plan)),
        "theory.layout.plan_html": (layout.plan_html, dict(plan=plan)),
        "theory.layout.layer_param": (layout.layer_param, dict(kind="weight_ih", layer=0, reverse=False)),
        "theory.layout.param_symbol": (layout.param_symbol, dict(source="weight_ih_l0", gate="")),
        "theory.layout.bias_symbol": (layout.bias_symbol, dict(layer=1, gate="")),
        "theory.layout.Plan.span": (m(plan, "span"), dict(block=0)),
        "theory.layout.Plan.shift": (m(plan, "shift"), dict(edge=plan.recurrent[0])),
        "theory.layout.Plan.readout_units": (m(plan, "readout_units"), {}),
        "theory.layout.Plan.recurrent_block_mask": (m(plan, "recurrent_block_mask"), {}),
        "theory.layout.Plan.input_block_mask": (m(plan, "input_block_mask"), {}),
        "theory.layout.Plan.weight_hh_mask": (m(plan, "weight_hh_mask"), {}),
        "theory.layout.Plan.weight_ih_mask": (m(plan, "weight_ih_mask"), {}),
        "theory.layout.Plan.placements": (m(plan, "placements"), {}),
        "theory.layout.Plan.summary": (m(plan, "summary"), {}),
        # theory.latex, receptive, topology
        "theory.latex.stacked_equations": (latex.stacked_equations, dict(plan=plan)),
        "theory.latex.stacked_latex": (latex.stacked_latex, dict(plan=plan)),
        "theory.latex.unrolled_equations": (latex.unrolled_equations, dict(plan=plan)),
        "theory.receptive.dependency_matrix": (receptive.dependency_matrix, dict(plan=plan)),
        "theory.receptive.block_fields": (receptive.block_fields, dict(plan=plan, steps=3)),
        "theory.receptive.receptive_field": (receptive.receptive_field, dict(plan=plan, steps=3)),
        "theory.receptive.field_lookahead": (receptive.field_lookahead, dict(field=np.eye(3, dtype=bool))),
        "theory.receptive.shortest_input_path": (receptive.shortest_input_path, dict(plan=plan)),
        "theory.receptive.lookahead": (receptive.lookahead, dict(plan=plan)),
        "theory.receptive.lookahead_from_lags": (receptive.lookahead_from_lags, dict(plan=plan)),
        "theory.receptive.unrolled_reach": (receptive.unrolled_reach, dict(
            plan=plan, weight_hh=plan.weight_hh_mask() * 1.0, weight_ih=plan.weight_ih_mask() * 1.0, steps=3)),
        "theory.receptive.unrolled_field": (receptive.unrolled_field, dict(
            plan=plan, weight_hh=plan.weight_hh_mask() * 1.0, weight_ih=plan.weight_ih_mask() * 1.0, steps=3)),
        "theory.receptive.min_steps": (receptive.min_steps, dict(plan=plan)),
        "theory.topology.stacked_topology": (topology.stacked_topology, dict(input_size=1, widths=[2, 2])),
        "theory.topology.skip_topology": (topology.skip_topology, dict(input_size=1, widths=[2, 2], skip=1)),
        "theory.topology.dense_topology": (topology.dense_topology, dict(input_size=1, widths=[2, 2])),
        "theory.topology.bidirectional_topology": (
            topology.bidirectional_topology,
            dict(input_size=1, widths=[2, 2], horizon=1),
        ),
        "theory.topology.compile_topology": (topology.compile_topology, dict(top=top)),
        "theory.topology.reference_field": (topology.reference_field, dict(top=top, steps=3)),
        "theory.topology.Topology.source_width": (m(top, "source_width"), dict(k=0)),
        "theory.topology.Topology.input_width": (m(top, "input_width"), dict(l=1)),
        "theory.topology.Topology.param_shapes": (m(top, "param_shapes"), dict(bias=True)),
        "theory.topology.Compiled.report": (m(topology.compile_topology(top), "report"), {}),
        "theory.topologies.shift_kind": (topologies.shift_kind, dict(shift=1)),
        "theory.topologies.topology_patterns": (topologies.topology_patterns, dict(L=3, width=2, input_size=1)),
        # numerics.engine
        "numerics.engine.layer.layer_forward": (layer_forward, dict(cell="lstm", params=p0, x=x, h0=h0, c0=h0)),
        "numerics.engine.layer.layer_backward": (layer_backward, dict(cache=lcache, dh_out=dy)),
        "numerics.engine.params.LayerParams": (LayerParams, dict(weight_ih=np.ones((3, 2)), weight_hh=np.ones((3, 3)))),
        "numerics.engine.select.prefer_wavefront": (
            __import__("numerics.engine.select", fromlist=["x"]).prefer_wavefront,
            dict(plan=plan),
        ),
        "numerics.engine.cost.schedule_costs": (
            __import__("numerics.engine.cost", fromlist=["x"]).schedule_costs,
            dict(plan=plan, batch=2, steps=4, schedules=("dense", "wavefront", "layers")),
        ),
        "numerics.engine.cost.figures": (
            __import__("numerics.engine.cost", fromlist=["x"]).figures, dict(cell="gru", schedule="blocks"),
        ),
        "numerics.engine.select.cheapest": (
            __import__("numerics.engine.select", fromlist=["x"]).cheapest,
            dict(plan=plan, batch=2, steps=4, schedules=("dense", "wavefront", "layers")),
        ),
        # numerics.models
        "numerics.models.stacked.StackedRNN": (
            StackedRNN,
            dict(cell="lstm", layers=net.layers, activations=net.activations),
        ),
        "numerics.models.stacked.StackedRNN.random": (
            StackedRNN.random,
            dict(input_size=2, hidden_sizes=[3], cell="elman", seed=0, scale=0.5, dtype=np.float64),
        ),
        "numerics.models.stacked.StackedRNN.from_state_dict": (
            StackedRNN.from_state_dict,
            dict(state_dict=net.state_dict(), cell="lstm"),
        ),
        "numerics.models.stacked.StackedRNN.state_dict": (m(net, "state_dict"), {}),
        "numerics.models.stacked.StackedRNN.astype": (m(net, "astype"), dict(dtype=np.float32)),
        "numerics.models.stacked.StackedRNN.initial_states": (m(net, "initial_states"), dict(h0=None, batch=2)),
        "numerics.models.stacked.StackedRNN.forward": (m(net, "forward"), dict(x=x, h0=None)),
        "numerics.models.stacked.StackedRNN.backward": (m(net, "backward"), dict(cache=cache, dy=dy)),
        "numerics.models.stacked.StackedRNN.plan": (m(net, "plan"), dict(start="staggered")),
        "numerics.models.stacked.StackedRNN.to_delayed": (m(net, "to_delayed"), dict(start="zero")),
        "numerics.models.stacked.StackedRNN.from_delayed": (StackedRNN.from_delayed, dict(net=dnet)),
        "numerics.models.stacked.StackedRNN.warmup_states": (m(net, "warmup_states"), {}),
        "numerics.models.stacked.BidirectionalRNN": (
            BidirectionalRNN,
            dict(
                cell="elman",
                forward_layers=bi.forward_layers,
                backward_layers=bi.backward_layers,
                activations=bi.activations,
            ),
        ),
        "numerics.models.stacked.BidirectionalRNN.random": (
            BidirectionalRNN.random,
            dict(input_size=2, hidden_sizes=[3], cell="lstm", seed=0),
        ),
        "numerics.models.stacked.BidirectionalRNN.from_state_dict": (
            BidirectionalRNN.from_state_dict,
            dict(state_dict=bi.state_dict(), cell="elman"),
        ),
        "numerics.models.stacked.BidirectionalRNN.state_dict": (m(bi, "state_dict"), {}),
        "numerics.models.stacked.BidirectionalRNN.astype": (m(bi, "astype"), dict(dtype=np.float32)),
        "numerics.models.stacked.BidirectionalRNN.initial_states": (m(bi, "initial_states"), dict(h0=None, batch=2)),
        "numerics.models.stacked.BidirectionalRNN.forward": (m(bi, "forward"), dict(x=x, h0=None)),
        "numerics.models.stacked.BidirectionalRNN.backward": (
            m(bi, "backward"),
            dict(cache=bi.forward(x)[1], dy=np.ones((4, 2, bi.output_size))),
        ),
        "numerics.models.delayed.DelayedRNN": (DelayedRNN, dict(plan=plan, params=dnet.params)),
        "numerics.models.delayed.DelayedRNN.random": (DelayedRNN.random, dict(plan=plan, seed=0, scale=0.5)),
        "numerics.models.delayed.DelayedRNN.from_weights": (
            DelayedRNN.from_weights,
            dict(weight_ih=dnet.params.weight_ih, weight_hh=dnet.params.weight_hh, delay=0, cell="lstm"),
        ),
        "numerics.models.delayed.DelayedRNN.state_dict": (m(dnet, "state_dict"), {}),
        "numerics.models.delayed.DelayedRNN.astype": (m(dnet, "astype"), dict(dtype=np.float32)),
        "numerics.models.delayed.DelayedRNN.initial_states": (m(dnet, "initial_states"), dict(h0=None, batch=2)),
        "numerics.models.delayed.DelayedRNN.engine": (m(dnet, "engine"), dict(engine="auto", batch=2, steps=4)),
        "numerics.models.delayed.DelayedRNN.schedules": (m(dnet, "schedules"), {}),
        "numerics.engine.registry.schedule_names": (schedule_names, {}),
        "numerics.models.delayed.DelayedRNN.forward": (m(dnet, "forward"), dict(x=x, h0=None, engine="auto")),
        "numerics.models.delayed.DelayedRNN.states": (m(dnet, "states"), dict(x=x, h0=None)),
        "numerics.models.delayed.DelayedRNN.readout": (m(dnet, "readout"), dict(states=np.zeros((4, 2, 3)))),
        "numerics.models.delayed.DelayedRNN.backward": (m(dnet, "backward"), dict(cache=dcache, dy=dys)),
        "numerics.models.construction.assemble": (assemble, dict(plan=plan, state_dict=net.state_dict())),
        "numerics.models.construction.disassemble": (disassemble, dict(plan=plan, params=dnet.params)),
        "numerics.models.gru.delayed_gru": (delayed_gru, dict(net=gru, reset="full", start="staggered")),
        "numerics.models.jacobian.input_jacobian": (input_jacobian, dict(net=elman, x=np.zeros((4, 1, 2)), h0=None)),
        "numerics.models.topology.TopologyRNN": (TopologyRNN, dict(topology=top, params=tnet.params)),
        "numerics.models.topology.TopologyRNN.random": (TopologyRNN.random, dict(topology=top, seed=0, scale=1.0)),
        "numerics.models.topology.TopologyRNN.forward": (m(tnet, "forward"), dict(x=np.zeros((4, 2, 1)))),
        "numerics.models.topology.TopologyRNN.layer_outputs": (m(tnet, "layer_outputs"), dict(x=np.zeros((4, 2, 1)))),
        "numerics.models.topology.compiled_delayed": (compiled_delayed, dict(net=tnet)),
        "numerics.models.topology.backward_contraction": (backward_contraction, dict(net=bnet)),
        "numerics.models.topology.streaming": (streaming, dict(net=bnet, horizon=1)),
        "numerics.models.topology.truncation_error": (truncation_error, dict(net=bnet, x=np.zeros((4, 2, 2)),
                                                                              horizon=1)),
        "numerics.models.topology.truncation_bound": (truncation_bound, dict(rho=0.5, width=3, horizon=1, steps=4)),
        "numerics.experiments.bidirectional.as_topology_net": (as_topology_net, dict(net=bi, horizon=1)),
        "theory.topology.with_horizon": (topology.with_horizon, dict(top=btop, horizon=1)),
        # numerics.train
        "numerics.train.readout.Readout": (readout.Readout, dict(body=elman, weight=ro.weight, bias=ro.bias)),
        "numerics.train.readout.Readout.random": (readout.Readout.random, dict(body=elman, output_size=3, seed=0)),
        "numerics.train.readout.Readout.forward": (m(ro, "forward"), dict(x=x, h0=None)),
        "numerics.train.readout.Readout.backward": (m(ro, "backward"), dict(cache=rcache, dy=logits)),
        "numerics.train.readout.Readout.state_dict": (m(ro, "state_dict"), {}),
        "numerics.train.readout.load_state_dict": (readout.load_state_dict, dict(model=ro, state_dict=ro.state_dict())),
        "numerics.train.readout.count_parameters": (readout.count_parameters, dict(model=ro)),
        "numerics.train.readout.check_model": (readout.check_model, dict(model=ro)),
        "numerics.train.losses.check_mask": (losses.check_mask, dict(mask=np.ones((4, 2), bool), shape=(4, 2))),
        "numerics.train.losses.check_class_targets": (
            losses.check_class_targets,
            dict(targets=labels, shape=(4, 2), classes=3),
        ),
        "numerics.train.losses.mse": (losses.mse, dict(y=logits, target=logits, mask=None)),
        "numerics.train.losses.log_softmax": (losses.log_softmax, dict(logits=logits)),
        "numerics.train.losses.softmax_cross_entropy": (
            losses.softmax_cross_entropy,
            dict(logits=logits, targets=labels, mask=None),
        ),
        "numerics.train.losses.accuracy": (losses.accuracy, dict(logits=logits, targets=labels, mask=None)),
        "numerics.train.optim.global_norm": (optim.global_norm, dict(grads=g)),
        "numerics.train.optim.clip_grad_norm": (optim.clip_grad_norm, dict(grads=g, max_norm=1.0)),
        "numerics.train.optim.Adam": (optim.Adam, dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8)),
        "numerics.train.optim.Adam.step": (lambda **k: optim.Adam().step(**k), dict(params=g, grads=g)),
        "numerics.train.loop.train": (
            loop.train,
            dict(model=ro, x=x, y=logits, loss="mse", epochs=1, batch_size=2, lr=1e-3, clip=1.0, patience=None, seed=0),
        ),
        "numerics.train.loop.evaluate": (loop.evaluate, dict(model=ro, x=x, y=logits, loss="mse", batch_size=2)),
        "numerics.train.loop.predict": (loop.predict, dict(model=ro, x=x, batch_size=2)),
        # numerics.experiments
        "numerics.experiments.tasks.reversal": (tasks.reversal, dict(V=3, T=4, sizes=(5, 2, 2), seed=0)),
        "numerics.experiments.tasks.sine": (tasks.sine, dict(T=6, causal=2, acausal=1, sizes=(4, 2, 2), seed=0)),
        "numerics.experiments.tasks.make_task": (tasks.make_task, dict(name="reversal", V=3, T=4, sizes=(5, 2, 2))),
        "numerics.experiments.tasks.reversal_targets": (tasks.reversal_targets, dict(symbols=labels)),
        "numerics.experiments.tasks.sine_targets": (
            tasks.sine_targets,
            dict(x=np.zeros((4, 2)), w=np.ones(3), causal=2, scale=0.1),
        ),
        "numerics.experiments.tasks.reversal_accuracy_bound": (tasks.reversal_accuracy_bound, dict(V=3, T=4, delay=1)),
        "numerics.experiments.specs.ModelSpec": (specs.ModelSpec, dict(kind="stacked", cell="lstm", width=4, layers=1)),
        "numerics.experiments.specs.build_model": (specs.build_model, dict(spec=spec, input_size=2, seed=0)),
        "numerics.experiments.specs.parameter_count": (
            specs.parameter_count,
            dict(spec=spec, input_size=2, output_size=3),
        ),
        "numerics.experiments.specs.recurrent_parameter_count": (
            specs.recurrent_parameter_count,
            dict(spec=spec, input_size=2),
        ),
        "numerics.experiments.specs.output_width": (specs.output_width, dict(spec=spec)),
        "numerics.experiments.specs.matched_width": (
            specs.matched_width,
            dict(kind="stacked", cell="lstm", layers=1, target=200, input_size=2, output_size=3),
        ),
        # numerics.testing: the API users put in their own test suites
        "numerics.testing.assert_equivalent": (assert_equivalent, dict(a=net, b=dnet, x=x)),
        "numerics.testing.first_difference": (first_difference, dict(a=a, b=a, rtol=0.0, atol=0.0)),
        "numerics.testing.default_tolerance": (default_tolerance, dict(dtype=np.float64)),
        "numerics.testing.assert_gradients_match": (
            assert_gradients_match,
            dict(loss=lambda q: float(q.weight_hh.sum()), params=p0, grads=p0_grad, masks=None,
                 eps=1e-6, tol=1e-6, samples=2)),
    }
    t.update(pos_targets())
    t.update(mlm_targets())
    t.update(symbolic_targets(plan))
    t.update(figure_targets(net, dnet))
    t.update(strategy_targets(net, x))
    t.update(record_targets(plan, top))
    from numerics.models.torch_io import from_torch

    t["numerics.models.torch_io.from_torch"] = (from_torch, dict(state_dict=net.state_dict(), mode="LSTM"))
    t.update(edit_targets(net, bi, dnet, x, dy))
    return t


#: Prefix of targets that are scenarios over several public calls, not one public name.
SCENARIO = "scenario:"


def edit_targets(net: Any, bi: Any, dnet: Any, x: Any, dy: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """forward, then in-place edits of the caller's input buffer and of the output, then backward.

    The gradients must equal those of an untouched run, and the output must refuse the edit
    (issue 22: they changed silently before). Any model, every schedule of the delayed network.
    """
    import numpy as np

    def scenario(model: Any, kw: dict[str, Any]) -> Any:
        valid_x, valid_dy = x, dy

        def run(x: Any, dy: Any) -> None:
            # When x is the malformed argument and forward accepts it (an empty sequence, say), the valid
            # dy no longer fits the output; backward must then see a dy of the output's shape.
            refit = x is not valid_x and dy is valid_dy
            # The valid x is shared by every call, so the scenario edits its own copy; a huge (broadcast)
            # x is not copied here, so the model's own size check meets it first.
            if isinstance(x, np.ndarray) and x.size <= 10**6:
                x = x.copy()
            y, cache = model.forward(x, **kw)
            _, ref_cache = model.forward(np.array(x, copy=True), **kw)
            if isinstance(x, np.ndarray) and x.flags.writeable:
                x[...] = 7  # the caller refills its buffer
            try:
                y[...] = 0
            except ValueError:
                pass
            else:
                raise AssertionError("forward's output accepted an in-place edit")
            if refit:
                dy = np.ones(y.shape)
            got, ref = model.backward(cache, dy), model.backward(ref_cache, dy)
            np.testing.assert_array_equal(got[0], ref[0])
            for k, v in ref[1].state_dict().items():
                np.testing.assert_array_equal(got[1].state_dict()[k], v)
        return run

    t = {f"{SCENARIO}StackedRNN.edit": (scenario(net, {}), dict(x=x, dy=dy)),
         f"{SCENARIO}BidirectionalRNN.edit": (scenario(bi, {}), dict(x=x, dy=np.ones((4, 2, 2 * bi.hidden_sizes[-1]))))}
    for name in dnet.schedules():
        t[f"{SCENARIO}DelayedRNN.edit[{name}]"] = (scenario(dnet, {"engine": name}), dict(x=x, dy=dy))
    return t
