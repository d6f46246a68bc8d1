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

from attnseq.config import Config
from attnseq.data.pipeline import fit_source
from attnseq.data.tokenizers import SPECIALS, Tokenizer, decode, encode
from attnseq.errors import AttnseqError, CheckpointError
from attnseq.models.ensemble import Ensemble
from attnseq.models.quantization import quantize_int8
from attnseq.models.seq2seq import Seq2Seq
from attnseq.runs import load_run
from attnseq.search.anti_lm import AntiLM
from attnseq.search.decode import decode_corpus
from attnseq.search.hypothesis import Hypothesis
from attnseq.search.sampling import Sampling

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


class Translator:
    def __init__(
        self,
        cfg: Config,
        model: Seq2Seq | Ensemble,
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
        cls,
        run_dir: str | Path,
        weights: str = "model.safetensors",
        device: str = "cpu",
        quantize: str | None = None,
    ) -> Translator:
        cfg, model, src_tok, tgt_tok = load_run(run_dir, weights, device)
        if quantize == "int8":
            if torch.device(device).type != "cpu":
                raise CheckpointError("int8 quantization is for decoding on the CPU (device cpu)")
            model = quantize_int8(model)
        return cls(cfg, model, src_tok, tgt_tok, device, Path(run_dir))

    @classmethod
    def ensemble(
        cls,
        run_dirs: list[str | Path],
        weights: str = "model.safetensors",
        device: str = "cpu",
        quantize: str | None = None,
    ) -> Translator:
        """Decode with several runs at once; they must share both vocabularies."""
        members = [cls.load(run_dir, weights, device, quantize) for run_dir in run_dirs]
        first = members[0]
        if len(members) == 1:
            return first
        for other in members[1:]:
            for side in ("source", "target"):
                tok = "src_tok" if side == "source" else "tgt_tok"
                if getattr(other, tok).vocab.itos != getattr(first, tok).vocab.itos:
                    raise CheckpointError(
                        f"{other.run_dir}: its {side} vocabulary differs from {first.run_dir}'s; "
                        "ensembled runs must share their vocabularies"
                    )
        model = Ensemble([member.model for member in members])
        return cls(first.cfg, model, first.src_tok, first.tgt_tok, device, first.run_dir)

    @property
    def has_attention(self) -> bool:
        """False for the no-attention baseline, whose attention rows are all zero."""
        return self.cfg.model.decoder.attention != "none"

    def encode_source(self, text: str) -> list[int]:
        """Source ids as the model was trained on them: a chat context keeps its
        last ``data.max_len`` tokens."""
        ids = encode(self.src_tok, text)
        return fit_source(ids, self.cfg.data.max_len) if self.cfg.task == "chat" else ids

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
        *,
        min_len: int = 0,
        no_repeat_ngram: int = 0,
        max_len: int | None = None,
        sample: bool = False,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        seed: int | None = None,
        anti_lm: float = 0.0,
        anti_lm_steps: int = 3,
    ) -> list[Translation]:
        """Translate sentences; each result carries its attention and n-best alternatives.

        Beyond beam size and length penalty: ``no_repeat_ngram`` n blocks any
        repeated n-gram in an output, ``min_len`` forbids shorter outputs,
        ``max_len`` caps the output length (default: ``max_len_ratio`` times
        the source; for a chat model ``data.max_len``, since an answer's length
        does not follow its context's). ``sample=True`` draws ``nbest`` outputs instead of
        searching, shaped by ``temperature``, ``top_k`` and ``top_p``, from a
        generator seeded with ``seed``. ``anti_lm`` > 0 penalises the first
        ``anti_lm_steps`` words by what the model would say to an empty context
        (MMI-antiLM, :mod:`attnseq.search.anti_lm`): fewer generic chat answers.
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        sources = [self.encode_source(text) for text in texts]
        if beam < 1 or nbest < 1 or (nbest > beam and not sample):
            raise AttnseqError(f"nbest ({nbest}) must be between 1 and the beam size ({beam})")
        if min_len < 0 or no_repeat_ngram < 0 or (max_len is not None and max_len < 1):
            raise AttnseqError(
                "min_len and no_repeat_ngram must be >= 0 and max_len >= 1, got "
                f"{min_len}, {no_repeat_ngram}, {max_len}"
            )
        if max_len is None and self.cfg.task == "chat":
            max_len = self.cfg.data.max_len
        if anti_lm < 0 or anti_lm_steps < 1:
            raise AttnseqError(
                f"anti_lm must be >= 0 and anti_lm_steps >= 1, got {anti_lm}, {anti_lm_steps}"
            )
        sampling = Sampling(temperature, top_k, top_p, seed) if sample else None
        model = AntiLM(self.model, anti_lm, anti_lm_steps) if anti_lm > 0 else self.model
        with torch.inference_mode():
            found = decode_corpus(
                model,
                sources,
                beam,
                nbest,
                batch_size,
                max_len_ratio,
                length_penalty,
                self.device,
                progress,
                min_len=min_len,
                no_repeat_ngram=no_repeat_ngram,
                max_len=max_len,
                sampling=sampling,
            )
        results = []
        for text, src_ids, hyps in zip(texts, sources, found, strict=False):
            best, *rest = [self._translation(text, src_ids, h) for h in hyps]
            best.alternatives = rest
            results.append(best)
        return results


def load(*run_dirs: str | Path, device: str = "cpu", quantize: str | None = None) -> Translator:
    """Load a trained run folder for translation; several folders make an ensemble.

    ``quantize="int8"`` converts the model for faster CPU decoding (see
    :mod:`attnseq.models.quantization`).
    """
    return Translator.ensemble(list(run_dirs), device=device, quantize=quantize)
