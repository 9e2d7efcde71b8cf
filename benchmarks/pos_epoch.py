"""One training epoch of the word-level d-LSTM tagger: NumPy (numerics.train.tagger) against the same model in PyTorch.

    python benchmarks/pos_epoch.py [--sentences N] [--threads 1 2] [--delay 2]

Model (issue 20, item 8): word embedding 64, one d-LSTM layer of width 128
(``d`` zero inputs appended, the first ``d`` outputs dropped), linear
read-out over the 17 UPOS tags, softmax cross-entropy over real words, Adam
(lr 1e-3) with gradient-norm clipping 5, batch 32, float32, on the bundled UD
English EWT train split (all 12,544 sentences by default), in the same
length-bucketed batch order for both. Both sides do the same work per batch
(forward, backward incl. the embedding gradient, clipping, Adam step).

At each thread count (BLAS threads for NumPy via threadpoolctl, intra-op
threads for PyTorch) the two epochs run one after the other in this process,
best of ``--repeats``; the table prints the times and the ratio
NumPy / PyTorch (goal <= 1.2).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from numerics.experiments.pos import bucketed_batches
from numerics.experiments.specs import ModelSpec, build_model
from numerics.experiments.treebank import UPOS_TAGS, Vocabulary, load_treebank
from numerics.train.losses import softmax_cross_entropy
from numerics.train.optim import Adam, clip_grad_norm
from numerics.train.tagger import Tagger


def numpy_epoch(model: Tagger, batches: list, lr: float = 1e-3, clip: float = 5.0) -> float:
    """Seconds for one epoch of training steps in NumPy."""
    opt = Adam(lr=lr)
    params = model.state_dict()
    t0 = time.perf_counter()
    for b in batches:
        logits, cache = model.forward(b.ids, b.lengths)
        _, d = softmax_cross_entropy(logits, b.tags, b.mask)
        grads, _ = clip_grad_norm(model.backward(cache, d).state_dict(), clip)
        params = opt.step(params, grads)
        model = model.load_state_dict(params)
    return time.perf_counter() - t0


def torch_epoch(model: Tagger, batches: list, delay: int, lr: float = 1e-3, clip: float = 5.0) -> float:
    """Seconds for the same epoch with nn.Embedding / nn.LSTM / nn.Linear, initialised from ``model``."""
    import torch
    from torch import nn

    sd = model.state_dict()
    emb = nn.Embedding(*sd["embedding.weight"].shape, padding_idx=0)
    lstm = nn.LSTM(sd["rnn.weight_ih_l0"].shape[1], sd["rnn.weight_hh_l0"].shape[1])
    lin = nn.Linear(sd["readout.weight"].shape[1], sd["readout.weight"].shape[0])
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(sd["embedding.weight"]))
        for name, p in lstm.named_parameters():
            p.copy_(torch.from_numpy(sd[f"rnn.{name}"]))
        lin.weight.copy_(torch.from_numpy(sd["readout.weight"]))
        lin.bias.copy_(torch.from_numpy(sd["readout.bias"]))
    params = [*emb.parameters(), *lstm.parameters(), *lin.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    data = [(torch.from_numpy(b.ids), torch.from_numpy(np.where(b.mask, b.tags, -100))) for b in batches]
    t0 = time.perf_counter()
    for ids, tags in data:
        opt.zero_grad()
        x = emb(ids)
        if delay:
            x = torch.cat([x, x.new_zeros(delay, *x.shape[1:])])
        h = lstm(x)[0][delay:]
        out = lin(h)
        loss = nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), tags.reshape(-1), ignore_index=-100)
        loss.backward()
        nn.utils.clip_grad_norm_(params, clip)
        opt.step()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=None, help="first N train sentences (default: all)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--delay", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    import torch
    from threadpoolctl import threadpool_limits

    tb = load_treebank()
    train = tb.train if args.sentences is None else tb.train[:args.sentences]
    vocab = Vocabulary.build(train)
    batches = bucketed_batches(train, vocab, 32, np.random.default_rng(0))
    body = build_model(ModelSpec("delayed", "lstm", 128, 1, args.delay), 64, seed=0, dtype=np.float32)
    model = Tagger.random(body, len(vocab), 64, len(UPOS_TAGS), seed=1, embedding_scale=0.1)
    words = sum(b.words for b in batches)
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, NumPy {np.__version__}, "
          f"PyTorch {torch.__version__}")
    print(f"epoch: {len(train)} sentences, {words} words, {len(batches)} batches of 32; d-LSTM d={args.delay}, "
          f"width 128, embedding 64, vocabulary {len(vocab)}, float32; best of {args.repeats}")
    print()
    print("| threads | NumPy epoch (s) | PyTorch epoch (s) | NumPy / PyTorch | goal | verdict |")
    print("|---|---|---|---|---|---|")
    for n in args.threads:
        torch.set_num_threads(n)
        with threadpool_limits(limits=n):
            t_np = min(numpy_epoch(model, batches) for _ in range(args.repeats))
            t_pt = min(torch_epoch(model, batches, args.delay) for _ in range(args.repeats))
        r = t_np / t_pt
        print(f"| {n} | {t_np:.1f} | {t_pt:.1f} | {r:.2f} | <= 1.2 | {'met' if r <= 1.2 else 'missed'} |", flush=True)


if __name__ == "__main__":
    main()
