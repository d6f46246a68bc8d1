"""OpenNMT-py 3.5.1, configured as rnn-base.

``decoder_type: rnn`` with ``input_feed: 0`` is its StdRNNDecoder: the RNN
runs over the whole target in one call, then ``tanh(W [c; h])`` from the new
state (the Luong form), with ``global_attention: mlp`` (the additive score).
It has no wall-clock stop: the benchmark ends it at the budget and evaluates
the last saved step checkpoint (it keeps no best-by-BLEU model). Pitfalls:
its checkpoints need ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` under torch >= 2.6;
its vocabulary builder fails on an empty token, so it reads the squeezed
copies and the vocabularies written by ``speedbench.data``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from speedbench.toolkit import Toolkit, TrainResult, TrainSpec

ENV = {"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
_RATE = re.compile(r"Step (\d+)/\s*\d+;.*?\d+/\s*(\d+) tok/s")  # target side
_PARAMS = re.compile(r"\* number of parameters: (\d+)")
BATCH = 64  # sentences


def config(spec: TrainSpec) -> dict:
    c = spec.corpus
    every = spec.valid_every if spec.validate else 10**9
    return {
        "save_data": str(spec.out / "data"),
        "src_vocab": str(c.counts("src")),
        "tgt_vocab": str(c.counts("tgt")),
        "src_words_min_frequency": 2,
        "tgt_words_min_frequency": 2,
        "vocab_size_multiple": 1,  # the exact vocabulary, as the other two
        "overwrite": True,
        "data": {
            "corpus_1": {
                "path_src": str(c.file("train", "src")),
                "path_tgt": str(c.file("train", "tgt")),
            },
            "valid": {"path_src": str(c.file("val", "src")), "path_tgt": str(c.file("val", "tgt"))},
        },
        "save_model": str(spec.out / "model"),
        "save_checkpoint_steps": every,
        "keep_checkpoint": 2,
        "seed": spec.seed,
        # The scaling runs: one epoch of 64-sentence batches. Its ``single_pass`` does not
        # do that in 3.5.1: it sets train_steps to 0, which means no limit.
        "train_steps": 10**7 if spec.validate else -(-c.info["train_pairs"] // BATCH),
        "valid_steps": every,
        "report_every": spec.log_every,
        "log_file": str(spec.out / "train.log"),
        # model
        "encoder_type": "brnn",
        "decoder_type": "rnn",
        "rnn_type": "GRU",
        "enc_layers": 1,
        "dec_layers": 1,
        "enc_hid_size": 512,  # brnn: 256 per direction
        "dec_hid_size": 512,
        "word_vec_size": 256,
        "global_attention": "mlp",
        "input_feed": 0,
        "bridge": True,
        "dropout": [0.3],
        "param_init": 0.1,
        # optimisation
        "optim": "adam",
        "learning_rate": 0.001,
        "learning_rate_decay": 1.0,
        "decay_method": "none",
        "max_grad_norm": 1.0,
        "label_smoothing": 0.1,
        "batch_size": BATCH,
        "batch_type": "sents",
        "normalization": "tokens",
        "valid_batch_size": 64,
        # Its default bucket (262,144 examples) reads a 29k corpus nine times before the
        # first step; one epoch per bucket is what a user of a small corpus would set.
        "bucket_size": max(c.info["train_pairs"], 1000),
    }


class OpenNMT(Toolkit):
    name = "opennmt"

    def __init__(self, python: Path):
        super().__init__(python, ENV)

    def _bin(self, name: str) -> str:
        return str(self.python.parent / name)

    def train(self, spec: TrainSpec) -> TrainResult:
        spec.out.mkdir(parents=True, exist_ok=True)
        cfg = spec.out.parent / f"{spec.out.name}.train.yaml"
        cfg.write_text(yaml.safe_dump(config(spec), sort_keys=False))
        child, started = self.run_training([self._bin("onmt_train"), "-config", str(cfg)], spec)
        log = spec.out / "train.log"
        checkpoint = self.last_checkpoint(spec.out)
        return self.logged_result(child, started, log, _RATE, _PARAMS, checkpoint, "tok/s")

    @staticmethod
    def last_checkpoint(out: Path) -> Path | None:
        found = sorted(out.glob("model_step_*.pt"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
        return found[-1] if found else None

    def output_file(self, work: Path, src: Path, beam: int) -> Path:
        # Not /dev/stdout: written there, a beam-5 output lost a line.
        return work / f"{src.name}.beam{beam}.out"

    def translate_cmd(self, run, spec, beam, work, src):
        if run.checkpoint is None:
            raise RuntimeError(f"{spec.out}: OpenNMT-py saved no checkpoint")
        return [
            self._bin("onmt_translate"),
            "-model", str(run.checkpoint),
            "-src", str(src),
            "-output", str(self.output_file(work, src, beam)),
            "-beam_size", str(beam),
            "-batch_size", "64",
            "-batch_type", "sents",
            "-length_penalty", "avg",
        ]  # fmt: skip
