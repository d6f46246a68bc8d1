"""``attnseq train``: learn a model from a YAML config."""

from __future__ import annotations

from pathlib import Path

from attnseq.checkpoints import diff_dicts
from attnseq.cli.common import add_command
from attnseq.config import apply_overrides, config_from_dict, load_config, read_yaml
from attnseq.errors import ConfigError

# Keys that may change when a run is resumed: how long it goes on, not what it is.
RESUMABLE = ("train.max_steps", "train.max_epochs", "train.max_minutes", "train.patience")


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
    p.set_defaults(func=run)


def _resume_config(args):
    run_dir = Path(args.resume)
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
    return wanted, run_dir


def run(args) -> int:
    from attnseq.config import save_config
    from attnseq.training.caption_trainer import trainer_class

    if args.resume:
        cfg, run_dir = _resume_config(args)
        if args.out and Path(args.out) != run_dir:
            raise ConfigError(
                "--out and --resume name different folders; --resume continues in place"
            )
    else:
        if not args.config:
            raise ConfigError("give a CONFIG.yaml (or --resume RUN_DIR)")
        cfg = load_config(args.config, args.overrides)
        run_dir = Path(args.out or f"runs/{cfg.name}")
    if args.resume:
        save_config(cfg, run_dir / "config.yaml")  # record an extended budget
    trainer = trainer_class(cfg.task)(
        cfg, run_dir, resume=bool(args.resume), show_progress=not args.quiet
    )
    result = trainer.run()
    print(
        f"run folder: {run_dir}  (step {result['step']}, "
        f"{result['train_tokens_per_s']:,.0f} train tokens/s)"
    )
    return 0
