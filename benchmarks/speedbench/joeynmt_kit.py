"""JoeyNMT 2.3.0, configured as rnn-base.

Its recurrent decoder attends from the new state and forms
``tanh(W [h; c])``, the Luong form; ``input_feeding: false`` and
``attention: bahdanau`` (the MLP score) make it the same model as attnseq's
``luong`` decoder with ``additive`` attention. It has no wall-clock stop: the
benchmark ends it at the budget and evaluates ``best.ckpt`` (best validation
BLEU, as attnseq's ``model.safetensors``). Pitfalls handled here: a constant
learning rate needs ``scheduling: exponential`` with ``decrease_factor: 1.0``;
``translate -o FILE`` crashes after decoding, so translations are read from
stdout; ``--skip-test`` keeps training from decoding dev and test afterwards.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from speedbench.toolkit import Toolkit, TrainResult, TrainSpec

INITS = {
    # JoeyNMT's default: xavier for weights and embeddings, zero biases.
    "xavier": {},
    # As OpenNMT-py and attnseq: uniform +-0.1 everywhere.
    "uniform": {
        "initializer": "uniform",
        "init_weight": 0.1,
        "embed_initializer": "uniform",
        "embed_init_weight": 0.1,
        "bias_initializer": "uniform",
        "bias_init_weight": 0.1,
    },
}
_RATE = re.compile(r"Step:\s+(\d+),.*Tokens per Sec:\s+([\d.]+)")
_PARAMS = re.compile(r"Total params:\s+(\d+)")


def config(spec: TrainSpec, init: str, beam: int = 5) -> dict:
    c = spec.corpus
    lang = {"src": c.src_lang, "tgt": c.tgt_lang}

    def side(name: str) -> dict:
        return {
            "lang": lang[name],
            "level": "word",
            "lowercase": False,  # already lowercased
            "max_length": c.info["max_len"],
            "voc_min_freq": 2,
            "voc_file": str(c.vocab(name)),
            "tokenizer_type": "none",
        }

    return {
        "name": "rnn-base",
        "joeynmt_version": "2.3.0",
        "use_cuda": False,
        "fp16": False,
        "random_seed": spec.seed,
        "data": {
            "train": str(c.folder / "train"),
            "dev": str(c.folder / "val"),
            "dataset_type": "plain",
            **({"sample_dev_subset": spec.valid_sentences} if spec.valid_sentences else {}),
            "src": side("src"),
            "trg": side("tgt"),
        },
        "testing": {
            "beam_size": beam,
            "beam_alpha": 1.0,
            "batch_size": 64,
            "batch_type": "sentence",
            "eval_metrics": ["bleu"],
            "sacrebleu_cfg": {"tokenize": "none"},
        },
        "training": {
            "model_dir": str(spec.out),
            "overwrite": True,
            "optimizer": "adam",
            "learning_rate": 0.001,
            "learning_rate_min": 1.0e-8,
            "scheduling": "exponential",  # with decrease_factor 1.0: a constant rate
            "decrease_factor": 1.0,
            "batch_size": 64,
            "batch_type": "sentence",
            "normalization": "tokens",
            "label_smoothing": 0.1,
            "clip_grad_norm": 1.0,
            "epochs": spec.epochs,
            "validation_freq": spec.valid_every if spec.validate else 10**9,
            "logging_freq": spec.log_every,
            "eval_metric": ["bleu"],
            "early_stopping_metric": "bleu",
            "keep_best_ckpts": 1,
            "shuffle": True,
            "print_valid_sents": [0],
        },
        "model": {
            **INITS[init],
            "tied_embeddings": False,
            "encoder": {
                "type": "recurrent",
                "rnn_type": "gru",
                "embeddings": {"embedding_dim": 256, "scale": False, "dropout": 0.3},
                "hidden_size": 256,
                "bidirectional": True,
                "dropout": 0.3,
                "num_layers": 1,
            },
            "decoder": {
                "type": "recurrent",
                "rnn_type": "gru",
                "embeddings": {"embedding_dim": 256, "scale": False, "dropout": 0.3},
                "hidden_size": 512,
                "dropout": 0.3,
                "hidden_dropout": 0.3,
                "num_layers": 1,
                "input_feeding": False,
                "init_hidden": "bridge",
                "attention": "bahdanau",
            },
        },
    }


class JoeyNMT(Toolkit):
    def __init__(self, python: Path, init: str):
        super().__init__(python)
        self.init = init
        self.name = f"joeynmt-{init}"

    def _write_config(self, spec: TrainSpec, beam: int, name: str) -> Path:
        spec.out.mkdir(parents=True, exist_ok=True)
        path = spec.out.parent / f"{spec.out.name}.{name}.yaml"
        path.write_text(yaml.safe_dump(config(spec, self.init, beam), sort_keys=False))
        return path

    def train(self, spec: TrainSpec) -> TrainResult:
        cfg = self._write_config(spec, 5, "train")
        cmd = [str(self.python), "-m", "joeynmt", "train", str(cfg), "--skip-test"]
        child, started = self.run_training(cmd, spec)
        log = spec.out / "train.log"
        return self.logged_result(
            child, started, log, _RATE, _PARAMS, spec.out / "best.ckpt", "Tokens per Sec"
        )

    def translate_cmd(self, run, spec, beam, work, src):
        cfg = self._write_config(spec, beam, f"beam{beam}")
        return [str(self.python), "-m", "joeynmt", "translate", str(cfg)]
