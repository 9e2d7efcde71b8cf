"""Reading UD treebanks (numerics.experiments.treebank): words, tags, vocabulary, batches, damaged files."""

from __future__ import annotations

import lzma
from pathlib import Path

import numpy as np
import pytest

from numerics.experiments.pos import POS_PROFILES, majority_baseline, plan_pos, pos_data
from numerics.experiments.treebank import (
    PAD,
    UNK,
    UPOS_TAGS,
    Sentence,
    TreebankError,
    Vocabulary,
    bundled_treebank_dir,
    find_treebank_files,
    load_treebank,
    majority_tags,
    make_batches,
    read_conllu,
)

GOOD = """# sent_id = a-1
# text = I can't go.
1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2-3\tcan't\t_\t_\t_\t_\t_\t_\t_\t_
2\tca\tcan\tAUX\tMD\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
4.1\tgone\tgo\tVERB\tVBN\t_\t_\t_\t4:conj\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = a-2
1\tGo\tgo\tVERB\tVB\t_\t0\troot\t_\t_
2\t!\t!\tPUNCT\t.\t_\t1\tpunct\t_\t_

"""


def _write(tmp_path: Path, text: str | bytes, name: str = "x-ud-train.conllu") -> Path:
    p = tmp_path / name
    (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    return p


def test_words_are_form_and_upos_without_multiword_tokens_or_empty_nodes(tmp_path):
    s = read_conllu(_write(tmp_path, GOOD))
    assert s == [Sentence(("I", "ca", "n't", "go", "."), ("PRON", "AUX", "PART", "VERB", "PUNCT"), "a-1"),
                 Sentence(("Go", "!"), ("VERB", "PUNCT"), "a-2")]


@pytest.mark.parametrize("damage,line,message", [
    (lambda t: t.replace("1\tGo\tgo\tVERB\tVB\t_\t0\troot\t_\t_", "1\tGo\tgo\tVERB"), 12, "10 tab-separated"),
    (lambda t: t.replace("4\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_", "4\tgo\tgo\tVERB\tVB\t_\t0\troot\t_\t_\textra"), 7,
     "10 tab-separated"),
    (lambda t: t.replace("PUNCT\t.\t_\t1", "PUNK\t.\t_\t1"), 13, "unknown UPOS tag 'PUNK'"),
    (lambda t: t.replace("5\t.\t.\tPUNCT", "6\t.\t.\tPUNCT"), 9, "out of sequence"),
    (lambda t: t[:t.rindex("punct") - 3], 13, "10 tab-separated"),  # truncated last line
])
def test_damaged_file_names_the_file_and_the_line(tmp_path, damage, line, message):
    p = _write(tmp_path, damage(GOOD))
    with pytest.raises(TreebankError, match=message) as e:
        read_conllu(p)
    assert str(e.value).startswith(f"{p}:{line}:")


def test_not_utf8_names_the_line(tmp_path):
    p = _write(tmp_path, GOOD.encode().replace(b"Go\tgo", b"G\xff\tgo"))
    with pytest.raises(TreebankError, match=r"not UTF-8") as e:
        read_conllu(p)
    assert str(e.value).startswith(f"{p}:12:")


def test_missing_files_are_named(tmp_path):
    with pytest.raises(TreebankError, match="no such file"):
        read_conllu(tmp_path / "nope.conllu")
    _write(tmp_path, GOOD)
    with pytest.raises(TreebankError, match=r"expected one \*-ud-dev"):
        find_treebank_files(tmp_path)


def test_any_treebank_directory_loads_by_the_ud_names(tmp_path):
    for split in ("train", "dev", "test"):
        _write(tmp_path, GOOD, f"xx_toy-ud-{split}.conllu")
    tb = load_treebank(tmp_path)
    assert tb.words("test") == 7 and tb.source == str(tmp_path)
    assert majority_baseline(tb.train, tb.test)["accuracy"] == 1.0


@pytest.mark.slow
def test_bundled_ewt_counts_and_equals_the_shared_original():
    tb = load_treebank()
    assert (len(tb.train), len(tb.dev), len(tb.test)) == (12_544, 2_001, 2_077)
    assert (tb.words("train"), tb.words("dev"), tb.words("test")) == (204_577, 25_147, 25_094)
    assert {t for s in tb.train for t in s.tags} == set(UPOS_TAGS)
    shared = Path("/work/shared/data/ud-english-ewt/en_ewt-ud-test.conllu.xz")
    if shared.exists():  # the extract keeps every word and tag of the original
        assert read_conllu(shared) == tb.test
    for name in ("LICENSE.txt", "README.md"):
        assert (bundled_treebank_dir() / name).is_file()
    assert "Attribution-ShareAlike 4.0" in (bundled_treebank_dir() / "LICENSE.txt").read_text()
    assert "What was changed" in (bundled_treebank_dir() / "README.md").read_text()


def test_vocabulary_cut_off_unknown_id_and_case():
    train = [Sentence(("The", "cat", "the", "cat", "dog"), ("DET", "NOUN", "DET", "NOUN", "NOUN"))]
    v = Vocabulary.build(train, min_count=2)
    assert v.words == ("<pad>", "<unk>", "cat")  # "The"/"the" differ in case: once each
    assert v.encode(["cat", "dog", "The"]).tolist() == [2, UNK, UNK]
    low = Vocabulary.build(train, min_count=2, lower=True)
    assert low.words == ("<pad>", "<unk>", "cat", "the") and low.encode(["THE"]).tolist() == [3]
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.build(train, min_count=0)


def test_batches_are_padded_with_a_mask():
    sents = [Sentence(("a", "b", "c"), ("DET", "NOUN", "VERB")), Sentence(("b",), ("NOUN",))]
    v = Vocabulary.build(sents, min_count=1)
    (b,) = make_batches(sents, v, 4)
    assert b.ids.shape == (3, 2) and b.lengths.tolist() == [3, 1]
    assert b.mask.tolist() == [[True, True], [True, False], [True, False]]
    assert b.ids[1, 1] == PAD and b.ids[2, 1] == PAD and b.words == 4
    assert b.tags[:, 0].tolist() == [UPOS_TAGS.index(t) for t in ("DET", "NOUN", "VERB")]
    with pytest.raises(ValueError, match="permutation"):
        make_batches(sents, v, 4, order=[0, 0])


def test_majority_tags_from_train_with_fallback():
    train = [Sentence(("run", "run", "run", "x"), ("VERB", "NOUN", "VERB", "X")),
             Sentence(("a",), ("DET",)), Sentence(("b",), ("NOUN",)), Sentence(("c",), ("NOUN",))]
    per, overall = majority_tags(train)
    assert per["run"] == "VERB" and overall == "NOUN"  # NOUN 3, VERB 2
    test = [Sentence(("run", "zzz", "a"), ("VERB", "NOUN", "ADJ"))]
    assert majority_baseline(train, test)["accuracy"] == pytest.approx(2 / 3)


def test_pos_profiles_plan_three_seeds_of_every_model():
    for name in ("quick", "standard", "paper"):
        specs = plan_pos(POS_PROFILES[name])
        kinds = {(s.model.kind, s.model.delay) for s in specs}
        assert kinds == {("delayed", d) for d in range(5)} | {("bidirectional", 0), ("stacked", 0)}
        assert {s.seed for s in specs} == {0, 1, 2} and len(specs) == 21
        assert len({s.model.width for s in specs}) == 1  # equal widths, as in the reference
    train, dev, test, vocab, chars = pos_data(plan_pos(POS_PROFILES["smoke"])[0].task_params)
    assert (len(train), len(dev), len(test)) == (60, 20, 40)
    assert chars is not None and vocab.words[:2] == ("<pad>", "<unk>")


def test_xz_and_plain_files_read_alike(tmp_path):
    plain = _write(tmp_path, GOOD)
    xz = tmp_path / "y-ud-train.conllu.xz"
    xz.write_bytes(lzma.compress(GOOD.encode()))
    assert read_conllu(plain) == read_conllu(xz)
    assert np.array_equal(make_batches(read_conllu(xz), Vocabulary.build(read_conllu(xz)), 2)[0].mask,
                          make_batches(read_conllu(plain), Vocabulary.build(read_conllu(plain)), 2)[0].mask)
