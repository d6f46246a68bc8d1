"""The data every toolkit trains and translates, written once as plain token files.

attnseq reads Multi30k through its registry (verified against the mirror);
the copies given to the peers are made from the same pairs:

* whitespace squeezed (Multi30k ``train.en`` line 16,217 has a double space,
  on which OpenNMT-py's vocabulary builder fails with an empty token);
* training pairs with more than ``max_len`` tokens on a side dropped (as
  attnseq's ``data.max_len`` does);
* word vocabularies of frequency >= ``min_freq`` counted on that training
  data, in the format each peer reads, so all three use the same words.

Tatoeba (the 142k point of the scaling figures) is raw text: it is
lowercased and Moses-tokenized here with attnseq's word tokenizer, and every
toolkit then reads the tokenized copies.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from attnseq.data.corpora import load_pairs

Pair = tuple[str, str]
LENGTH_BUCKETS = ((1, 9), (10, 12), (13, 15), (16, 19), (20, 999))


@dataclass
class Corpus:
    """Paths of one prepared corpus (tokenized, one sentence a line)."""

    folder: Path
    src_lang: str
    tgt_lang: str

    def file(self, split: str, side: str) -> Path:
        lang = self.src_lang if side == "src" else self.tgt_lang
        return self.folder / f"{split}.{lang}"

    def vocab(self, side: str) -> Path:
        lang = self.src_lang if side == "src" else self.tgt_lang
        return self.folder / f"vocab.{lang}"

    def counts(self, side: str) -> Path:
        lang = self.src_lang if side == "src" else self.tgt_lang
        return self.folder / f"counts.{lang}"

    @property
    def info(self) -> dict:
        return json.loads((self.folder / "info.json").read_text())


def squeeze(text: str) -> str:
    return " ".join(text.split())


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _write_vocab(corpus: Corpus, side: str, sentences: list[str], min_freq: int) -> int:
    """Words with count >= min_freq, most frequent first (ties by spelling), like attnseq."""
    counts = Counter(tok for sent in sentences for tok in sent.split())
    ranked = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    _write(corpus.vocab(side), ranked)  # JoeyNMT: one token a line
    _write(corpus.counts(side), [f"{t}\t{counts[t]}" for t in ranked])  # OpenNMT: token<TAB>count
    return len(ranked)


def write_corpus(
    folder: Path,
    splits: dict[str, list[Pair]],
    src_lang: str,
    tgt_lang: str,
    max_len: int,
    min_freq: int,
) -> Corpus:
    """Write squeezed, length-filtered token files and the vocabularies of one corpus."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(folder, src_lang, tgt_lang)
    info: dict = {"src_lang": src_lang, "tgt_lang": tgt_lang, "max_len": max_len}
    for split, pairs in splits.items():
        pairs = [(squeeze(s), squeeze(t)) for s, t in pairs]
        pairs = [(s, t) for s, t in pairs if s and t]
        if split == "train":
            pairs = [
                (s, t) for s, t in pairs if len(s.split()) <= max_len and len(t.split()) <= max_len
            ]
        _write(corpus.file(split, "src"), [s for s, _ in pairs])
        _write(corpus.file(split, "tgt"), [t for _, t in pairs])
        info[f"{split}_pairs"] = len(pairs)
        if split == "train":
            info["lengths"] = [[len(s.split()), len(t.split())] for s, t in pairs]
            info["src_vocab"] = _write_vocab(corpus, "src", [s for s, _ in pairs], min_freq)
            info["tgt_vocab"] = _write_vocab(corpus, "tgt", [t for _, t in pairs], min_freq)
    (folder / "info.json").write_text(json.dumps(info))
    return corpus


def multi30k(root: Path, mirror: str | None, max_len: int = 50, min_freq: int = 2) -> Corpus:
    """Multi30k en-fr, official lowercased tokenized files: train, val, test_2016_flickr."""
    folder = root / "multi30k-en-fr"
    if (folder / "info.json").is_file():
        return Corpus(folder, "en", "fr")
    splits = {
        name: load_pairs("multi30k", name, "en", "fr", variant="tok", mirror=mirror)
        for name in ("train", "val", "test_2016_flickr")
    }
    return write_corpus(folder, splits, "en", "fr", max_len, min_freq)


def subset(root: Path, full: Corpus, pairs: int, seed: int = 1) -> Corpus:
    """``pairs`` training pairs drawn from ``full`` (same validation set), for the scaling runs."""
    folder = root / f"{full.folder.name}-{pairs}"
    if (folder / "info.json").is_file():
        return Corpus(folder, full.src_lang, full.tgt_lang)
    src = full.file("train", "src").read_text(encoding="utf-8").splitlines()
    tgt = full.file("train", "tgt").read_text(encoding="utf-8").splitlines()
    chosen = sorted(random.Random(seed).sample(range(len(src)), min(pairs, len(src))))
    val = list(
        zip(
            full.file("val", "src").read_text(encoding="utf-8").splitlines(),
            full.file("val", "tgt").read_text(encoding="utf-8").splitlines(),
            strict=True,
        )
    )
    info = full.info
    return write_corpus(
        folder,
        {"train": [(src[i], tgt[i]) for i in chosen], "val": val},
        full.src_lang,
        full.tgt_lang,
        info["max_len"],
        2,
    )


def tatoeba(root: Path, mirror: str | None, max_len: int = 50, min_freq: int = 2) -> Corpus:
    """Tatoeba en-fr (attnseq's leak-free split), lowercased and Moses-tokenized."""
    folder = root / "tatoeba-en-fr"
    if (folder / "info.json").is_file():
        return Corpus(folder, "en", "fr")
    from attnseq.data.tokenizers import SPECIALS, Vocab, WordTokenizer

    tok = {
        lang: WordTokenizer(Vocab(SPECIALS), lang, moses=True, lowercase=True)
        for lang in ("en", "fr")
    }

    def tokenized(split: str) -> list[Pair]:
        pairs = load_pairs("tatoeba-fra-eng", split, "en", "fr", mirror=mirror)
        return [
            (" ".join(tok["en"].tokenize(s)), " ".join(tok["fr"].tokenize(t))) for s, t in pairs
        ]

    splits = {"train": tokenized("train"), "val": tokenized("valid")}
    return write_corpus(folder, splits, "en", "fr", max_len, min_freq)


def length_buckets(
    corpus: Corpus, limit: int | None = None, split: str = "test_2016_flickr"
) -> list[dict]:
    """Test sentences (the first ``limit``) grouped by source length, one file per group."""
    src = corpus.file(split, "src").read_text(encoding="utf-8").splitlines()[:limit]
    groups = []
    for low, high in LENGTH_BUCKETS:
        lines = [s for s in src if low <= len(s.split()) <= high]
        if not lines:
            continue
        path = corpus.folder / f"{split}.{limit or len(src)}.len{low}-{high}.{corpus.src_lang}"
        _write(path, lines)
        mean = sum(len(s.split()) for s in lines) / len(lines)
        label = f"{low}-{high}" if high < 999 else f"{low}+"
        groups.append(
            {"label": label, "path": str(path), "sentences": len(lines), "mean_len": mean}
        )
    return groups
