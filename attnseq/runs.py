"""Build a model from a run folder and check that its weights belong to it.

Why a module of its own: training, averaging and every task front end
(translator, chatbot, captioner, aligner) need the same model factory and the
same checks on a checkpoint's metadata, and none of them should import another
one's front end to get them.
"""

from __future__ import annotations

from pathlib import Path

from attnseq.checkpoints import diff_dicts, fingerprint, load_tensors, load_weights
from attnseq.config import Config, config_from_dict, read_yaml
from attnseq.data.tokenizers import UNK, Tokenizer, load_tokenizers
from attnseq.errors import CheckpointError
from attnseq.models.captioner import CaptionModel
from attnseq.models.seq2seq import Seq2Seq
from attnseq.paths import inside


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
    differences = diff_dicts(expected["model"], saved_model, "model") + diff_dicts(
        expected["vocab"], found.get("vocab"), "vocabulary"
    )
    if differences:
        raise CheckpointError(
            f"{source}: trained with a different configuration or vocabulary: "
            + "; ".join(differences[:6])
        )


def build_model(cfg: Config, src_tok: Tokenizer, tgt_tok: Tokenizer) -> Seq2Seq:
    if cfg.task == "caption":
        return CaptionModel(cfg.model, len(tgt_tok.vocab), unk_id=UNK)
    return Seq2Seq(cfg.model, len(src_tok.vocab), len(tgt_tok.vocab))


def load_run(
    run_dir: str | Path,
    weights: str = "model.safetensors",
    device: str = "cpu",
    tasks: tuple[str, ...] = ("translation", "chat"),
) -> tuple[Config, Seq2Seq, Tokenizer, Tokenizer]:
    """A run folder's config, model (weights checked and loaded) and tokenizers."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(f"{run_dir}: run folder not found")
    config = inside(run_dir, "config.yaml")
    cfg = config_from_dict(read_yaml(config), str(config))
    if cfg.task not in tasks:
        use = "attnseq caption" if cfg.task == "caption" else "attnseq translate"
        raise CheckpointError(f"{run_dir}: a {cfg.task} run; use it with {use}")
    src_tok, tgt_tok = load_tokenizers(run_dir)
    model = build_model(cfg, src_tok, tgt_tok)
    path = inside(run_dir, weights)
    tensors, meta = load_tensors(path)
    check_meta(model_meta(cfg, src_tok, tgt_tok), meta, str(path))
    load_weights(model, tensors, str(path))
    return cfg, model.to(device), src_tok, tgt_tok
