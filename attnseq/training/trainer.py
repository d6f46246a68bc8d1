"""The training loop: batches in, checkpoints, metrics and heatmaps out.

A run folder holds everything needed to continue or use a run:

* ``config.yaml`` (the resolved config) and the tokenizer files;
* ``model.safetensors``: the best weights by validation;
* ``last.safetensors``: weights, optimizer, schedule, data position and RNG
  state, so ``--resume`` continues exactly where the run stopped (the same
  losses as a run that was never interrupted);
* ``metrics.jsonl``, ``train.log`` and ``attention/`` heatmaps from validation.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from attnseq.checkpoints import load_tensors, load_weights, prefixed, save_tensors
from attnseq.config import Config, save_config
from attnseq.data.batching import batch_indices, collate
from attnseq.data.pipeline import Encoded, encode_pairs, load_split
from attnseq.data.tokenizers import PAD, load_tokenizers, train_tokenizers
from attnseq.errors import AttnseqError, CheckpointError
from attnseq.evaluation.likelihood import corpus_nll
from attnseq.evaluation.metrics import bleu, chrf, perplexity
from attnseq.inference import Translator, build_model, check_meta, model_meta
from attnseq.training.averaging import prune_checkpoints, step_checkpoint
from attnseq.training.optim import Schedule, build_optimizer
from attnseq.training.regularizers import doubly_stochastic_penalty
from attnseq.visualisation.heatmap import save_heatmap

LAST, BEST = "last.safetensors", "model.safetensors"


@dataclass
class Progress:
    """Where training stands; saved in ``last.safetensors`` as JSON."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # index of the next batch of this epoch's fixed order
    best: float | None = None
    bad_validations: int = 0
    train_seconds: float = 0.0
    train_tokens: int = 0


def setup_logger(run_dir: Path) -> logging.Logger:
    logger = logging.getLogger(f"attnseq.train.{run_dir.resolve()}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not logger.handlers:
        handler = logging.FileHandler(run_dir / "train.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    return logger


class Trainer:
    def __init__(
        self,
        cfg: Config,
        run_dir: Path,
        resume: bool = False,
        show_progress: bool = True,
        base_dir: Path = Path("."),
    ):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.show_progress = show_progress
        self.base_dir = base_dir
        self.stop_signal: int | None = None

    # -- set-up ----------------------------------------------------------------

    def say(self, message: str) -> None:
        """A line for the log file and the terminal (above the progress bar)."""
        self.log.info(message)
        if self.show_progress:
            tqdm.write(message)

    def _prepare_run_dir(self) -> None:
        if self.resume:
            if not (self.run_dir / LAST).is_file():
                raise CheckpointError(f"{self.run_dir / LAST}: nothing to resume from")
        elif (self.run_dir / LAST).exists():
            raise AttnseqError(
                f"{self.run_dir}: already holds a run; use --resume {self.run_dir} or another --out"
            )
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise AttnseqError(
                f"{self.run_dir}: cannot create run folder ({err.strerror})"
            ) from None
        self.log = setup_logger(self.run_dir)
        if not self.resume:
            save_config(self.cfg, self.run_dir / "config.yaml")

    def _load_data(self) -> None:
        data = self.cfg.data
        train_pairs, empty = load_split(data, "train", self.base_dir)
        if data.max_train_pairs is not None and len(train_pairs) > data.max_train_pairs:
            train_pairs = random.Random(self.cfg.train.seed).sample(
                train_pairs, data.max_train_pairs
            )
        valid_pairs, valid_empty = load_split(data, "valid", self.base_dir)
        if data.max_valid_pairs is not None:
            valid_pairs = valid_pairs[: data.max_valid_pairs]
        if self.resume:
            self.src_tok, self.tgt_tok = load_tokenizers(self.run_dir)
        else:
            self.say(
                f"learning {self.cfg.tokenizer.kind} vocabularies from {len(train_pairs):,} pairs"
            )
            self.src_tok, self.tgt_tok = train_tokenizers(
                self.cfg.tokenizer, train_pairs, data.src_lang, data.tgt_lang, self.run_dir
            )
        self.train_data = encode_pairs(train_pairs, self.src_tok, self.tgt_tok, data.max_len)
        self.valid_data = encode_pairs(valid_pairs, self.src_tok, self.tgt_tok, None)
        self.train_data.dropped_empty += empty
        self.valid_data.dropped_empty += valid_empty
        self._report_data("train", self.train_data)
        self._report_data("valid", self.valid_data)
        if not self.train_data.examples:
            raise AttnseqError(
                "no training pairs left after filtering; check data.max_len and the files"
            )
        if not self.valid_data.examples:
            raise AttnseqError(
                "no validation pairs; give data.valid files or a data set with a valid split"
            )
        self.lengths = [(len(s), len(t)) for s, t in self.train_data.examples]

    def _report_data(self, name: str, data: Encoded) -> None:
        self.say(
            f"{name}: {len(data.examples):,} pairs (dropped {data.dropped_empty:,} empty, "
            f"{data.dropped_long:,} longer than {self.cfg.data.max_len} tokens); vocab "
            f"{len(self.src_tok.vocab):,} src / {len(self.tgt_tok.vocab):,} tgt"
        )

    def _build(self) -> None:
        torch.manual_seed(self.cfg.train.seed)
        if self.cfg.train.threads:
            torch.set_num_threads(self.cfg.train.threads)
        self.device = torch.device(self.cfg.train.device)
        self.model = build_model(self.cfg, self.src_tok, self.tgt_tok).to(self.device)
        self.optimizer = build_optimizer(self.model, self.cfg.train)
        self.schedule = Schedule(self.optimizer, self.cfg.train)
        self.progress = Progress()
        self.meta = model_meta(self.cfg, self.src_tok, self.tgt_tok)
        if self.resume:
            self._load_state()

    # -- checkpoints -------------------------------------------------------------

    def _optimizer_tensors(self) -> tuple[dict[str, torch.Tensor], dict]:
        state = self.optimizer.state_dict()
        tensors, scalars = {}, {}
        for pid, values in state["state"].items():
            for name, value in values.items():
                if torch.is_tensor(value):
                    tensors[f"optim.{pid}.{name}"] = value
                else:
                    scalars[f"{pid}.{name}"] = value
        return tensors, {"param_groups": state["param_groups"], "scalars": scalars}

    def save_state(self) -> None:
        optim_tensors, optim_json = self._optimizer_tensors()
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        tensors.update(optim_tensors)
        tensors["rng.torch"] = torch.get_rng_state()
        meta = {
            **self.meta,
            "kind": "training-state",
            "progress": self.progress.__dict__,
            "optimizer": optim_json,
            "schedule": self.schedule.state_dict(),
        }
        save_tensors(self.run_dir / LAST, tensors, meta)

    def _load_state(self) -> None:
        path = self.run_dir / LAST
        tensors, meta = load_tensors(path)
        check_meta(self.meta, meta, str(path))
        load_weights(self.model, prefixed(tensors, "model"), str(path))
        optim = meta["optimizer"]
        state: dict[int, dict] = {}
        for name, value in prefixed(tensors, "optim").items():
            pid, key = name.split(".", 1)
            state.setdefault(int(pid), {})[key] = value
        for name, value in optim["scalars"].items():
            pid, key = name.split(".", 1)
            state.setdefault(int(pid), {})[key] = value
        self.optimizer.load_state_dict({"state": state, "param_groups": optim["param_groups"]})
        self.schedule.load_state_dict(meta["schedule"])
        torch.set_rng_state(tensors["rng.torch"])
        self.progress = Progress(**meta["progress"])
        self.say(f"resumed from {path} at step {self.progress.step} (epoch {self.progress.epoch})")

    def save_model(self, path: Path, metrics: dict) -> None:
        """Weights only, loadable by ``Translator``: the best model and kept checkpoints."""
        save_tensors(
            path,
            self.model.state_dict(),
            {**self.meta, "kind": "model", "step": self.progress.step, "metrics": metrics},
        )

    # -- steps -------------------------------------------------------------------

    def _loss(self, batch, smoothing: float) -> tuple[torch.Tensor, torch.Tensor]:
        logits, attention = self.model(
            batch.src,
            batch.src_lengths,
            batch.tgt_in,
            self.cfg.train.teacher_forcing if self.model.training else 1.0,
        )
        flat = logits.view(-1, logits.size(-1)).float()
        target = batch.tgt_out.view(-1)
        loss = F.cross_entropy(
            flat, target, ignore_index=PAD, label_smoothing=smoothing, reduction="sum"
        )
        nll = (
            F.cross_entropy(flat, target, ignore_index=PAD, reduction="sum") if smoothing else loss
        )
        if self.cfg.train.doubly_stochastic and self.model.training:
            penalty = doubly_stochastic_penalty(attention, batch.tgt_out != PAD, batch.src_lengths)
            loss = loss + self.cfg.train.doubly_stochastic * penalty.sum()
        return loss, nll.detach()

    def collate(self, indices: list[int]):
        """The training batch of these examples, on the device."""
        return collate(self.train_data.examples, indices).to(self.device)

    def train_step(self, batch) -> float | None:
        """One update; returns the per-token loss, or None when it was skipped (not finite)."""
        self.model.train()
        loss, _ = self._loss(batch, self.cfg.train.label_smoothing)
        tokens = batch.num_tokens
        loss = loss / tokens
        if not torch.isfinite(loss):
            return None
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.train.clip_norm:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.clip_norm)
        self.optimizer.step()
        self.schedule.after_step()
        return float(loss.detach())

    @torch.no_grad()
    def validate(self) -> dict:
        self.model.eval()
        total_nll, total_tokens = corpus_nll(
            self.model, self.valid_data.examples, self.cfg.train.batch_tokens, self.device
        )
        translator = Translator(self.cfg, self.model, self.src_tok, self.tgt_tok, str(self.device))
        count = self.cfg.train.valid_bleu_sentences
        sources = [s for s, _ in self.valid_data.pairs[:count]]
        refs = [t for _, t in self.valid_data.pairs[:count]]
        outputs = translator.translate(sources, beam=1)
        hyps = [o.text for o in outputs]
        metrics = {
            "valid_loss": total_nll / max(total_tokens, 1),
            "valid_ppl": perplexity(total_nll, total_tokens),
            "valid_bleu": bleu(hyps, refs).score if hyps else 0.0,
            "valid_chrf": chrf(hyps, refs).score if hyps else 0.0,
        }
        for out, ref in list(zip(outputs, refs, strict=False))[:3]:
            self.say(f"  src: {out.source}\n  ref: {ref}\n  out: {out.text}")
        if outputs:
            first = outputs[0]
            save_heatmap(
                self.run_dir / "attention" / f"step-{self.progress.step:07d}.png",
                first.src_tokens,
                first.out_tokens,
                first.attention.numpy(),
                title=f"step {self.progress.step}",
            )
        self.model.train()
        return metrics

    def describe_scores(self, metrics: dict) -> str:
        """The validation scores for the log line."""
        return f"BLEU {metrics['valid_bleu']:.2f} chrF {metrics['valid_chrf']:.2f}"

    # -- loop --------------------------------------------------------------------

    def _on_signal(self, signum, _frame) -> None:
        self.stop_signal = signum

    def _install_signals(self) -> dict:
        previous = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
                previous[sig] = signal.signal(sig, self._on_signal)
        return previous

    def _out_of_budget(self) -> str | None:
        t, p = self.cfg.train, self.progress
        if t.max_steps is not None and p.step >= t.max_steps:
            return f"reached train.max_steps={t.max_steps}"
        if p.epoch >= t.max_epochs:
            return f"reached train.max_epochs={t.max_epochs}"
        if t.max_minutes is not None and p.train_seconds >= 60 * t.max_minutes:
            return f"reached train.max_minutes={t.max_minutes}"
        if t.patience is not None and p.bad_validations >= t.patience:
            return f"early stop: no improvement in {t.patience} validations"
        if self.stop_signal is not None:
            return (
                f"stopped by signal {signal.Signals(self.stop_signal).name}; continue with --resume"
            )
        return None

    def _validate_and_save(self, metrics_file, train_loss: float | None) -> None:
        metrics = self.validate()
        t = self.cfg.train
        key = "valid_bleu" if t.best_metric == "bleu" else "valid_loss"
        value = metrics[key] if key == "valid_loss" else -metrics[key]
        p = self.progress
        improved = p.best is None or value < p.best
        if improved:
            p.best, p.bad_validations = value, 0
        else:
            p.bad_validations += 1
        self.schedule.after_validation(metrics["valid_loss"])
        speed = p.train_tokens / max(p.train_seconds, 1e-9)
        record = {
            "step": p.step,
            "epoch": p.epoch,
            "train_loss": train_loss,
            "lr": self.schedule.lr,
            **metrics,
            "train_tokens_per_s": speed,
            "train_seconds": p.train_seconds,
        }
        metrics_file.write(json.dumps(record) + "\n")
        metrics_file.flush()
        self.say(
            f"step {p.step}: valid loss {metrics['valid_loss']:.3f} ppl {metrics['valid_ppl']:.2f} "
            f"{self.describe_scores(metrics)}"
            f"{' (best)' if improved else ''}; {speed:,.0f} train tokens/s"
        )
        if improved:
            self.save_model(self.run_dir / BEST, record)
        if t.keep_checkpoints:
            self.save_model(step_checkpoint(self.run_dir, p.step), record)
            prune_checkpoints(self.run_dir, t.keep_checkpoints)
        self.save_state()

    def run(self) -> dict:
        self._prepare_run_dir()
        self._load_data()
        self._build()
        t, p = self.cfg.train, self.progress
        # A time-limited run shows its progress in seconds of its budget, others in steps.
        timed = t.max_minutes is not None and t.max_steps is None
        if timed:
            bar = tqdm(
                total=int(60 * t.max_minutes),
                initial=int(p.train_seconds),
                unit="s",
                desc=f"training ({t.max_minutes:g} min budget)",
                mininterval=1.0,
                disable=not self.show_progress,
                dynamic_ncols=True,
            )
        else:
            steps_per_epoch = len(batch_indices(self.lengths, t.batch_tokens, seed=t.seed))
            bar = tqdm(
                total=min(t.max_steps or 10**12, t.max_epochs * steps_per_epoch),
                initial=p.step,
                unit="step",
                desc="training",
                mininterval=1.0,
                disable=not self.show_progress,
                dynamic_ncols=True,
            )
        previous_signals = self._install_signals()
        window_loss, window_steps, bad_in_row, last_valid = 0.0, 0, 0, p.step
        loss_value = None
        reason = self._out_of_budget()
        try:
            with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as metrics_file:
                while reason is None:
                    batches = batch_indices(
                        self.lengths, t.batch_tokens, seed=t.seed, epoch=p.epoch
                    )
                    while p.batch_in_epoch < len(batches) and reason is None:
                        batch = self.collate(batches[p.batch_in_epoch])
                        started = time.perf_counter()
                        loss_value = self.train_step(batch)
                        p.train_seconds += time.perf_counter() - started
                        p.batch_in_epoch += 1
                        p.step += 1
                        bar.update(int(p.train_seconds) - bar.n if timed else 1)
                        if loss_value is None:
                            bad_in_row += 1
                            self.say(f"step {p.step}: loss is not finite; update skipped")
                            if bad_in_row >= t.max_bad_steps:
                                raise AttnseqError(
                                    f"{bad_in_row} non-finite losses in a row at step {p.step}; "
                                    f"stopping (last good checkpoint kept in {self.run_dir}); "
                                    "lower train.lr or check the data"
                                )
                            continue
                        bad_in_row = 0
                        p.train_tokens += batch.num_tokens
                        window_loss += loss_value
                        window_steps += 1
                        if p.step % t.log_every == 0:
                            bar.set_postfix(
                                step=p.step,
                                loss=f"{window_loss / window_steps:.3f}",
                                lr=f"{self.schedule.lr:.2g}",
                                tok_s=f"{p.train_tokens / max(p.train_seconds, 1e-9):,.0f}",
                            )
                            self.log.info(
                                f"step {p.step} loss {window_loss / window_steps:.4f} "
                                f"lr {self.schedule.lr:.3g}"
                            )
                            window_loss, window_steps = 0.0, 0
                        if p.step % t.valid_every == 0:
                            self._validate_and_save(metrics_file, loss_value)
                            last_valid = p.step
                        elif t.save_every and p.step % t.save_every == 0:
                            self.save_state()
                        reason = self._out_of_budget()
                    if p.batch_in_epoch >= len(batches):
                        p.epoch, p.batch_in_epoch = p.epoch + 1, 0
                        reason = self._out_of_budget()
                if self.stop_signal is not None:
                    self.save_state()  # be quick: the user or the system wants us gone
                elif last_valid != p.step or not (self.run_dir / BEST).exists():
                    self._validate_and_save(metrics_file, loss_value)
        finally:
            bar.close()
            for sig, handler in previous_signals.items():
                signal.signal(sig, handler)
        self.say(f"training stopped at step {p.step}: {reason}")
        return {
            "step": p.step,
            "reason": reason,
            "train_seconds": p.train_seconds,
            "train_tokens_per_s": p.train_tokens / max(p.train_seconds, 1e-9),
            "best": p.best,
            "interrupted": self.stop_signal is not None,
        }
