"""Run one toolkit command as a child process: wall time, a wall-clock budget, peak memory.

Peak memory is the child's maximum resident set size from ``wait4`` (the
largest single process of the tree, exact) and the polled sum over the
process tree (data-loader workers included, sampled every 0.2 s).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ChildResult:
    returncode: int
    wall_s: float
    max_rss_mb: float  # largest single process (wait4)
    tree_rss_mb: float  # largest polled sum over the process tree
    stopped_by_budget: bool


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_child(
    cmd: list[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin_path: Path | None = None,
    stdout_path: Path | None = None,
    budget_s: float | None = None,
    stop_signal: int = signal.SIGTERM,
    grace_s: float = 120.0,
) -> ChildResult:
    """Run ``cmd``; after ``budget_s`` seconds send ``stop_signal`` to its process group.

    stderr (and stdout unless ``stdout_path``) go to ``log_path``. A child that
    has not ended ``grace_s`` after the signal is killed.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    with open(log_path, "ab") as log, open(stdin_path or os.devnull, "rb") as stdin:
        log.write(f"$ {' '.join(cmd)}\n".encode())
        log.flush()
        out = open(stdout_path, "wb") if stdout_path else log  # noqa: SIM115
        try:
            started = time.perf_counter()
            child = subprocess.Popen(
                cmd,
                stdin=stdin,
                stdout=out,
                stderr=log,
                env=full_env,
                cwd=cwd,
                start_new_session=True,  # one process group: the budget stops workers too
            )
            peak = [0.0]
            done = threading.Event()

            def poll() -> None:
                while not done.wait(0.2):
                    peak[0] = max(peak[0], sum(_rss_mb(p) for p in _tree(child.pid)))

            poller = threading.Thread(target=poll, daemon=True)
            poller.start()
            stopped, killed_at = False, None
            while True:  # wait4 rather than Popen.wait: it also reports the peak RSS
                pid, status, usage = os.wait4(child.pid, os.WNOHANG)
                if pid:
                    break
                elapsed = time.perf_counter() - started
                if budget_s is not None and not stopped and elapsed >= budget_s:
                    stopped, killed_at = True, elapsed
                    os.killpg(child.pid, stop_signal)
                elif killed_at is not None and elapsed >= killed_at + grace_s:
                    os.killpg(child.pid, signal.SIGKILL)
                    killed_at = float("inf")
                time.sleep(0.05)
            wall = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            done.set()
            poller.join()
        finally:
            if stdout_path:
                out.close()
    return ChildResult(child.returncode, wall, usage.ru_maxrss / 1024, peak[0], stopped)
