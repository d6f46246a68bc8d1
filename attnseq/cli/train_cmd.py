"""``attnseq train``: learn a model from a YAML config."""

from __future__ import annotations

import sys
from pathlib import Path

from attnseq.checkpoints import diff_dicts
from attnseq.cli.common import add_command
from attnseq.config import Config, apply_overrides, config_from_dict, load_config, read_yaml
from attnseq.errors import AttnseqError, ConfigError

# Keys that may change when a run is resumed: how long it goes on and on what
# hardware, not what it is.
RESUMABLE = (
    "train.max_steps",
    "train.max_epochs",
    "train.max_minutes",
    "train.patience",
    "train.device",
    "train.precision",
    "train.threads",
    "train.dist_timeout_minutes",
)


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "train",
        "Train a model from a YAML config.",
        "attnseq train configs/tatoeba-fr-en.yaml --out runs/fr-en --set train.max_steps=2000",
    )
    p.add_argument("config", nargs="?", help="YAML config (optional with --resume)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.decoder.type=bahdanau",
    )
    p.add_argument("--out", help="run folder (default runs/<config name>)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--nproc",
        type=int,
        metavar="N",
        help="train with N processes on this machine (starts torchrun); each takes "
        "train.batch_tokens, so a step learns from N times as many",
    )
    p.add_argument(
        "--max-restarts",
        type=int,
        default=0,
        metavar="K",
        help="with --nproc: restart the processes up to K times after a failure, "
        "resuming from the last checkpoint",
    )
    p.set_defaults(func=run)


def _resume_config(args, run_dir: Path) -> Config:
    saved_data = read_yaml(run_dir / "config.yaml")
    saved = config_from_dict(saved_data, str(run_dir / "config.yaml"))
    if args.config:
        wanted = load_config(args.config, args.overrides)
    else:
        wanted = config_from_dict(apply_overrides(saved_data, args.overrides), "--set")
    changed = [
        d for d in diff_dicts(saved.to_dict(), wanted.to_dict()) if not d.startswith(RESUMABLE)
    ]
    if changed:
        raise ConfigError(
            f"--resume {run_dir}: the config differs from the run's: {'; '.join(changed[:5])}"
        )
    return wanted


def _plan(args) -> tuple[Config, Path, bool]:
    """The config, the run folder and whether to resume.

    A process that torchrun restarted after a failure (``--max-restarts``)
    continues from the run's last checkpoint, if one was written.
    """
    from attnseq.training.distributed import restart_count
    from attnseq.training.trainer import LAST

    if args.resume:
        run_dir = Path(args.resume)
        if args.out and Path(args.out) != run_dir:
            raise ConfigError(
                "--out and --resume name different folders; --resume continues in place"
            )
        return _resume_config(args, run_dir), run_dir, True
    if not args.config:
        raise ConfigError("give a CONFIG.yaml (or --resume RUN_DIR)")
    cfg = load_config(args.config, args.overrides)
    run_dir = Path(args.out or f"runs/{cfg.name}")
    if restart_count() > 0 and (run_dir / LAST).is_file():
        return _resume_config(args, run_dir), run_dir, True
    return cfg, run_dir, False


def run(args) -> int:
    from attnseq.config import save_config
    from attnseq.training.caption_trainer import trainer_class
    from attnseq.training.distributed import connect, restart_count

    cfg, run_dir, resume = _plan(args)
    if args.nproc is not None:
        from attnseq.cli.torchrun import launch

        return launch(args, str(run_dir))
    if args.max_restarts:
        raise ConfigError("--max-restarts goes with --nproc (or give it to torchrun)")
    dist = connect(cfg.train.device, cfg.train.dist_timeout_minutes)
    try:
        if dist.is_main and resume:
            if restart_count() and not args.resume:
                print(f"attnseq train: restarted; resuming from {run_dir}", file=sys.stderr)
            save_config(cfg, run_dir / "config.yaml")  # record an extended budget
        trainer = trainer_class(cfg.task)(
            cfg, run_dir, resume=resume, show_progress=not args.quiet, dist=dist
        )
        result = trainer.run()
    except OSError as err:  # a full disk or a vanished folder: say where, not a traceback
        raise AttnseqError(
            f"{err.filename or run_dir}: {err.strerror or err}; training stopped, "
            f"the last checkpoint in {run_dir} is kept"
        ) from None
    finally:
        dist.close()
    if dist.is_main:
        print(
            f"run folder: {run_dir}  (step {result['step']}, "
            f"{result['train_tokens_per_s']:,.0f} train tokens/s)"
        )
    return 0
