"""Cells of notebook 07 (part-of-speech tagging with look-ahead, issue 20); ``notebooks/_make.py`` writes it.

Kept in its own file so the other notebooks' generator stays one reviewable
place for them; ``_make.py`` reads :data:`CELLS` from here.
"""

from __future__ import annotations

NAME = "07_pos_tagging_lookahead.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """\
# 07 · Part-of-speech tagging with look-ahead: the d-LSTM on real sentences

The paper's language claim: on part-of-speech tagging a delayed LSTM, which reads
`d` words past the word it tags, comes close to a bidirectional LSTM, which reads
the whole sentence, while costing less and answering after `d` words instead of at
the end of the sentence.

This notebook trains small taggers in NumPy on a subset of UD English EWT (the
FORM/UPOS extract shipped with the package, CC BY-SA 4.0), plots test accuracy
against the look-ahead `d`, and searches the test split for words that the causal
network (`d = 0`) tags wrongly and the delayed one gets right. It runs in well
under two minutes; `drnn reproduce pos --profile quick` is the full-size version."""),
    ("code", """\
%matplotlib inline
import time
import numpy as np
import matplotlib.pyplot as plt
from numerics.experiments.treebank import (UPOS_TAGS, Vocabulary, load_treebank,
                                           majority_tags, make_batches)
from numerics.experiments.pos import bucketed_batches
from numerics.experiments.specs import ModelSpec, build_model
from numerics.train.tagger import Tagger, evaluate_tagger, train_tagger

t_start = time.perf_counter()
tb = load_treebank()          # bundled UD English EWT v2.15, FORM and UPOS only
train, dev, test = tb.train[:1500], tb.dev[:300], tb.test
vocab = Vocabulary.build(train, min_count=2)   # case kept; seen once -> <unk>
print(len(train), "train sentences,", sum(map(len, test)), "test words")"""),
    ("md", """\
Every tagger is the same pipeline: a word embedding (32 numbers per word), one
recurrent layer of width 32, and a linear read-out over the 17 tags. Only the
recurrent layer changes: a d-LSTM for `d = 0, 1, 2`, or a bidirectional LSTM of
the same width. Padded positions of a batch add nothing to the loss or the
gradients (`tests/numerics/test_tagger.py` checks that)."""),
    ("code", """\
def by_length(sents):
    order = np.argsort([len(s) for s in sents], kind="stable")
    return make_batches(sents, vocab, 128, order=order), order

val, _ = by_length(dev)
test_b, test_order = by_length(test)

def fit(spec, seed=0, epochs=3):
    body = build_model(spec, 32, seed=seed, dtype=np.float32)
    model = Tagger.random(body, len(vocab), 32, len(UPOS_TAGS), seed=100 + seed,
                          embedding_scale=0.1)
    batches = lambda rng: bucketed_batches(train, vocab, 32, rng)
    return train_tagger(model, batches, val=val, epochs=epochs, lr=1e-2,
                        seed=seed)[0]"""),
    ("code", """\
specs = {f"d={d}": ModelSpec("delayed", "lstm", 32, 1, d) for d in (0, 1, 2)}
specs["bidirectional"] = ModelSpec("bidirectional", "lstm", 32, 1)
results = {}
for name, spec in specs.items():
    results[name] = evaluate_tagger(fit(spec), test_b)
    print(f"{name:>13}: test accuracy {100 * results[name]['accuracy']:.2f} %")

per_word, fallback = majority_tags(train)
hits = sum(per_word.get(f, fallback) == t
           for s in test for f, t in zip(s.forms, s.tags))
print(f"majority tag per word: {100 * hits / sum(map(len, test)):.2f} %")"""),
    ("code", """\
fig, ax = plt.subplots(figsize=(5.5, 3.4))
ds = [0, 1, 2]
ax.plot(ds, [100 * results[f"d={d}"]["accuracy"] for d in ds], "o-",
        label="d-LSTM")
ax.axhline(100 * results["bidirectional"]["accuracy"], color="C3",
           label="bidirectional LSTM")
ax.set_xticks(ds)
ax.set_xlabel("look-ahead d (words)")
ax.set_ylabel("test accuracy (%)")
ax.legend()
ax.set_title("one seed, 1,500 training sentences, 3 epochs")
plt.show()"""),
    ("md", """\
One seed at this size is noisy: the full reproduction (docs/experiments.md,
*Part-of-speech tagging*) uses 3 seeds and reports mean ± s.d.

What does the look-ahead buy? Below, the test words that `d = 0` tags wrongly and
`d = 1` tags rightly, among words that train shows with more than one tag (so the
word alone does not decide its tag). They are searched in the data, not chosen."""),
    ("code", """\
def predictions(result):
    # per-sentence predicted tag ids, in test-file order
    out = [None] * len(test)
    starts = range(0, len(test), 128)
    for b, p, start in zip(test_b, result["predictions"], starts):
        for j in range(b.ids.shape[1]):
            out[test_order[start + j]] = p[:int(b.lengths[j]), j]
    return out

p0, p1 = predictions(results["d=0"]), predictions(results["d=1"])
train_tags = {}
for s in train:
    for f, t in zip(s.forms, s.tags):
        train_tags.setdefault(f, set()).add(t)"""),
    ("code", """\
examples = [(i, k) for i, s in enumerate(test)
            for k, (f, t) in enumerate(zip(s.forms, s.tags))
            if len(train_tags.get(f, ())) > 1
            and UPOS_TAGS[p0[i][k]] != t and UPOS_TAGS[p1[i][k]] == t]
print(len(examples), "such words in the test split; the first eight:")
for i, k in examples[:8]:
    s = test[i]
    print("-", " ".join(f"[{w}]" if j == k else w for j, w in enumerate(s.forms)))
    nxt = s.forms[k + 1] if k + 1 < len(s) else "(end)"
    print(f"    '{s.forms[k]}': gold {s.tags[k]}, d=0 said {UPOS_TAGS[p0[i][k]]}, "
          f"d=1 said {UPOS_TAGS[p1[i][k]]}; next word '{nxt}'")
print(f"\\nwhole notebook: {time.perf_counter() - t_start:.0f} s")"""),
    ("md", """\
Typical cases are *that*, *this*, *to* and *have*, and nouns and verbs that share a
form: whether *to* is a preposition (ADP, *to the store*) or the infinitive marker
(PART, *to be*) is decided by the next word, which a causal tagger has not read
yet when it must answer.

Two caveats, both visible above. First, the look-ahead is not free to learn: a
d-LSTM must carry each word `d` steps before it answers for it, and at this tiny
budget (3 epochs, one seed) the larger delays are still learning, so their
accuracy can even fall below `d = 0` here. Second, one seed says little. The
measured comparison with 3 seeds and more training is in docs/experiments.md
(*Part-of-speech tagging*)."""),
]
