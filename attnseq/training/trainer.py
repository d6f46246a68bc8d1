"""The training loop: batches in, checkpoints, metrics and heatmaps out.

A run folder holds everything needed to continue or use a run:

* ``config.yaml`` (the resolved config) and the tokenizer files;
* ``model.safetensors``: the best weights by validation;
* ``last.safetensors``: weights, optimizer, schedule, data position and RNG
  state, so ``--resume`` continues exactly where the run stopped (the same
  losses as a run that was never interrupted);
* ``metrics.jsonl``, ``train.log`` and ``attention/`` heatmaps from validation.

The same loop runs as one process or as one of several processes started by
torchrun (see :mod:`attnseq.training.distributed`): then each step learns from
one global batch shared out among the processes, rank 0 alone writes files and
validates, and every decision to stop is taken together.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import signal
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from attnseq.api.translator import Translator
from attnseq.checkpoints import load_tensors, load_weights, prefixed, save_tensors
from attnseq.config import Config, save_config
from attnseq.data.batching import Batch, collate
from attnseq.data.pipeline import Encoded, encode_pairs, load_split
from attnseq.data.sharding import epoch_batches, rank_share
from attnseq.data.tokenizers import PAD, load_tokenizers, train_tokenizers
from attnseq.errors import AttnseqError, CheckpointError, DistributedError
from attnseq.evaluation.likelihood import corpus_nll
from attnseq.evaluation.metrics import bleu, chrf, perplexity
from attnseq.runs import build_model, check_meta, model_meta
from attnseq.training.averaging import CHECKPOINTS, prune_checkpoints, step_checkpoint
from attnseq.training.device import choose_device
from attnseq.training.distributed import DistContext
from attnseq.training.guided_alignment import GuidedAlignment
from attnseq.training.optim import Schedule, build_optimizer, lr_factor
from attnseq.training.precision import Precision
from attnseq.training.recovery import remove_stale_files, trim_metrics
from attnseq.training.regularizers import doubly_stochastic_penalty
from attnseq.visualisation.heatmap import save_heatmap

LAST, BEST = "last.safetensors", "model.safetensors"


@dataclass
class Progress:
    """Where training stands; saved in ``last.safetensors`` as JSON."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # index of the next (global) batch of this epoch's fixed order
    best: float | None = None
    bad_validations: int = 0
    train_seconds: float = 0.0
    train_tokens: int = 0
    world_size: int = 1  # processes that share out this part of the epoch
    # Earlier parts of this epoch run on another number of processes: [processes, batches].
    done_in_epoch: list[list[int]] = field(default_factory=list)


def setup_logger(run_dir: Path, write: bool = True) -> logging.Logger:
    """The run's ``train.log``; a logger that writes nothing for ranks other than 0."""
    name = f"attnseq.train.{run_dir.resolve()}" if write else "attnseq.train.quiet"
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not write:
        logger.disabled = True
    elif not logger.handlers:
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
        dist: DistContext | None = None,
    ):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.dist = dist or DistContext(choose_device(cfg.train.device))
        self.precision = Precision(cfg.train.precision, self.dist.device)  # fail before work
        self.show_progress = show_progress and self.dist.is_main
        self.base_dir = base_dir
        self.stop_signal: int | None = None  # set by the signal handler, at any moment
        self.agreed_signal: int | None = None  # what all processes saw, at step boundaries
        self.guide: GuidedAlignment | None = None

    # -- set-up ----------------------------------------------------------------

    def say(self, message: str) -> None:
        """A line for the log file and the terminal (above the progress bar)."""
        self.log.info(message)
        if self.show_progress:
            tqdm.write(message)

    def _prepare_run_dir(self) -> None:
        if self.dist.is_main:
            self._create_run_dir()
        self.dist.barrier()  # the other ranks read what rank 0 prepared
        if not self.dist.is_main and not (self.run_dir / "config.yaml").is_file():
            raise DistributedError(
                f"rank {self.dist.rank} on {socket.gethostname()}: {self.run_dir} is not "
                "visible here; every machine of a job must see the run folder (shared storage)"
            )
        self.log = setup_logger(self.run_dir, write=self.dist.is_main)

    def _create_run_dir(self) -> None:
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
        try:
            self.log = setup_logger(self.run_dir)
        except OSError as err:
            raise AttnseqError(
                f"{self.run_dir / 'train.log'}: cannot write ({err.strerror})"
            ) from None
        for stale in remove_stale_files(self.run_dir, ("attention", CHECKPOINTS)):
            self.say(f"removed {stale.name}, left by a write that was interrupted")
        if not self.resume:
            # Records of an attempt killed before its first checkpoint: this run starts over.
            trim_metrics(self.run_dir / "metrics.jsonl", 0)
            save_config(self.cfg, self.run_dir / "config.yaml")

    def _load_data(self) -> None:
        data = self.cfg.data
        chat = self.cfg.task == "chat"
        train_pairs, empty = load_split(data, "train", self.base_dir)
        if data.max_train_pairs is not None and len(train_pairs) > data.max_train_pairs:
            train_pairs = random.Random(self.cfg.train.seed).sample(
                train_pairs, data.max_train_pairs
            )
        valid_pairs, valid_empty = load_split(data, "valid", self.base_dir)
        if data.max_valid_pairs is not None:
            valid_pairs = valid_pairs[: data.max_valid_pairs]
        if not self.resume and self.dist.is_main:
            self.say(
                f"learning {self.cfg.tokenizer.kind} vocabularies from {len(train_pairs):,} pairs"
            )
            self.src_tok, self.tgt_tok = train_tokenizers(
                self.cfg.tokenizer,
                train_pairs,
                data.src_lang,
                data.tgt_lang,
                self.run_dir,
                symbols=[data.turn_separator] if chat else [],
            )
        self.dist.barrier()  # rank 0 has written the vocabularies that the others read
        if self.resume or not self.dist.is_main:
            self.src_tok, self.tgt_tok = load_tokenizers(self.run_dir)
        # A chat context longer than max_len loses its oldest tokens rather than the pair.
        tail = data.max_len if chat else None
        self.train_data = encode_pairs(train_pairs, self.src_tok, self.tgt_tok, data.max_len, tail)
        self.valid_data = encode_pairs(valid_pairs, self.src_tok, self.tgt_tok, None, tail)
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
        if self.cfg.train.guided_alignment_weight > 0 and data.train is not None:
            self.guide = GuidedAlignment.build(
                self.cfg.train.guided_alignment_weight,
                data.train,
                self.train_data.pairs,
                self.train_data.examples,
                self.src_tok,
                self.tgt_tok,
                self.base_dir,
                self.say,
                null=self.cfg.train.guided_alignment_null,
            )

    def _report_data(self, name: str, data: Encoded) -> None:
        self.say(
            f"{name}: {len(data.examples):,} pairs (dropped {data.dropped_empty:,} empty, "
            f"{data.dropped_long:,} longer than {self.cfg.data.max_len} tokens); vocab "
            f"{len(self.src_tok.vocab):,} src / {len(self.tgt_tok.vocab):,} tgt"
        )

    def _build(self) -> None:
        t, rank, world = self.cfg.train, self.dist.rank, self.dist.world
        torch.manual_seed(t.seed)
        if t.threads:
            torch.set_num_threads(t.threads)
        self.device = self.dist.device
        self.model = build_model(self.cfg, self.src_tok, self.tgt_tok).to(self.device)
        self.net = self.dist.wrap(self.model)  # what the training step runs: DDP in a job
        if rank:
            torch.manual_seed(t.seed + 7919 * rank)  # own dropout masks on every process
        scale = lr_factor(t.lr_scaling, world)
        self.optimizer = build_optimizer(self.model, t, scale)
        self.schedule = Schedule(self.optimizer, t)
        self.progress = Progress(world_size=world)
        self.meta = model_meta(self.cfg, self.src_tok, self.tgt_tok)
        if world > 1:
            self.say(
                f"{world} processes on {self.device.type}, {t.batch_tokens:,} tokens each: "
                f"{t.batch_tokens * world:,} tokens per step; learning rate {t.lr:g} x {scale:g} "
                f"(train.lr_scaling={t.lr_scaling})"
            )
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

    def _rng_state(self) -> dict[str, torch.Tensor]:
        state = {"torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(self.device)
        return state

    def save_state(self) -> None:
        """Write ``last.safetensors`` (rank 0); every rank calls it, to hand in its RNG state.

        Weights and optimizer state are the same on every rank; the random
        streams are not, so each rank's goes in (``rng.torch`` is rank 0's,
        ``rng.torch.rank1`` the next...), and a single process reads rank 0's.
        """
        streams = self.dist.gather(self._rng_state())
        if not self.dist.is_main:
            return
        optim_tensors, optim_json = self._optimizer_tensors()
        tensors = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        tensors.update(optim_tensors)
        for rank, state in enumerate(streams):
            for kind, value in state.items():
                tensors[_rng_key(kind, rank)] = value
        meta = {
            **self.meta,
            "kind": "training-state",
            "progress": self.progress.__dict__,
            "optimizer": optim_json,
            "schedule": self.schedule.state_dict(),
            "precision": self.precision.state_dict(),
        }
        save_tensors(self.run_dir / LAST, tensors, meta)

    def _load_state(self) -> None:
        path = self.run_dir / LAST
        tensors, meta = load_tensors(path)
        if meta.get("kind") != "training-state":
            raise CheckpointError(
                f"{path}: not a training state (kind {meta.get('kind')!r}); cannot resume from it"
            )
        check_meta(self.meta, meta, str(path))
        load_weights(self.model, prefixed(tensors, "model"), str(path))
        try:
            self._restore_state(tensors, meta)
        except (KeyError, TypeError, ValueError, RuntimeError) as err:
            raise CheckpointError(f"{path}: malformed training state ({err!r})") from None
        dropped = self.dist.is_main and trim_metrics(
            self.run_dir / "metrics.jsonl", self.progress.step
        )
        if dropped:
            self.say(f"dropped {dropped} metrics.jsonl records written after the checkpoint")
        self.say(f"resumed from {path} at step {self.progress.step} (epoch {self.progress.epoch})")

    def _restore_state(self, tensors: dict[str, torch.Tensor], meta: dict) -> None:
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
        self.precision.load_state_dict(meta.get("precision", {}))
        self.progress = Progress(**meta["progress"])
        self._restore_rng(tensors)
        self._adapt_to_world()

    def _restore_rng(self, tensors: dict[str, torch.Tensor]) -> None:
        rank = self.dist.rank
        if _rng_key("torch", rank) not in tensors:  # a rank the saving job did not have
            torch.manual_seed(self.cfg.train.seed + 7919 * rank + self.progress.step)
            return
        torch.set_rng_state(tensors[_rng_key("torch", rank)])
        if self.device.type == "cuda" and _rng_key("cuda", rank) in tensors:
            torch.cuda.set_rng_state(tensors[_rng_key("cuda", rank)], self.device)

    def _adapt_to_world(self) -> None:
        """Continue a run saved by a job of another size without losing or repeating data.

        The part of the epoch already done is recorded, the rest of the epoch
        is shared out among the new processes, and under ``train.lr_scaling``
        the learning rate follows the new number of processes.
        """
        p, world = self.progress, self.dist.world
        if p.world_size == world:
            return
        if p.batch_in_epoch:
            p.done_in_epoch.append([p.world_size, p.batch_in_epoch])
            p.batch_in_epoch = 0
        rule = self.cfg.train.lr_scaling
        self.schedule.rescale(lr_factor(rule, world) / lr_factor(rule, p.world_size))
        self.say(
            f"saved by {p.world_size} process(es), continued by {world}: the rest of epoch "
            f"{p.epoch} is shared out anew; learning rate now {self.schedule.lr:.3g}"
        )
        p.world_size = world

    def save_model(self, path: Path, metrics: dict) -> None:
        """Weights only, loadable by ``Translator``: the best model and kept checkpoints."""
        save_tensors(
            path,
            self.model.state_dict(),
            {**self.meta, "kind": "model", "step": self.progress.step, "metrics": metrics},
        )

    # -- steps -------------------------------------------------------------------

    def _loss(self, batch, smoothing: float) -> tuple[torch.Tensor, torch.Tensor]:
        logits, attn = self.net(
            batch.src,
            batch.src_lengths,
            batch.tgt_in,
            self.cfg.train.teacher_forcing if self.net.training else 1.0,
            # an alignment head, if any, then gives the attention that the guide trains
            tgt_out=batch.tgt_out if self.guide is not None else None,
        )
        flat = logits.view(-1, logits.size(-1)).float()
        target = batch.tgt_out.view(-1)
        loss = F.cross_entropy(
            flat, target, ignore_index=PAD, label_smoothing=smoothing, reduction="sum"
        )
        nll = (
            F.cross_entropy(flat, target, ignore_index=PAD, reduction="sum") if smoothing else loss
        )
        if self.guide is not None and self.model.training:
            loss = loss + self.guide.loss(attn, batch)
        if self.cfg.train.doubly_stochastic and self.model.training:
            penalty = doubly_stochastic_penalty(attn, batch.tgt_out != PAD, batch.src_lengths)
            loss = loss + self.cfg.train.doubly_stochastic * penalty.sum()
        return loss, nll.detach()

    def collate(self, indices: list[int]):
        """The training batch of these examples, on the device."""
        return collate(self.train_data.examples, indices).to(self.device)

    def train_step(self, batch: Batch, weight: float = 1.0) -> tuple[float | None, int]:
        """One update from this process's share of the step's global batch.

        Returns the loss per target token of the whole global batch (None when
        it is not finite and the update was skipped) and its target tokens.
        ``weight`` 0 lets a process whose share is empty join the step (DDP
        needs a backward from every process) without contributing to it.
        """
        self.net.train()
        with self.precision.autocast():
            loss, _ = self._loss(batch, self.cfg.train.label_smoothing)
        tokens = batch.num_tokens if weight else 0
        if self.dist.enabled:
            loss = loss * weight
            total, tokens = self.dist.all_sum([float(loss.detach()), tokens])
            # DDP averages the gradients of the processes; scaling each share by
            # world / (all target tokens of the step) turns that average into the
            # gradient of the summed loss over all tokens: what one process would
            # compute on the whole global batch.
            loss = loss * (self.dist.world / tokens)
            mean = total / tokens  # the same on every process, so all skip together
        else:
            loss = loss / tokens
            mean = float(loss.detach())
        if not math.isfinite(mean):
            return None, int(tokens)
        self.optimizer.zero_grad(set_to_none=True)
        self.precision.backward(loss)
        self.precision.unscale(self.optimizer)
        # Without clipping the bound is infinite: the norm is still needed, the scale stays 1.
        norm = torch.nn.utils.clip_grad_norm_(
            self.model.parameters(), self.cfg.train.clip_norm or float("inf")
        )
        # A finite loss can still overflow its gradient. fp16's scaler skips such
        # steps itself (and lowers its scale); other precisions skip them here.
        if not torch.isfinite(norm) and self.precision.scaler is None:
            self.optimizer.zero_grad(set_to_none=True)
            return None, int(tokens)
        self.precision.step(self.optimizer)
        self.schedule.after_step(self._budget_spent())
        return mean, int(tokens)

    def _budget_spent(self) -> float:
        """How much of ``max_steps`` or ``max_minutes`` is used (whichever is further);
        the time is the one all processes agreed on at the last step."""
        t, p = self.cfg.train, self.progress
        shares = [(p.step + 1) / t.max_steps] if t.max_steps else []
        if t.max_minutes:
            shares.append(p.train_seconds / (60 * t.max_minutes))
        return min(1.0, max(shares, default=0.0))

    def _share(self, global_batch: list[int]) -> tuple[Batch, float]:
        """This process's part of a global batch, with its weight in the step.

        A share left empty (a global batch with fewer examples than processes)
        is replaced by the batch's first example at weight 0: the process takes
        part in the step, and no example is dropped or counted twice.
        """
        share = rank_share(global_batch, self.dist.rank, self.dist.world)
        weight = 1.0 if share else 0.0
        return self.collate(share or global_batch[:1]), weight

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
        if outputs and translator.has_attention:
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

    def _agree(self) -> None:
        """Give every process the same clock and the same stop request.

        Each process times its own steps and may receive a signal alone; if
        they decided to stop on their own numbers, one would wait forever for
        the others. In a job of one process this only copies the signal.
        """
        if not self.dist.enabled:
            self.agreed_signal = self.stop_signal
            return
        seconds, signum = self.dist.all_max([self.progress.train_seconds, self.stop_signal or 0])
        self.progress.train_seconds = seconds
        self.agreed_signal = int(signum) or None

    def _out_of_budget(self) -> str | None:
        """Why to stop now, if at all; a collective call in a job (every process calls it)."""
        self._agree()
        t, p = self.cfg.train, self.progress
        if t.max_steps is not None and p.step >= t.max_steps:
            return f"reached train.max_steps={t.max_steps}"
        if p.epoch >= t.max_epochs:
            return f"reached train.max_epochs={t.max_epochs}"
        if t.max_minutes is not None and p.train_seconds >= 60 * t.max_minutes:
            return f"reached train.max_minutes={t.max_minutes}"
        if t.patience is not None and p.bad_validations >= t.patience:
            return f"early stop: no improvement in {t.patience} validations"
        if self.agreed_signal is not None:
            return (
                f"stopped by signal {signal.Signals(self.agreed_signal).name}; "
                "continue with --resume"
            )
        return None

    def _validate_and_save(self, metrics_file, train_loss: float | None) -> None:
        """Rank 0 validates and tells the others, who need the numbers for the schedule."""
        metrics = self.dist.broadcast(self.validate() if self.dist.is_main else None)
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
        if metrics_file is not None:
            metrics_file.write(json.dumps(record) + "\n")
            metrics_file.flush()
        self.say(
            f"step {p.step}: valid loss {metrics['valid_loss']:.3f} ppl {metrics['valid_ppl']:.2f} "
            f"{self.describe_scores(metrics)}"
            f"{' (best)' if improved else ''}; {speed:,.0f} train tokens/s"
        )
        if improved and self.dist.is_main:
            self.save_model(self.run_dir / BEST, record)
        if t.keep_checkpoints and self.dist.is_main:
            self.save_model(step_checkpoint(self.run_dir, p.step), record)
            prune_checkpoints(self.run_dir, t.keep_checkpoints)
        self.save_state()

    def _epoch_batches(self) -> list[list[int]]:
        t, p = self.cfg.train, self.progress
        return epoch_batches(
            self.lengths, t.batch_tokens, self.dist.world, t.seed, p.epoch, p.done_in_epoch
        )

    def _progress_bar(self) -> tuple[tqdm, bool]:
        """A bar in seconds of the budget for a time-limited run, else in steps."""
        t, p = self.cfg.train, self.progress
        timed = t.max_minutes is not None and t.max_steps is None
        if timed:
            return tqdm(
                total=int(60 * t.max_minutes),
                initial=int(p.train_seconds),
                unit="s",
                desc=f"training ({t.max_minutes:g} min budget)",
                mininterval=1.0,
                disable=not self.show_progress,
                dynamic_ncols=True,
            ), True
        steps_per_epoch = len(
            epoch_batches(self.lengths, t.batch_tokens, self.dist.world, seed=t.seed)
        )
        return tqdm(
            total=min(t.max_steps or 10**12, t.max_epochs * steps_per_epoch),
            initial=p.step,
            unit="step",
            desc="training",
            mininterval=1.0,
            disable=not self.show_progress,
            dynamic_ncols=True,
        ), False

    def run(self) -> dict:
        hint = (
            f"; the last checkpoint is in {self.run_dir} (torchrun --max-restarts resumes "
            f"from it, or train again with --resume {self.run_dir})"
        )
        with self.dist.guard("training", hint):
            return self._run()

    def _run(self) -> dict:
        self._prepare_run_dir()
        self._load_data()
        self._build()
        t, p = self.cfg.train, self.progress
        bar, timed = self._progress_bar()
        previous_signals = self._install_signals()
        window_loss, window_steps, bad_in_row, last_valid = 0.0, 0, 0, p.step
        loss_value = None
        reason = self._out_of_budget()
        metrics_path = self.run_dir / "metrics.jsonl"
        try:
            with (
                open(metrics_path, "a", encoding="utf-8")
                if self.dist.is_main
                else contextlib.nullcontext()
            ) as metrics_file:
                while reason is None:
                    batches = self._epoch_batches()
                    while p.batch_in_epoch < len(batches) and reason is None:
                        # Building the batch counts as training time, as in other toolkits.
                        started = time.perf_counter()
                        batch, weight = self._share(batches[p.batch_in_epoch])
                        loss_value, tokens = self.train_step(batch, weight)
                        p.train_seconds += time.perf_counter() - started
                        p.batch_in_epoch += 1
                        p.step += 1
                        bar.update(int(p.train_seconds) - bar.n if timed else 1)
                        if loss_value is None:
                            bad_in_row += 1
                            self.say(f"step {p.step}: loss or gradient not finite; update skipped")
                            if bad_in_row >= t.max_bad_steps:
                                raise AttnseqError(
                                    f"{bad_in_row} non-finite losses or gradients in a row at "
                                    f"step {p.step}; stopping (last good checkpoint kept in {self.run_dir}); "
                                    "lower train.lr or check the data"
                                )
                            reason = self._out_of_budget()  # a skipped step still counts
                            continue
                        bad_in_row = 0
                        p.train_tokens += tokens
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
                        p.epoch, p.batch_in_epoch, p.done_in_epoch = p.epoch + 1, 0, []
                        reason = self._out_of_budget()
                if self.agreed_signal is not None:
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
            "interrupted": self.agreed_signal is not None,
        }


def _rng_key(kind: str, rank: int) -> str:
    """``rng.torch`` for rank 0 (what a single process reads), ``rng.torch.rankN`` for others."""
    return f"rng.{kind}" if rank == 0 else f"rng.{kind}.rank{rank}"
