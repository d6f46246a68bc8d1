"""The sweep job files behind docs/results.md's ablation still name real recipes
and settings, so the table can be rerun as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from attnseq.config import load_config

REPO = Path(__file__).resolve().parents[2]
JOBS = sorted((REPO / "benchmarks" / "sweeps").glob("*.txt"))


def jobs(path: Path) -> list[tuple[str, str, list[str]]]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return [(name, recipe, sets.split()) for name, recipe, sets in (x.split("|") for x in lines)]


@pytest.mark.parametrize("path", JOBS, ids=lambda p: p.name)
def test_every_job_loads(path):
    names = set()
    for name, recipe, sets in jobs(path):
        assert name not in names, f"{path.name}: job {name} twice"
        names.add(name)
        cfg = load_config(REPO / "configs" / f"{recipe}.yaml", sets)
        assert cfg.train.max_steps, f"{path.name}:{name}: a sweep job stops at a step count"
    assert len(names) >= 10
