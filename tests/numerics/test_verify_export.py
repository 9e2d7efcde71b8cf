"""Claim state-dict-roundtrip: the export and import under PyTorch's names, biases kept apart."""

from __future__ import annotations

import numpy as np

from numerics.models import BidirectionalRNN
from numerics.verify.registry import Effort
from numerics.verify.runner import run_claim


def test_the_claim_holds_with_informative_cases():
    r = run_claim("state-dict-roundtrip", Effort("test"))
    assert r.as_expected
    assert all(m.cases == 12 and m.nontrivial >= 4 for m in r.methods)


def test_swapping_the_reverse_biases_on_export_is_refuted(monkeypatch):
    original = BidirectionalRNN.state_dict

    def swapped(self):
        sd = original(self)
        for k in [k for k in sd if k.startswith("bias_ih") and k.endswith("_reverse")]:
            other = k.replace("bias_ih", "bias_hh")
            sd[k], sd[other] = sd[other], sd[k]
        return sd

    monkeypatch.setattr(BidirectionalRNN, "state_dict", swapped)
    r = run_claim("state-dict-roundtrip", Effort("test"))
    refuted = {m.name for m in r.methods if m.refuted}
    assert {"roundtrip-bidirectional-lstm", "roundtrip-bidirectional-gru", "reference-bidirectional-gru"} <= refuted
    assert not any(name.endswith(("stacked-lstm", "stacked-gru")) and "bidirectional" not in name
                   for name in refuted)


def test_a_consistent_gru_bias_swap_is_seen_by_the_reference_method(monkeypatch):
    # swapped on export and on import: the round trip is exact, the outputs under PyTorch's names are not
    original_sd, original_from = BidirectionalRNN.state_dict, BidirectionalRNN.from_state_dict.__func__

    def swap(sd):
        sd = dict(sd)
        for k in [k for k in sd if k.startswith("bias_ih")]:
            other = k.replace("bias_ih", "bias_hh")
            sd[k], sd[other] = sd[other], sd[k]
        return sd

    monkeypatch.setattr(BidirectionalRNN, "state_dict", lambda self: swap(original_sd(self)))
    monkeypatch.setattr(BidirectionalRNN, "from_state_dict",
                        classmethod(lambda cls, sd, cell="elman", activations="tanh": original_from(cls, swap(sd), cell,
                                                                                                  activations)))
    r = run_claim("state-dict-roundtrip", Effort("test"), methods=["roundtrip-bidirectional-gru",
                                                                  "reference-bidirectional-gru"])
    assert [m.refuted for m in r.methods] == [False, True]
    assert np.isfinite(r.methods[1].max_error)
