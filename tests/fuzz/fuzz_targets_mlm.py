"""Fuzz targets of the character-level masked language model (issue 20 item 9).

:func:`mlm_targets` has the shape of ``pos_targets()`` in ``fuzz_targets_areas.py`` (dotted name ->
(callable, valid keyword arguments)); ``fuzz_targets.targets()`` merges it, and the names left out are in
``fuzz_exclusions.py`` with their reasons.
"""

from __future__ import annotations

from typing import Any


def mlm_targets() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Text, character vocabulary, chunks, masking, bits per character, profiles and the model builder."""
    import numpy as np

    from numerics.experiments import mlm
    from numerics.experiments.specs import ModelSpec, build_model
    from numerics.experiments.treebank import Sentence
    from numerics.train.tagger import Tagger

    sent = Sentence(("Go", "!"), ("VERB", "PUNCT"))
    v = mlm.mlm_vocabulary("Go ! Go")
    chunks, lengths = mlm.chunk_ids(mlm.encode_chars("Go ! Go", v), 3)
    batches = mlm.mask_batches(chunks, lengths, 2, np.random.default_rng(0), mask_prob=0.5)
    body = build_model(ModelSpec("delayed", "lstm", 3, 1, 1), 2, seed=0)
    model = Tagger.random(body, len(v), 2, len(v), seed=0)
    prof = mlm.MLM_PROFILES["smoke"]
    spec = mlm.plan_mlm(prof)[0]
    return {
        "numerics.experiments.mlm.mlm_text": (mlm.mlm_text, dict(sentences=[sent, sent], separator=" ")),
        "numerics.experiments.mlm.mlm_vocabulary": (mlm.mlm_vocabulary, dict(text="Go !")),
        "numerics.experiments.mlm.encode_chars": (mlm.encode_chars, dict(text="Go?", vocab=v)),
        "numerics.experiments.mlm.chunk_ids": (mlm.chunk_ids, dict(ids=np.array([3, 4, 5, 6]), chunk=3)),
        "numerics.experiments.mlm.mask_batches": (mlm.mask_batches, dict(
            chunks=chunks, lengths=lengths, batch_size=2, rng=np.random.default_rng(0), mask_prob=0.2, order=None)),
        "numerics.experiments.mlm.masked_bits": (mlm.masked_bits, dict(
            logits=np.zeros((2, 1, 4)), targets=np.array([[3], [1]]), mask=np.array([[True], [False]]))),
        "numerics.experiments.mlm.evaluate_mlm": (mlm.evaluate_mlm, dict(model=model, batches=batches)),
        "numerics.experiments.mlm.check_mlm_profile": (mlm.check_mlm_profile, dict(name="smoke")),
        "numerics.experiments.mlm.mlm_models": (mlm.mlm_models, dict(profile=prof)),
        "numerics.experiments.mlm.plan_mlm": (mlm.plan_mlm, dict(profile=prof, treebank=None)),
        "numerics.experiments.mlm.build_mlm_model": (mlm.build_mlm_model, dict(spec=spec, vocab=v)),
    }
