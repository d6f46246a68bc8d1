"""attnseq: ``attnseq train configs/bench-rnn-base.yaml`` and ``attnseq translate``."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from speedbench.proc import run_child
from speedbench.toolkit import Toolkit, TrainResult, TrainSpec, steady

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "configs" / "bench-rnn-base.yaml"


def metric_windows(metrics_file: Path) -> tuple[list[float], int | None]:
    """Tokens/s between consecutive validations (training time only) and the last step."""
    rows = []
    if metrics_file.is_file():
        rows = [json.loads(line) for line in metrics_file.read_text().splitlines() if line.strip()]
    windows, last = [], (0.0, 0.0)
    for row in rows:
        seconds = row["train_seconds"]
        tokens = row["train_tokens_per_s"] * seconds
        if seconds > last[0]:
            windows.append((tokens - last[1]) / (seconds - last[0]))
        last = (seconds, tokens)
    return windows, (rows[-1]["step"] if rows else None)


class Attnseq(Toolkit):
    name = "attnseq"

    def __init__(
        self,
        python: Path,
        mirror: str,
        extra: list[str] | None = None,
        label: str = "attnseq",
        translate_args: list[str] | None = None,
    ):
        super().__init__(python, {"ATTNSEQ_MIRROR": mirror, "PYTHONPATH": str(REPO)})
        self.extra = extra or []
        self.name = label
        self.translate_args = translate_args or []  # e.g. --quantize int8

    def overrides(self, spec: TrainSpec) -> list[str]:
        sets = [
            f"train.seed={spec.seed}",
            f"train.max_epochs={spec.epochs}",
            f"train.valid_every={spec.valid_every}",
            f"train.log_every={spec.log_every}",
            "train.max_minutes=null",  # the wall-clock budget stops every toolkit alike
        ]
        corpus = spec.corpus
        if corpus.folder.name != "multi30k-en-fr":  # scaling runs: the prepared copies
            sets += [
                "data.dataset=null",
                f"data.train={{src: {corpus.file('train', 'src')}, tgt: {corpus.file('train', 'tgt')}}}",
                f"data.valid={{src: {corpus.file('val', 'src')}, tgt: {corpus.file('val', 'tgt')}}}",
            ]
        if spec.valid_sentences:
            sets += [
                f"data.max_valid_pairs={spec.valid_sentences}",
                f"train.valid_bleu_sentences={spec.valid_sentences}",
            ]
        if not spec.validate:
            sets += ["data.max_valid_pairs=1", "train.valid_bleu_sentences=1"]
        return sets + self.extra

    def train(self, spec: TrainSpec) -> TrainResult:
        cmd = [str(self.python), "-m", "attnseq", "train", str(CONFIG), "--out", str(spec.out)]
        cmd += ["--quiet"] + [arg for s in self.overrides(spec) for arg in ("--set", s)]
        child = run_child(
            cmd,
            spec.out.parent / f"{spec.out.name}.log",
            env=self.env,
            budget_s=spec.budget_s,
            stop_signal=signal.SIGTERM,  # attnseq saves its state and exits
        )
        windows, steps = metric_windows(spec.out / "metrics.jsonl")
        return TrainResult(
            child,
            steady(windows),
            windows,
            steps,
            params=self.parameters(spec.out),
            checkpoint=spec.out / "model.safetensors",
            epoch_s=child.wall_s,
        )

    def parameters(self, run_dir: Path) -> int | None:
        if not (run_dir / "model.safetensors").is_file():
            return None
        from attnseq.api.translator import Translator
        from attnseq.models.seq2seq import count_parameters

        return count_parameters(Translator.load(run_dir).model)

    def translate_cmd(self, run, spec, beam, work, src):
        cmd = [str(self.python), "-m", "attnseq", "translate", str(spec.out), "--beam", str(beam)]
        return cmd + self.translate_args
