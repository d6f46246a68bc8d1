"""What every toolkit adapter provides, and the shared bits of parsing their logs."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
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
        lines = hyp.read_text(encoding="utf-8", errors="replace").splitlines()
        return [self.clean(line) for line in lines], result

    def clean(self, line: str) -> str:
        return line.strip()
