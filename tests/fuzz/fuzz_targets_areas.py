"""Fuzz targets per area: part-of-speech tagging, SymPy unrolling, figures, hypothesis strategies, records."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any


def pos_targets() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Part-of-speech tagging (issue 20): treebank reader, vocabulary, batches, tagger pieces, profiles."""
    import numpy as np

    from numerics.experiments import pos, treebank
    from numerics.experiments.specs import ModelSpec
    from numerics.models import StackedRNN
    from numerics.train import tagger

    d = Path(tempfile.mkdtemp(prefix="drnn-fuzz-ud-"))
    line = "1\tGo\tgo\tVERB\t_\t_\t0\troot\t_\t_\n2\t!\t!\tPUNCT\t_\t_\t1\tpunct\t_\t_\n\n"
    for split in treebank.SPLITS:
        (d / f"xx-ud-{split}.conllu").write_text(line)
    sent = treebank.Sentence(("Go", "!"), ("VERB", "PUNCT"))
    v = treebank.Vocabulary.build([sent], min_count=1)
    (batch,) = treebank.make_batches([sent], v, 2)
    emb = tagger.Embedding.random(4, 2, seed=0)
    enc = tagger.CharEncoder.random(5, 2, 3, seed=0)
    ch = np.array([[[1]], [[2]]])
    _, ccache = enc.forward(ch, np.array([[2]]))
    body = StackedRNN.random(2, [3], cell="lstm", seed=0)
    tg = tagger.Tagger.random(body, 4, 2, 3, seed=0)
    ids, lengths = np.array([[1], [2]]), np.array([2])
    _, tcache = tg.forward(ids, lengths)
    tb = treebank.load_treebank(d)
    m = getattr
    prof = pos.POS_PROFILES["smoke"]
    return {
        "numerics.train.tagger.Embedding": (tagger.Embedding, dict(weight=np.ones((3, 2)))),
        "numerics.train.tagger.Embedding.random": (tagger.Embedding.random,
                                                   dict(num_embeddings=3, dim=2, seed=0, scale=1.0)),
        "numerics.train.tagger.Embedding.forward": (m(emb, "forward"), dict(ids=np.array([[0, 1]]))),
        "numerics.train.tagger.Embedding.backward": (m(emb, "backward"),
                                                     dict(ids=np.array([[0, 1]]), dy=np.ones((1, 2, 2)))),
        "numerics.train.tagger.CharEncoder": (tagger.CharEncoder, dict(embedding=enc.embedding, rnn=enc.rnn)),
        "numerics.train.tagger.CharEncoder.random": (tagger.CharEncoder.random,
                                                     dict(num_chars=5, dim=2, width=3, seed=0)),
        "numerics.train.tagger.CharEncoder.forward": (m(enc, "forward"), dict(chars=ch, lengths=np.array([[2]]))),
        "numerics.train.tagger.CharEncoder.backward": (m(enc, "backward"), dict(cache=ccache, dy=np.ones((1, 1, 3)))),
        "numerics.train.tagger.Tagger": (tagger.Tagger, dict(embedding=tg.embedding, body=body, weight=tg.weight,
                                                             bias=tg.bias, chars=None)),
        "numerics.train.tagger.Tagger.random": (tagger.Tagger.random,
                                                dict(body=body, vocab_size=4, embedding_dim=2, tags=3, seed=0)),
        "numerics.train.tagger.Tagger.forward": (m(tg, "forward"), dict(ids=ids, lengths=lengths)),
        "numerics.train.tagger.Tagger.backward": (m(tg, "backward"), dict(cache=tcache, dy=np.ones((2, 1, 3)))),
        "numerics.train.tagger.Tagger.state_dict": (m(tg, "state_dict"), {}),
        "numerics.train.tagger.Tagger.load_state_dict": (m(tg, "load_state_dict"), dict(sd=tg.state_dict())),
        "numerics.train.tagger.Tagger.parameter_count": (m(tg, "parameter_count"), {}),
        "numerics.train.tagger.evaluate_tagger": (tagger.evaluate_tagger, dict(model=tg, batches=[batch])),
        "numerics.train.tagger.train_tagger": (tagger.train_tagger, dict(
            model=tagger.Tagger.random(body, len(v), 2, 17, seed=0), make_epoch=lambda rng: [batch], val=None,
            epochs=1, lr=1e-3, clip=1.0, seed=0)),
        "numerics.experiments.treebank.read_conllu": (treebank.read_conllu, dict(path=d / "xx-ud-test.conllu")),
        "numerics.experiments.treebank.find_treebank_files": (treebank.find_treebank_files, dict(directory=d)),
        "numerics.experiments.treebank.bundled_treebank_dir": (treebank.bundled_treebank_dir, {}),
        "numerics.experiments.treebank.Treebank.words": (m(tb, "words"), dict(split="test")),
        "numerics.experiments.treebank.Vocabulary.build": (treebank.Vocabulary.build,
                                                           dict(sentences=[sent], min_count=1, lower=False)),
        "numerics.experiments.treebank.Vocabulary.index": (m(v, "index"), {}),
        "numerics.experiments.treebank.Vocabulary.encode": (m(v, "encode"), dict(forms=["Go"], index=None)),
        "numerics.experiments.treebank.char_vocabulary": (treebank.char_vocabulary,
                                                          dict(sentences=[sent], min_count=1)),
        "numerics.experiments.treebank.majority_tags": (treebank.majority_tags, dict(train=[sent])),
        "numerics.experiments.treebank.make_batches": (treebank.make_batches, dict(
            sentences=[sent], vocab=v, batch_size=2, order=None, chars=None, max_word_length=5)),
        "numerics.experiments.pos.bucketed_batches": (pos.bucketed_batches, dict(
            sentences=[sent], vocab=v, batch_size=2, rng=np.random.default_rng(0), chars=None, pool=2)),
        "numerics.experiments.pos.check_profile": (pos.check_profile, dict(name="smoke")),
        "numerics.experiments.pos.latency_steps": (pos.latency_steps, dict(model=ModelSpec("delayed", delay=2),
                                                                           lengths=[3, 5])),
        "numerics.experiments.pos.majority_baseline": (pos.majority_baseline, dict(train=[sent], test=[sent])),
        "numerics.experiments.pos.plan_pos": (pos.plan_pos, dict(profile=prof, treebank=None)),
        "numerics.experiments.pos.pos_models": (pos.pos_models, dict(profile=prof)),
        "numerics.experiments.pos.unpack_correct": (pos.unpack_correct, dict(text="4A==", words=3)),
    }


def strategy(factory: Any) -> Any:
    """Call a hypothesis strategy factory and resolve the strategy (a lazy one checks its arguments then)."""

    def call(**kwargs: Any) -> Any:
        return factory(**kwargs).validate()

    call.__name__ = factory.__name__
    return call


def symbolic_targets(plan: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """SymPy unrolling and the induction proof, at the smallest sizes (milliseconds per call)."""
    import random

    import theory.topology_symbolic as tsym
    from theory import induction, symbolic
    from theory.topology import bidirectional_topology, compile_topology

    case_plan, case_params, _ = symbolic.build_case("elman", [1, 1], 2)
    sym_top = bidirectional_topology(1, [1], 1)
    sym_compiled = compile_topology(sym_top)
    return {
        "theory.symbolic.stacked_symbols": (symbolic.stacked_symbols, dict(cell="elman", input_size=1, widths=[1, 1])),
        "theory.symbolic.input_symbols": (symbolic.input_symbols, dict(steps=2, input_size=1)),
        "theory.symbolic.state_symbols": (symbolic.state_symbols, dict(prefix="h", widths=[1, 1])),
        "theory.symbolic.assemble": (symbolic.assemble, dict(plan=case_plan, params=case_params)),
        "theory.symbolic_run.clear_interned": (symbolic.clear_interned, {}),
        "theory.symbolic_run.uninterpreted": (symbolic.uninterpreted, dict(layers=2, zero_fixed=False)),
        "theory.symbolic.build_case": (
            symbolic.build_case,
            dict(cell="elman", widths=[1, 1], steps=2, input_size=1, start="staggered"),
        ),
        "theory.symbolic.check_identity": (
            symbolic.check_identity,
            dict(cell="lstm", widths=[1, 1], steps=2, input_size=1, start="staggered", reset="all"),
        ),
        "theory.symbolic.sweep": (
            symbolic.sweep,
            dict(cell="elman", max_layers=1, max_steps=2, starts=("zero",), width_cycle=(1,), input_size=1,
                 reset="all"),
        ),
        "theory.symbolic.gru_residual": (symbolic.gru_residual, dict(widths=(1, 1), steps=1, input_size=1)),
        "theory.topology_symbolic.check_topology": (tsym.check_topology, dict(top=sym_top, steps=2, bias=True)),
        "theory.topology_symbolic.check_compiled": (
            tsym.check_compiled, dict(compiled=sym_compiled, steps=2, acts=None)),
        "theory.topology_symbolic.compiled_matrices": (
            tsym.compiled_matrices, dict(compiled=sym_compiled, params=tsym.topology_symbols(sym_top))),
        "theory.topology_symbolic.topology_symbols": (tsym.topology_symbols, dict(top=sym_top, bias=True)),
        "theory.topology_symbolic.line_blocks": (tsym.line_blocks, dict(compiled=sym_compiled)),
        "theory.topology_symbolic.activation_functions": (tsym.activation_functions, dict(names=("tanh",))),
        "theory.topology_symbolic.random_topology": (
            tsym.random_topology, dict(rng=random.Random(0), max_layers=2, max_horizon=1, bidirectional_only=False)),
        "theory.symbolic.exact_check": (
            symbolic.exact_check,
            dict(widths=[1, 1], steps=2, activation="relu", input_size=1, start="staggered", seed=0),
        ),
        "theory.induction.elman_step": (induction.elman_step, dict(first=False)),
        "theory.induction.lstm_step": (induction.lstm_step, dict(first=False)),
        "theory.induction.gru_step": (induction.gru_step, dict(reset="all")),
        "theory.induction.plan_conforms": (induction.plan_conforms, dict(plan=plan)),
        "theory.induction.warmup_input_free": (induction.warmup_input_free, dict(plan=plan)),
        "theory.symbolic_run.layer_activations": (symbolic.layer_activations, dict(layers=3, zero_fixed=False)),
        "theory.induction.check_induction": (induction.check_induction, dict(max_layers=2)),
        "theory.induction.proof_text": (induction.proof_text, {}),
        "theory.induction.StepCheck.latex": (induction.elman_step().latex, {}),
    }


def figure_targets(net: Any, dnet: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Figures at small sizes, drawn with the Agg backend; files go to the fuzz's working directory."""
    import matplotlib

    matplotlib.use("Agg")
    import numpy as np
    from matplotlib.figure import Figure

    from numerics.figures import (
        animation,
        architecture,
        bidirectional,
        catalogue,
        deck,
        gru,
        lecture,
        palette,
        receptive,
        results_tables,
        slides,
    )
    from numerics.models.jacobian import input_jacobian
    from theory.layout import stacked_plan

    small = stacked_plan("lstm", 1, [1, 1])
    BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
    assert BENCHMARKS.is_dir(), f"the results tables' valid directory {BENCHMARKS} must exist"
    record = {
        "task": "sine",
        "metric": "nmse",
        "lookahead_needed": 1,
        "bidirectional": {"nmse": 0.1},
        "converted": [{"h": h, "lookahead": h, "latency": 2 * h, "nmse": 1.0 / (h + 1)} for h in range(2)],
        "drnn": [{"delay": d, "lookahead": d, "latency": d, "nmse": 0.5 / (d + 1)} for d in (0, 1)],
    }
    jac = input_jacobian(StackedRNN_small(), np.zeros((3, 1)))
    rgb = [0.2, 0.4, 0.6]
    anim = animation.wavefront_animation(1, 1)
    animation.offline_jshtml(anim)  # rendered once, so matplotlib does not warn when it is collected unrendered
    return {
        "numerics.figures.animation.wavefront_animation": (
            animation.wavefront_animation,
            dict(L=2, T=2, interval_ms=100),
        ),
        "numerics.figures.animation.offline_jshtml": (
            animation.offline_jshtml,
            dict(anim=anim, default_mode="once"),
        ),
        "numerics.figures.animation.save_wavefront_animation": (
            animation.save_wavefront_animation,
            dict(out=Path("."), L=1, T=1, dpi=20),
        ),
        "numerics.figures.architecture.plot_wavefront": (
            architecture.plot_wavefront,
            dict(L=2, T=3, step=None, ax=None),
        ),
        "numerics.figures.architecture.plot_block_matrices": (
            architecture.plot_block_matrices,
            dict(model=small, fig=None, show_values=None),
        ),
        "numerics.figures.architecture.plot_sparsity_patterns": (
            architecture.plot_sparsity_patterns,
            dict(plans=[small], fig=None),
        ),
        "numerics.figures.bidirectional.plot_pipeline": (bidirectional.plot_pipeline, dict(h=1, steps=3, t=1, ax=None)),
        "numerics.figures.bidirectional.plot_horizon_error": (
            bidirectional.plot_horizon_error,
            dict(rhos=(0.5,), width=2, T=4, horizons=(0, 1), seed=0, ax=None),
        ),
        "numerics.figures.bidirectional.plot_conversion": (
            bidirectional.plot_conversion, dict(record=record, fig=None)
        ),
        "numerics.figures.catalogue.readable_at_1024": (
            catalogue.readable_at_1024,
            dict(fig=Figure(figsize=(4, 3)), min_px=12.0),
        ),
        "numerics.figures.deck.title_page": (deck.title_page, dict(title="t", subtitle="s", lines=["l"])),
        "numerics.figures.deck.equation_page": (
            deck.equation_page, dict(title="t", lines=["$x$"], note=None, where=["$x$: input"])),
        "numerics.figures.deck.bidirectional_diagram": (deck.bidirectional_diagram, dict(T=3)),
        "numerics.figures.deck.bullets_page": (deck.bullets_page, dict(title="t", items=["a", ["b"]], note=None)),
        "numerics.figures.deck.content_box": (deck.content_box, dict(fig=Figure())),
        "numerics.figures.deck.finish_page": (
            deck.finish_page, dict(fig=Figure(figsize=(8, 4.5)), number=1, total=2, footer="f")),
        "numerics.figures.deck.table_page": (
            deck.table_page, dict(title="t", table=results_tables.ResultTable(("a",), (("1",),), "n"), note=None)),
        "numerics.figures.slides.bidirectional_diagram": (slides.bidirectional_diagram, dict(T=3)),
        "numerics.figures.lecture.load_lecture": (lecture.load_lecture, dict(source=None)),
        "numerics.figures.lecture.lecture_pages": (lecture.lecture_pages, dict(source=None, results=None)),
        "numerics.figures.results_tables.reversal_table": (
            results_tables.reversal_table, dict(results=BENCHMARKS, profile="quick")),
        "numerics.figures.results_tables.sine_table": (
            results_tables.sine_table, dict(results=BENCHMARKS, profile="quick")),
        "numerics.figures.results_tables.runtime_table": (
            results_tables.runtime_table, dict(results=BENCHMARKS, profile="quick")),
        "numerics.figures.results_tables.pos_table": (
            results_tables.pos_table, dict(results=BENCHMARKS, profile="quick")),
        "numerics.figures.results_tables.conversion_table": (
            results_tables.conversion_table, dict(results=BENCHMARKS, task="sine")),
        "numerics.figures.deck.write_deck": (
            deck.write_deck,
            dict(path=Path("deck.pdf"), pages=[("eq", lambda: deck.equation_page("t", ["$x$"]))]),
        ),
        "numerics.figures.gru.plot_gru_counterexample": (
            gru.plot_gru_counterexample,
            dict(T=3, hidden_sizes=(1, 1), input_size=1, seed=0, fig=None),
        ),
        "numerics.figures.palette.on_white": (palette.on_white, dict(colour=rgb, alpha=0.5)),
        "numerics.figures.palette.simulate_deuteranopia": (palette.simulate_deuteranopia, dict(rgb=rgb)),
        "numerics.figures.palette.to_lab": (palette.to_lab, dict(rgb=rgb)),
        "numerics.figures.palette.delta_e": (palette.delta_e, dict(rgb1=rgb, rgb2=[0.1, 0.1, 0.1])),
        "numerics.figures.receptive.jacobian_magnitude": (receptive.jacobian_magnitude, dict(jacobian=jac)),
        "numerics.figures.receptive.plot_receptive_field": (
            receptive.plot_receptive_field,
            dict(jacobian=jac, field=None, ax=None, title=None, log_min=None, colorbar=True),
        ),
        "numerics.figures.receptive.receptive_spectrum": (
            receptive.receptive_spectrum,
            dict(T=3, L=3, width=1, seed=0),
        ),
        "numerics.figures.receptive.plot_receptive_spectrum": (
            receptive.plot_receptive_spectrum,
            dict(T=3, L=3, width=1, seed=0, fig=None),
        ),
        "numerics.figures.slides.slide_figure": (slides.slide_figure, {}),
        "numerics.figures.slides.text_sizes_px": (slides.text_sizes_px, dict(fig=Figure(), width_px=1024)),
        "numerics.figures.slides.enlarge_text": (slides.enlarge_text, dict(fig=Figure(), min_pt=11.0)),
        "numerics.figures.slides.smallest_text_px": (slides.smallest_text_px, dict(fig=Figure(), width_px=1024)),
        "numerics.figures.slides.slide_wavefront": (slides.slide_wavefront, {}),
        "numerics.figures.slides.plot_gate_matrices": (slides.plot_gate_matrices, dict(plan=small, fig=None)),
        "numerics.figures.slides.slide_block_matrices": (slides.slide_block_matrices, {}),
        "numerics.figures.slides.slide_block_matrices_lstm": (slides.slide_block_matrices_lstm, {}),
        "numerics.figures.slides.slide_sparsity": (slides.slide_sparsity, dict(name="stacked")),
        "numerics.figures.slides.slide_receptive": (slides.slide_receptive, dict(index=0)),
        "numerics.figures.slides.slide_gru_counterexample": (slides.slide_gru_counterexample, {}),
    }


def StackedRNN_small() -> Any:
    from numerics.models import StackedRNN

    return StackedRNN.random(1, [1], cell="elman", seed=0)


def strategy_targets(net: Any, x: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """The hypothesis strategies of numerics.testing: a bad argument raises InvalidArgument naming it."""
    import numpy as np

    from numerics import testing

    return {
        "numerics.testing.weights": (strategy(testing.weights), dict(shape=(2, 2), dtype=np.float64, bound=1.0)),
        "numerics.testing.stacked_rnns": (
            strategy(testing.stacked_rnns),
            dict(cells=("elman",), layers=(1, 2), widths=(1, 2), input_sizes=1, activations=("tanh",),
                 bias=(True,), dtypes=(np.float64,), bound=1.0),
        ),
        "numerics.testing.sequences": (
            strategy(testing.sequences),
            dict(input_size=2, steps=(0, 3), batch=1, dtype=np.float64, bound=1.0),
        ),
        "numerics.testing.initial_states": (strategy(testing.initial_states), dict(net=net, batch=2, bound=1.0)),
        "numerics.testing.stacked_cases": (strategy(testing.stacked_cases), dict(steps=(0, 3), batch=1,
                                                                                  with_h0=(False,))),
        "numerics.testing.relaxed_plans": (
            strategy(testing.relaxed_plans),
            dict(cells=("elman",), max_blocks=2, max_width=1, max_delay=2, max_hold=1, max_lag=2),
        ),
        "numerics.testing.EquivalenceCase.describe": (
            testing.EquivalenceCase(net, x, None).describe,
            {},
        ),
    }


def record_targets(plan: Any, top: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
    """The dataclasses users build plans and topologies from (checked when built, or by Plan/Topology)."""

    from theory import layout, topology

    fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)}
    return {
        "theory.layout.Block": (layout.Block, dict(name="b", width=1, activation="tanh", lag=0, hold=0, layer=0)),
        "theory.layout.Edge": (layout.Edge, dict(src=0, dst=0, source=None)),
        "theory.layout.InputEdge": (layout.InputEdge, dict(dst=0, source=None)),
        "theory.layout.Plan": (layout.Plan, fields),
        "theory.topology.Layer": (topology.Layer, dict(width=2, reads=(0,), direction="forward", horizon=0,
                                                       activation="tanh")),
        "theory.topology.Topology": (topology.Topology, dict(input_size=1, layers=top.layers, readout=(),
                                                             name="")),
    }
