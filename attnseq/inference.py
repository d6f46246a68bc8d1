"""Use a trained run folder: load it, translate text, get the attention.

This is the Python API that the command line, the server and user code share::

    import attnseq
    model = attnseq.load("runs/fr-en")
    out = model.translate(["Je suis content."])[0]
    out.text, out.src_tokens, out.out_tokens, out.attention
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor

from attnseq.checkpoints import diff_dicts, fingerprint, load_tensors, load_weights
from attnseq.config import Config, config_from_dict, read_yaml
from attnseq.data.tokenizers import SPECIALS, Tokenizer, decode, encode, load_tokenizers
from attnseq.errors import CheckpointError
from attnseq.models.seq2seq import Seq2Seq
from attnseq.search.decode import decode_corpus
from attnseq.search.hypothesis import Hypothesis

EOS_PIECE = SPECIALS[3]


@dataclass
class Translation:
    source: str
    text: str
    src_tokens: list[str]  # what the model read, EOS included: the heatmap's columns
    out_tokens: list[str]  # what it wrote, EOS included when emitted: the heatmap's rows
    attention: Tensor  # [len(out_tokens), len(src_tokens)]
    score: float
    alternatives: list[Translation] = field(default_factory=list)  # the rest of the n-best list

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "translation": self.text,
            "score": self.score,
            "src_tokens": self.src_tokens,
            "out_tokens": self.out_tokens,
            "attention": [[round(float(w), 5) for w in row] for row in self.attention],
        }


def model_meta(cfg: Config, src_tok: Tokenizer, tgt_tok: Tokenizer) -> dict:
    """What a weights file must agree with to be loaded into this run."""
    return {
        "model": cfg.to_dict()["model"],
        "vocab": {"src": fingerprint(src_tok.vocab.itos), "tgt": fingerprint(tgt_tok.vocab.itos)},
    }


def with_defaults(saved, defaults):
    """``saved`` with the keys it lacks taken from ``defaults``, at every depth.

    A checkpoint written before a config field existed was trained with what
    that field's default now means, so it still matches a model built with it.
    """
    if not isinstance(saved, dict) or not isinstance(defaults, dict):
        return saved
    return {**defaults, **{k: with_defaults(v, defaults.get(k)) for k, v in saved.items()}}


def check_meta(expected: dict, found: dict, source: str) -> None:
    saved_model = with_defaults(found.get("model"), Config().to_dict()["model"])
    differences = diff_dicts(expected["model"], saved_model) + diff_dicts(
        expected["vocab"], found.get("vocab"), "vocabulary"
    )
    if differences:
        raise CheckpointError(
            f"{source}: trained with a different configuration or vocabulary: "
            + "; ".join(differences[:6])
        )


def build_model(cfg: Config, src_tok: Tokenizer, tgt_tok: Tokenizer) -> Seq2Seq:
    return Seq2Seq(cfg.model, len(src_tok.vocab), len(tgt_tok.vocab))


class Translator:
    def __init__(
        self,
        cfg: Config,
        model: Seq2Seq,
        src_tok: Tokenizer,
        tgt_tok: Tokenizer,
        device: str = "cpu",
        run_dir: Path | None = None,
    ):
        self.cfg, self.model, self.src_tok, self.tgt_tok = cfg, model.eval(), src_tok, tgt_tok
        self.device = device
        self.run_dir = run_dir

    @classmethod
    def load(
        cls, run_dir: str | Path, weights: str = "model.safetensors", device: str = "cpu"
    ) -> Translator:
        run_dir = Path(run_dir)
        if not run_dir.is_dir():
            raise CheckpointError(f"{run_dir}: run folder not found")
        cfg = config_from_dict(read_yaml(run_dir / "config.yaml"), str(run_dir / "config.yaml"))
        src_tok, tgt_tok = load_tokenizers(run_dir)
        model = build_model(cfg, src_tok, tgt_tok)
        path = run_dir / weights
        tensors, meta = load_tensors(path)
        check_meta(model_meta(cfg, src_tok, tgt_tok), meta, str(path))
        load_weights(model, tensors, str(path))
        return cls(cfg, model.to(device), src_tok, tgt_tok, device, run_dir)

    def _translation(self, source: str, src_ids: list[int], hyp: Hypothesis) -> Translation:
        out_tokens = self.tgt_tok.vocab.decode(hyp.tokens)
        if hyp.attention.size(0) > len(hyp.tokens):
            out_tokens.append(EOS_PIECE)
        return Translation(
            source=source,
            text=decode(self.tgt_tok, hyp.tokens),
            src_tokens=[*self.src_tok.vocab.decode(src_ids), EOS_PIECE],
            out_tokens=out_tokens,
            attention=hyp.attention,
            score=hyp.normalized,
        )

    def translate(
        self,
        texts: str | list[str],
        beam: int = 5,
        nbest: int = 1,
        batch_size: int = 64,
        max_len_ratio: float = 2.0,
        length_penalty: float = 1.0,
        progress=None,
    ) -> list[Translation]:
        """Translate sentences; each result carries its attention and n-best alternatives."""
        texts = [texts] if isinstance(texts, str) else list(texts)
        sources = [encode(self.src_tok, text) for text in texts]
        with torch.inference_mode():
            found = decode_corpus(
                self.model,
                sources,
                beam,
                nbest,
                batch_size,
                max_len_ratio,
                length_penalty,
                self.device,
                progress,
            )
        results = []
        for text, src_ids, hyps in zip(texts, sources, found, strict=False):
            best, *rest = [self._translation(text, src_ids, h) for h in hyps]
            best.alternatives = rest
            results.append(best)
        return results


def load(run_dir: str | Path, device: str = "cpu") -> Translator:
    """Load a trained run folder for translation."""
    return Translator.load(run_dir, device=device)
