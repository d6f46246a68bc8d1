"""What every toolkit adapter provides, and the shared bits of parsing their logs."""

from __future__ import annotations

import re
import signal
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from speedbench.data import Corpus
from speedbench.proc import ChildResult, run_child


@dataclass
class TrainSpec:
    """One training run: the corpus, how long, how often to validate and save."""

    corpus: Corpus
    out: Path
    budget_s: float | None  # wall-clock budget from process start; None: run to the epoch limit
    valid_every: int
    epochs: int = 1000
    seed: int = 1
    validate: bool = True  # False for the scaling runs: time the epoch, nothing else
    valid_sentences: int | None = None  # validate on the first N dev sentences (--quick)

    @property
    def log_every(self) -> int:
        """Steps between speed reports: 100, or less for the short validation intervals of --quick."""
        return min(100, max(self.valid_every // 2, 5))


@dataclass
class TrainResult:
    child: ChildResult
    tokens_per_s: float | None  # steady state: median of logged windows after the first
    windows: list[float] = field(default_factory=list)
    steps: int | None = None
    params: int | None = None
    checkpoint: Path | None = None
    first_step_s: float | None = None  # seconds from process start to the first logged window
    epoch_s: float | None = None  # seconds of the first epoch (scaling runs)


# JoeyNMT: "2024-01-31 12:00:00,123 - INFO ..."; OpenNMT-py: "[2024-01-31 12:00:00,123 INFO] ..."
_STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})")


def log_times(path: Path, pattern: str) -> list[float]:
    """Epoch seconds of the log lines of a peer that contain ``pattern``."""
    found = []
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            stamp = _STAMP.match(line)
            if stamp and pattern in line:
                seconds = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
                found.append(seconds + int(stamp.group(2)) / 1000)
    return found


def steady(windows: list[float]) -> float | None:
    """Median window rate once warmed up (the first window holds start-up costs)."""
    if not windows:
        return None
    rest = windows[1:] if len(windows) > 2 else windows
    return statistics.median(rest)


class Toolkit:
    name = "toolkit"

    def __init__(self, python: Path, env: dict[str, str] | None = None):
        self.python = python
        self.env = env or {}

    def train(self, spec: TrainSpec) -> TrainResult:
        raise NotImplementedError

    def run_training(self, cmd: list[str], spec: TrainSpec) -> tuple[ChildResult, float]:
        """Run a peer's training command under the budget; also return its start (epoch s).

        The peers have no wall-clock stop and nothing to save on the way out
        (their checkpoints are written at validation), so SIGTERM ends them.
        """
        started = time.time()
        child = run_child(
            cmd,
            spec.out.parent / f"{spec.out.name}.log",
            env=self.env,
            budget_s=spec.budget_s,
            stop_signal=signal.SIGTERM,
            grace_s=30,
        )
        return child, started

    @staticmethod
    def logged_result(
        child: ChildResult,
        started: float,
        log: Path,
        rate: re.Pattern,
        params: re.Pattern,
        checkpoint: Path | None,
        report: str,
    ) -> TrainResult:
        """A peer's result from its log: ``rate`` finds (step, target tokens/s) in each
        report, ``params`` the parameter count, ``report`` marks a report line."""
        text = log.read_text(errors="replace") if log.is_file() else ""
        rates = [(int(step), float(value)) for step, value in rate.findall(text)]
        count = params.search(text)
        times = log_times(log, report)
        return TrainResult(
            child,
            steady([r for _, r in rates]),
            [r for _, r in rates],
            rates[-1][0] if rates else None,
            int(count.group(1)) if count else None,
            checkpoint,
            first_step_s=times[0] - started if times else None,
            epoch_s=child.wall_s,
        )

    def translate_cmd(
        self, run: TrainResult, spec: TrainSpec, beam: int, work: Path, src: Path
    ) -> list[str]:
        """A command that translates ``src`` (also given on stdin) to stdout."""
        raise NotImplementedError

    def translate(
        self, run: TrainResult, spec: TrainSpec, src: Path, beam: int, work: Path
    ) -> tuple[list[str], ChildResult]:
        hyp = work / f"{src.name}.beam{beam}.hyp"
        cmd = self.translate_cmd(run, spec, beam, work, src)
        result = run_child(
            cmd, work / f"{src.name}.beam{beam}.log", env=self.env, stdin_path=src, stdout_path=hyp
        )
        written = self.output_file(work, src, beam) or hyp
        lines = written.read_text(encoding="utf-8", errors="replace").splitlines()
        return [self.clean(line) for line in lines], result

    def output_file(self, work: Path, src: Path, beam: int) -> Path | None:
        """Where the translations go when the tool writes a file rather than stdout."""
        return None

    def clean(self, line: str) -> str:
        return line.strip()
