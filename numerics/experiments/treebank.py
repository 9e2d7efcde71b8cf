"""Universal Dependencies treebanks for part-of-speech tagging: reading, vocabulary, padded batches.

* :func:`read_conllu` reads one CoNLL-U file (plain or ``.xz``) with the
  ``conllu`` package, the parser of the paper's reference code. Words are the
  FORM column, tags the 17 UPOS tags; multiword-token lines (``3-4``) and
  empty nodes (``8.1``) are not words and are skipped. A damaged file
  (not UTF-8, a line without the 10 tab-separated columns, e.g. a truncated
  one, an unknown tag, an ID out of order) raises :class:`TreebankError`
  naming the file and the line: nothing is dropped silently.
* :func:`load_treebank` reads the ``*-ud-{train,dev,test}.conllu`` files of
  a directory, by default the FORM/UPOS extract of UD English EWT v2.15
  shipped with the package (``numerics/experiments/data/ud_english_ewt``,
  CC BY-SA 4.0, see the README there).
* :class:`Vocabulary` maps forms to ids, built from the train split only:
  a form seen fewer than ``min_count`` times (default 2) in train maps to
  the unknown-word id, so that id is trained on rare words; forms are
  **not** lower-cased by default (case is evidence for proper nouns), the
  reference code's pre-trained vocabulary is case-sensitive too.
* :func:`make_batches` pads sentences into time-major batches with a mask;
  :func:`majority_tags` is the per-word majority-tag baseline from train.
"""

from __future__ import annotations

import lzma
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from numerics._validate import check_path
from theory._checks import check_choice, check_count, check_type

__all__ = [
    "PAD",
    "SPLITS",
    "UNK",
    "UPOS_TAGS",
    "Batch",
    "Sentence",
    "Treebank",
    "TreebankError",
    "Vocabulary",
    "bundled_treebank_dir",
    "char_vocabulary",
    "check_sentences",
    "find_treebank_files",
    "load_treebank",
    "majority_tags",
    "make_batches",
    "read_conllu",
]

#: The 17 universal part-of-speech tags (UD v2), in the order of the tag ids.
UPOS_TAGS: tuple[str, ...] = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
                              "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X")
_TAG_ID = {t: i for i, t in enumerate(UPOS_TAGS)}
#: Id of padding (its embedding row is held at zero) and of unknown words / characters.
PAD, UNK = 0, 1
SPLITS: tuple[str, ...] = ("train", "dev", "test")


class TreebankError(ValueError):
    """A treebank file that cannot be read; the message starts with ``file:line:``."""


def check_sentences(value: Any, name: str) -> list[Sentence]:
    """``value`` as a list of :class:`Sentence` (TypeError naming ``name`` otherwise)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of Sentence; got {type(value).__name__}")
    try:
        out = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of Sentence; got {type(value).__name__}") from None
    for s in out:
        if not isinstance(s, Sentence):
            raise TypeError(f"{name} must be a sequence of Sentence; got an item of type {type(s).__name__}")
    return out


@dataclass(frozen=True)
class Sentence:
    """One sentence: its words (FORM), their UPOS tags, and the ``sent_id`` comment if any."""

    forms: tuple[str, ...]
    tags: tuple[str, ...]
    sent_id: str = ""

    def __len__(self) -> int:
        return len(self.forms)


def _open_text(path: Path) -> str:
    raw = lzma.open(path, "rb").read() if path.suffix == ".xz" else path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise TreebankError(f"{path}:{line}: not UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start})") from None


def read_conllu(path: str | Path) -> list[Sentence]:
    """Every sentence of one CoNLL-U file, words and UPOS tags only.

    Parameters
    ----------
    path : str or Path
        A ``.conllu`` file, or one compressed with xz (``.conllu.xz``).

    Returns
    -------
    list of Sentence

    Raises
    ------
    TreebankError
        ``"<file>:<line>: <problem>"`` for a file that is not UTF-8, a token
        line without 10 tab-separated columns, an unknown UPOS tag, a word ID
        out of sequence, or a sentence without words.
    """
    import conllu  # the parser of the reference code; a runtime dependency

    p = check_path(path, "path")
    if not p.is_file():
        raise TreebankError(f"{p}: no such file (path)")
    try:
        text = _open_text(p)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise TreebankError(f"{p}: cannot read ({exc})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    sentences: list[Sentence] = []
    block: list[str] = []
    numbers: list[int] = []  # file line of each token line of the block

    def flush() -> None:
        if not block:
            return
        where = f"{p}:{numbers[0] if numbers else 0}"
        try:
            parsed = conllu.parse("\n".join(block) + "\n\n")
        except Exception as exc:  # conllu's own ParseException and friends
            raise TreebankError(f"{where}: {exc}") from None
        if len(parsed) != 1:
            raise TreebankError(f"{where}: expected one sentence in this block; conllu found {len(parsed)}")
        tokens = list(parsed[0])
        if len(tokens) != len(numbers):
            raise TreebankError(f"{where}: conllu read {len(tokens)} tokens from {len(numbers)} token lines")
        forms, tags = [], []
        for tok, ln in zip(tokens, numbers):
            tid = tok["id"]
            if isinstance(tid, tuple):  # multiword token (3, '-', 4) or empty node (8, '.', 1): not a word
                continue
            if tid != len(forms) + 1:
                raise TreebankError(f"{p}:{ln}: word ID {tid} out of sequence (expected {len(forms) + 1})")
            tag = tok["upos"]
            if tag not in _TAG_ID:
                raise TreebankError(f"{p}:{ln}: unknown UPOS tag {tag!r} (expected one of {', '.join(UPOS_TAGS)})")
            forms.append(str(tok["form"]))
            tags.append(tag)
        if not forms:
            raise TreebankError(f"{where}: sentence without words")
        sent_id = str(parsed[0].metadata.get("sent_id", ""))
        sentences.append(Sentence(tuple(forms), tuple(tags), sent_id))
        block.clear()
        numbers.clear()

    for i, line in enumerate(lines, 1):
        if not line.strip():
            flush()
            continue
        block.append(line)
        if line.startswith("#"):
            continue
        if line.count("\t") != 9:
            raise TreebankError(f"{p}:{i}: a token line needs 10 tab-separated columns; got "
                                f"{line.count(chr(9)) + 1} (truncated or damaged line?): {line[:60]!r}")
        numbers.append(i)
    flush()
    return sentences


def find_treebank_files(directory: str | Path) -> dict[str, Path]:
    """The ``*-ud-train``, ``*-ud-dev`` and ``*-ud-test`` CoNLL-U files (``.conllu`` or ``.conllu.xz``) of a directory.

    Raises
    ------
    TreebankError
        If the directory is missing, or a split has no file or more than one.
    """
    if isinstance(directory, (str, os.PathLike)) and not str(directory):
        raise ValueError("directory must name a treebank directory; got an empty path")
    if not isinstance(directory, (str, os.PathLike)):
        raise TypeError(f"directory must be a str or os.PathLike; got {type(directory).__name__}")
    d = Path(directory)
    if not d.is_dir():
        raise TreebankError(f"{d}: treebank directory does not exist (directory)")
    out = {}
    for split in SPLITS:
        found = sorted(d.glob(f"*-ud-{split}.conllu")) + sorted(d.glob(f"*-ud-{split}.conllu.xz"))
        if len(found) != 1:
            what = "no file" if not found else f"{len(found)} files ({', '.join(f.name for f in found)})"
            raise TreebankError(f"{d}: expected one *-ud-{split}.conllu[.xz] file; found {what}")
        out[split] = found[0]
    return out


def bundled_treebank_dir() -> Path:
    """Directory of the UD English EWT v2.15 FORM/UPOS extract shipped with the package."""
    return Path(__file__).resolve().parent / "data" / "ud_english_ewt"


@dataclass(frozen=True)
class Treebank:
    """The three splits of a treebank and where they were read from."""

    train: list[Sentence]
    dev: list[Sentence]
    test: list[Sentence]
    source: str

    def words(self, split: str) -> int:
        """Number of words of a split."""
        check_choice(split, SPLITS, "split")
        return sum(len(s) for s in getattr(self, split))


def load_treebank(directory: str | Path | None = None) -> Treebank:
    """Read train, dev and test of a UD treebank directory (default: the bundled EWT extract)."""
    files = find_treebank_files(bundled_treebank_dir() if directory is None else directory)
    d = files["train"].parent
    parts = {split: read_conllu(path) for split, path in files.items()}
    return Treebank(parts["train"], parts["dev"], parts["test"], str(d))


# ---------------------------------------------------------------- vocabulary
@dataclass(frozen=True)
class Vocabulary:
    """Form -> id map built from the train split.

    Attributes
    ----------
    words : tuple of str
        ``words[i]`` is the form of id ``i``; ids 0 and 1 are ``<pad>`` and ``<unk>``.
    lower : bool
        Forms are lower-cased before lookup.
    min_count : int
        Train frequency a form needs to get its own id.
    """

    words: tuple[str, ...]
    lower: bool = False
    min_count: int = 2

    @classmethod
    def build(cls, sentences: Iterable[Sentence], *, min_count: int = 2, lower: bool = False) -> Vocabulary:
        """Forms seen at least ``min_count`` times, most frequent first (ties alphabetical)."""
        min_count = check_count(min_count, "min_count")
        check_type(lower, bool, "lower")
        counts = Counter(f.lower() if lower else f for s in check_sentences(sentences, "sentences") for f in s.forms)
        kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(("<pad>", "<unk>", *kept), lower, min_count)

    def __len__(self) -> int:
        return len(self.words)

    def index(self) -> dict[str, int]:
        """Form -> id."""
        return {w: i for i, w in enumerate(self.words) if i >= 2}

    def encode(self, forms: Sequence[str], index: dict[str, int] | None = None) -> np.ndarray:
        """Ids of ``forms`` (unknown forms get :data:`UNK`)."""
        if isinstance(forms, str) or not isinstance(forms, Sequence) or not all(isinstance(f, str) for f in forms):
            raise TypeError(f"forms must be a sequence of str; got {type(forms).__name__}")
        if index is not None and not isinstance(index, dict):
            raise TypeError(f"index must be a dict (from Vocabulary.index()) or None; got {type(index).__name__}")
        ix = self.index() if index is None else index
        return np.array([ix.get(f.lower() if self.lower else f, UNK) for f in forms], dtype=np.int64)


def char_vocabulary(sentences: Iterable[Sentence], *, min_count: int = 1) -> Vocabulary:
    """Characters of the train forms (``<pad>``, ``<unk>`` first) for the character-level word encoder."""
    min_count = check_count(min_count, "min_count")
    counts = Counter(c for s in check_sentences(sentences, "sentences") for f in s.forms for c in f)
    kept = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
    return Vocabulary(("<pad>", "<unk>", *kept), False, min_count)


# ------------------------------------------------------------------- batches
@dataclass(frozen=True)
class Batch:
    """Padded, time-major batch of sentences.

    Attributes
    ----------
    ids : int array, shape (T, B)
        Word ids; :data:`PAD` after a sentence's end.
    tags : int array, shape (T, B)
        UPOS ids (index into :data:`UPOS_TAGS`); 0 at padded positions (never counted).
    mask : bool array, shape (T, B)
        True at real words.
    lengths : int array, shape (B,)
    chars : int array, shape (L, T, B), optional
        Character ids of each word (for the character-level encoder), PAD-padded.
    char_lengths : int array, shape (T, B), optional
        Characters per word (0 at padded positions).
    """

    ids: np.ndarray
    tags: np.ndarray
    mask: np.ndarray
    lengths: np.ndarray
    chars: np.ndarray | None = None
    char_lengths: np.ndarray | None = None

    @property
    def words(self) -> int:
        return int(self.mask.sum())


def make_batches(sentences: Sequence[Sentence], vocab: Vocabulary, batch_size: int, *,
                 order: Any = None, chars: Vocabulary | None = None, max_word_length: int = 30) -> list[Batch]:
    """Pad sentences into batches of ``batch_size`` in the given order (default: as listed).

    Parameters
    ----------
    sentences : sequence of Sentence
    vocab : Vocabulary
    batch_size : int
    order : int array, optional
        Permutation of ``range(len(sentences))`` (e.g. shuffled, or sorted by length).
    chars : Vocabulary, optional
        Also fill :attr:`Batch.chars` (words cut to ``max_word_length`` characters).
    max_word_length : int
    """
    sentences = check_sentences(sentences, "sentences")
    check_type(vocab, Vocabulary, "vocab")
    if chars is not None:
        check_type(chars, Vocabulary, "chars")
    batch_size = check_count(batch_size, "batch_size")
    max_word_length = check_count(max_word_length, "max_word_length")
    n = len(sentences)
    idx = np.arange(n) if order is None else np.asarray(order)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or sorted(idx.tolist()) != list(range(n)):
        raise ValueError(f"order must be a permutation of range({n})")
    wix = vocab.index()
    cix = None if chars is None else chars.index()
    out = []
    for start in range(0, n, batch_size):
        group = [sentences[i] for i in idx[start:start + batch_size]]
        lengths = np.array([len(s) for s in group], dtype=np.int64)
        T, B = int(lengths.max()), len(group)
        ids = np.full((T, B), PAD, dtype=np.int64)
        tags = np.zeros((T, B), dtype=np.int64)
        for b, s in enumerate(group):
            ids[:len(s), b] = vocab.encode(s.forms, wix)
            tags[:len(s), b] = [_TAG_ID[t] for t in s.tags]
        mask = np.arange(T)[:, None] < lengths[None, :]
        ch = cl = None
        if cix is not None:
            cl = np.zeros((T, B), dtype=np.int64)
            L = max(min(len(f), max_word_length) for s in group for f in s.forms)
            ch = np.full((L, T, B), PAD, dtype=np.int64)
            for b, s in enumerate(group):
                for t, f in enumerate(s.forms):
                    f = f[:max_word_length]
                    cl[t, b] = len(f)
                    ch[:len(f), t, b] = [cix.get(c, UNK) for c in f]
        out.append(Batch(ids, tags, mask, lengths, ch, cl))
    return out


def majority_tags(train: Iterable[Sentence]) -> tuple[dict[str, str], str]:
    """Per-word majority-tag baseline from train: each form's most frequent tag, and the overall most frequent tag.

    Ties go to the tag first in :data:`UPOS_TAGS`. Forms not seen in train get the overall tag.
    """
    per: dict[str, Counter[str]] = {}
    overall: Counter[str] = Counter()
    for s in check_sentences(train, "train"):
        for f, t in zip(s.forms, s.tags):
            per.setdefault(f, Counter())[t] += 1
            overall[t] += 1
    if not overall:
        raise ValueError("train must contain at least one word")

    def best(c: Counter[str]) -> str:
        return max(c, key=lambda t: (c[t], -_TAG_ID[t]))

    return {f: best(c) for f, c in per.items()}, best(overall)
