"""``attnseq average``: average a run's last checkpoints into a new run folder."""

from __future__ import annotations

from pathlib import Path

from attnseq.cli.common import add_command


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "average",
        "Average the last kept checkpoints of one or more runs into a new run folder.",
        "attnseq average runs/en-de --last 5 -o runs/en-de-avg5",
    )
    p.add_argument("run_dirs", nargs="+", help="run folders trained with train.keep_checkpoints")
    p.add_argument("--last", type=int, default=5, help="checkpoints per run (default 5)")
    p.add_argument("-o", "--out", required=True, help="new run folder for the averaged model")
    p.set_defaults(func=run)


def run(args) -> int:
    from attnseq.errors import AttnseqError
    from attnseq.training.averaging import average_run

    if args.last < 1:
        raise AttnseqError(f"--last must be at least 1, got {args.last}")
    used = average_run([Path(d) for d in args.run_dirs], Path(args.out), args.last)
    print(f"averaged {len(used)} checkpoints into {args.out}/model.safetensors")
    for path in used:
        print(f"  {path}")
    return 0
