"""Tokenizers and vocabularies: text to ids and back.

Two kinds, one interface (``tokenize``/``detokenize`` between text and
pieces, ``encode``/``decode`` between text and ids):

* sentencepiece (unigram or BPE), trained on the training split, joint or
  one model per side: open vocabulary, the default;
* word level with Moses tokenization (sacremoses), or plain whitespace for
  data that is already tokenized, for comparison with the word-level
  literature (Multi30k's lowercased tokenized convention).

Every vocabulary starts with the same four specials so models, search and
checkpoints can rely on their ids.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import sentencepiece as spm

from attnseq.atomic import atomic_write_bytes, atomic_write_text
from attnseq.config import TokenizerConfig
from attnseq.errors import CheckpointError, DataError
from attnseq.paths import inside

SPECIALS = ("<pad>", "<unk>", "<s>", "</s>")
PAD, UNK, BOS, EOS = range(4)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class Vocab:
    """Token strings <-> ids; ids 0-3 are the specials."""

    def __init__(self, tokens: Sequence[str]):
        if tuple(tokens[:4]) != SPECIALS:
            raise DataError(f"vocabulary must start with {SPECIALS}")
        self.itos = list(tokens)
        # Text that spells "<s>", "</s>" or "<pad>" is text, not structure: it maps to <unk>.
        self.stoi = {tok: i for i, tok in enumerate(self.itos) if i not in (PAD, BOS, EOS)}

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.stoi.get(tok, UNK) for tok in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] for i in ids]

    @classmethod
    def build(
        cls,
        sentences: Iterable[list[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        symbols: Sequence[str] = (),
    ) -> Vocab:
        """Most frequent tokens first; ``symbols`` always follow the specials."""
        counts = Counter(tok for sent in sentences for tok in sent)
        reserved = [*SPECIALS, *(s for s in symbols if s not in SPECIALS)]
        ranked = sorted(
            (t for t, c in counts.items() if c >= min_freq and t not in reserved),
            key=lambda t: (-counts[t], t),
        )
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(reserved))]
        return cls([*reserved, *ranked])

    def save(self, path: Path) -> None:
        atomic_write_text(path, "\n".join(self.itos) + "\n")

    @classmethod
    def load(cls, path: Path) -> Vocab:
        return cls(path.read_text(encoding="utf-8").split("\n")[:-1])


class Tokenizer(Protocol):
    vocab: Vocab

    def tokenize(self, text: str) -> list[str]: ...

    def detokenize(self, pieces: Sequence[str]) -> str: ...


def encode(tokenizer: Tokenizer, text: str) -> list[int]:
    return tokenizer.vocab.encode(tokenizer.tokenize(text))


_HIDDEN = {SPECIALS[PAD], SPECIALS[BOS], SPECIALS[EOS]}  # structure, not text; <unk> stays visible


def decode(tokenizer: Tokenizer, ids: Iterable[int]) -> str:
    pieces = [p for p in tokenizer.vocab.decode(ids) if p not in _HIDDEN]
    return tokenizer.detokenize(pieces)


class Symbols:
    """Reserved words (a chat model's turn separator) kept whole as one token each.

    Text is cut at every symbol and the pieces between are tokenized on their
    own, so a symbol never merges with a neighbouring word and never costs a
    stray word-boundary piece, whatever the tokenizer.
    """

    def __init__(self, symbols: Sequence[str] = ()):
        self.items = tuple(symbols)
        self._pattern = (
            re.compile("(" + "|".join(re.escape(s) for s in self.items) + ")")
            if self.items
            else None
        )

    def tokenize(self, text: str, tokenize) -> list[str]:
        if self._pattern is None:
            return tokenize(text)
        pieces: list[str] = []
        for part in self._pattern.split(text):
            if part in self.items:
                pieces.append(part)
            elif part.strip():
                pieces.extend(tokenize(part.strip()))
        return pieces


class SentencePieceTokenizer:
    def __init__(self, model_proto: bytes, lowercase: bool, symbols: Sequence[str] = ()):
        self.processor = spm.SentencePieceProcessor(model_proto=model_proto)
        self.lowercase = lowercase
        self.vocab = Vocab(
            [self.processor.id_to_piece(i) for i in range(self.processor.get_piece_size())]
        )
        self.symbols = Symbols(symbols)

    def _pieces(self, text: str) -> list[str]:
        return self.processor.encode(text.lower() if self.lowercase else text, out_type=str)

    def tokenize(self, text: str) -> list[str]:
        # A str may hold lone surrogates (undecodable argv bytes, JSON "\\ud800" escapes);
        # sentencepiece cannot take them, so they become U+FFFD like any undecodable byte.
        text = _LONE_SURROGATE.sub("\ufffd", text)
        return self.symbols.tokenize(text, self._pieces)

    def detokenize(self, pieces: Sequence[str]) -> str:
        return self.processor.decode_pieces(list(pieces))

    @staticmethod
    def train(sentences: list[str], cfg: TokenizerConfig, symbols: Sequence[str] = ()) -> bytes:
        model = io.BytesIO()
        text = [s.lower() for s in sentences] if cfg.lowercase else sentences
        if symbols:  # seen as a whole piece, they must not shape the learnt pieces
            pattern = re.compile("|".join(re.escape(s) for s in symbols))
            text = [" ".join(pattern.sub(" ", s).split()) for s in text]
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(text),
            model_writer=model,
            model_type=cfg.model_type,
            vocab_size=cfg.vocab_size,
            character_coverage=cfg.character_coverage,
            input_sentence_size=cfg.sample_sentences,
            shuffle_input_sentence=True,
            hard_vocab_limit=False,  # small data sets get a smaller vocabulary, not an error
            pad_id=PAD,
            unk_id=UNK,
            bos_id=BOS,
            eos_id=EOS,
            pad_piece=SPECIALS[PAD],
            unk_piece=SPECIALS[UNK],
            bos_piece=SPECIALS[BOS],
            eos_piece=SPECIALS[EOS],
            user_defined_symbols=list(symbols),
            num_threads=2,
            minloglevel=2,
        )
        return model.getvalue()


class WordTokenizer:
    """Moses tokenization (or whitespace for pre-tokenized text) and a word vocabulary."""

    def __init__(
        self, vocab: Vocab, lang: str, moses: bool, lowercase: bool, symbols: Sequence[str] = ()
    ):
        self.vocab = vocab
        self.lang = lang
        self.moses = moses
        self.lowercase = lowercase
        self.symbols = Symbols(symbols)
        if moses:
            from sacremoses import MosesDetokenizer, MosesTokenizer

            self._tok = MosesTokenizer(lang=lang)
            self._detok = MosesDetokenizer(lang=lang)

    def tokenize(self, text: str) -> list[str]:
        return self.symbols.tokenize(text, self._words)

    def _words(self, text: str) -> list[str]:
        text = text.lower() if self.lowercase else text
        if self.moses:
            return self._tok.tokenize(text, escape=False)
        return text.split()

    def detokenize(self, pieces: Sequence[str]) -> str:
        return self._detok.detokenize(list(pieces)) if self.moses else " ".join(pieces)


# ---------------------------------------------------------------- run folder

META = "tokenizer.json"


def _side_file(run_dir: Path, side: str, joint: bool, suffix: str) -> Path:
    return run_dir / (f"joint.{suffix}" if joint else f"{side}.{suffix}")


def train_tokenizers(
    cfg: TokenizerConfig,
    pairs: Sequence[tuple[str, str]],
    src_lang: str,
    tgt_lang: str,
    run_dir: Path,
    symbols: Sequence[str] = (),
) -> tuple[Tokenizer, Tokenizer]:
    """Learn the tokenizers from training pairs and save them into ``run_dir``.

    ``symbols`` (a chat model's turn separator) become one token each, in
    every vocabulary, whether or not the training text contains them.
    """
    if not pairs:
        raise DataError("no training pairs to learn a vocabulary from")
    sides = {"src": [p[0] for p in pairs], "tgt": [p[1] for p in pairs]}
    langs = {"src": src_lang, "tgt": tgt_lang}
    if cfg.kind == "sentencepiece":
        groups = {"joint": sides["src"] + sides["tgt"]} if cfg.joint else sides
        for side, sentences in groups.items():
            atomic_write_bytes(
                run_dir / f"{side}.spm.model",
                SentencePieceTokenizer.train(sentences, cfg, symbols),
            )
    else:
        tokenized = {
            side: [
                WordTokenizer(
                    Vocab(SPECIALS), langs[side], cfg.moses, cfg.lowercase, symbols
                ).tokenize(s)
                for s in sents
            ]
            for side, sents in sides.items()
        }
        groups = {"joint": tokenized["src"] + tokenized["tgt"]} if cfg.joint else tokenized
        for side, sentences in groups.items():
            vocab = Vocab.build(sentences, cfg.min_freq, cfg.vocab_size, symbols)
            vocab.save(run_dir / f"{side}.vocab")
    meta = {
        "kind": cfg.kind,
        "joint": cfg.joint,
        "lowercase": cfg.lowercase,
        "moses": cfg.moses,
        "src_lang": src_lang,
        "tgt_lang": tgt_lang,
        "symbols": list(symbols),
    }
    atomic_write_text(run_dir / META, json.dumps(meta, indent=2) + "\n")
    return load_tokenizers(run_dir)


_META_TYPES = {
    "kind": str,
    "joint": bool,
    "lowercase": bool,
    "moses": bool,
    "src_lang": str,
    "tgt_lang": str,
}


def _read_meta(path: Path) -> dict:
    """tokenizer.json, checked field by field: a run folder may come from anyone."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing; is {path.parent} a run folder?") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path}: cannot read ({err})") from None
    except (json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"{path}: invalid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: expected a JSON object")
    for key, kind in _META_TYPES.items():
        if not isinstance(meta.get(key), kind):
            raise CheckpointError(
                f"{path}: field {key!r} must be a {kind.__name__}, got {meta.get(key)!r}"
            )
    if meta["kind"] not in ("sentencepiece", "word"):
        raise CheckpointError(
            f"{path}: field 'kind' must be 'sentencepiece' or 'word', got {meta['kind']!r}"
        )
    return meta


def load_tokenizers(run_dir: Path) -> tuple[Tokenizer, Tokenizer]:
    """The run's two tokenizers; file names are fixed, never taken from tokenizer.json."""
    meta = _read_meta(inside(run_dir, META))
    result: list[Tokenizer] = []
    symbols = meta.get("symbols", [])
    if not isinstance(symbols, list) or not all(isinstance(x, str) for x in symbols):
        raise CheckpointError(f"{run_dir / META}: field 'symbols' must be a list of strings")
    for side in ("src", "tgt"):
        if meta["kind"] == "sentencepiece":
            path = inside(run_dir, _side_file(Path(), side, meta["joint"], "spm.model"))
            try:
                result.append(SentencePieceTokenizer(path.read_bytes(), meta["lowercase"], symbols))
            except (OSError, RuntimeError, DataError) as err:
                raise CheckpointError(f"{path}: cannot load sentencepiece model ({err})") from None
        else:
            path = inside(run_dir, _side_file(Path(), side, meta["joint"], "vocab"))
            if not path.is_file():
                raise CheckpointError(f"{path}: vocabulary file missing")
            try:
                vocab = Vocab.load(path)
            except (OSError, UnicodeDecodeError, DataError) as err:
                raise CheckpointError(f"{path}: cannot load vocabulary ({err})") from None
            lang = meta[f"{side}_lang"]
            result.append(WordTokenizer(vocab, lang, meta["moses"], meta["lowercase"], symbols))
    return result[0], result[1]
