"""``attnseq train --nproc N``: start the same training as a torchrun job on this machine.

The processes are torchrun's (PyTorch's elastic launcher), exactly as if the
user had typed ``torchrun --standalone --nproc-per-node N -m attnseq train
...``; this module only writes that command, waits for it and turns a failure
into one line. ``--standalone`` lets torchrun pick a free port, so several jobs
can share a machine.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from attnseq.errors import ConfigError, DistributedError
from attnseq.training.distributed import under_torchrun


def worker_argv(args) -> list[str]:
    """The ``attnseq train`` arguments each process gets: the user's, less the launcher's."""
    argv = ["train"]
    if args.config:
        argv.append(args.config)
    for item in args.overrides:
        argv += ["--set", item]
    if args.out:
        argv += ["--out", args.out]
    if args.resume:
        argv += ["--resume", args.resume]
    if args.quiet:
        argv.append("--quiet")
    return argv


def torchrun_command(nproc: int, max_restarts: int, argv: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        f"--max-restarts={max_restarts}",
        "-m",
        "attnseq",
        *argv,
    ]


def launch(args, run_dir: str) -> int:
    """Run the job and wait; Ctrl-C and SIGTERM go to torchrun, which stops its processes."""
    if under_torchrun():
        raise ConfigError("--nproc: this is already a torchrun job; drop --nproc")
    if args.nproc < 1 or args.max_restarts < 0:
        raise ConfigError("--nproc must be at least 1 and --max-restarts at least 0")
    command = torchrun_command(args.nproc, args.max_restarts, worker_argv(args))
    print(f"attnseq train: running {shlex.join(['python3', *command[1:]])}", file=sys.stderr)
    # One rendezvous store per restart (pytorch/pytorch#135712): see distributed._store.
    env = {"TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1", **os.environ}
    job = subprocess.Popen(command, env=env)
    received: list[int] = []

    def forward(signum, _frame):
        received.append(signum)
        if signum != signal.SIGINT:  # the terminal already sent SIGINT to every process
            job.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = job.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        print(
            f"attnseq train: stopped by signal; continue with "
            f"attnseq train --resume {run_dir} --nproc {args.nproc}",
            file=sys.stderr,
        )
        return 130
    if code != 0:
        if (Path(run_dir) / "last.safetensors").is_file():
            after = (
                f"its last checkpoint is in {run_dir}: continue with attnseq train --resume "
                f"{run_dir} --nproc {args.nproc}, or add --max-restarts K to restart by itself"
            )
        else:
            after = f"it left no checkpoint in {run_dir}"
        raise DistributedError(
            f"the job of {args.nproc} processes failed (torchrun exit status {code}; the "
            f"failing process's own message is above); {after}"
        )
    return 0
