"""The speed benchmark runs for hours, in parts: ``--resume`` must continue only a
run made with the same options, may add systems, and redoes the runs it is told to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def speed(benchmark_script):
    return benchmark_script("speed")


def settings(**changes) -> dict:
    base = {
        "budget_s": 1200.0,
        "threads": None,
        "runs": 2,
        "valid_every": 500,
        "systems": ["attnseq", "joeynmt-xavier"],
        "variants": [],
        "quick": False,
        "test_sentences": None,
        "scaling": "attnseq,joeynmt-xavier,opennmt",
        "scaling_sizes": [1000, 10000],
        "int8": True,
        "length_curve": True,
        "command": "benchmarks/speed.py",
        "root": "/tmp/runs/1",
    }
    return {**base, **changes}


def recorded(tmp_path: Path, **changes) -> Path:
    done = [{"system": "attnseq", "run": 0, "train": {"tokens_per_s": 2500.0}}]
    (tmp_path / "speed.json").write_text(
        json.dumps({"settings": settings(**changes), "runs": done, "machine": {"date": "d"}})
    )
    return tmp_path


def test_resume_keeps_finished_runs_and_the_first_folder(speed, tmp_path):
    results = speed.resumed(recorded(tmp_path), settings(root="/tmp/runs/2", command="again"))
    assert results["runs"][0]["train"]["tokens_per_s"] == 2500.0
    assert results["settings"]["root"] == "/tmp/runs/1"  # the run folders of the first part


def test_resume_refuses_other_options_and_names_the_option(speed, tmp_path):
    with pytest.raises(SystemExit, match="budget_s=1200.0, this command has 600.0"):
        speed.resumed(recorded(tmp_path), settings(budget_s=600.0))
    with pytest.raises(SystemExit, match="systems="):  # dropping a system is not resuming
        speed.resumed(recorded(tmp_path), settings(systems=["attnseq"]))


def test_resume_may_add_a_system(speed, tmp_path):
    variant = ["attnseq-bf16:train.precision=bf16"]
    results = speed.resumed(recorded(tmp_path), settings(variants=variant))
    assert results["settings"]["variants"] == variant


def test_resume_without_a_recorded_run(speed, tmp_path):
    with pytest.raises(SystemExit, match="does not exist"):
        speed.resumed(tmp_path, settings())


def test_redo_forgets_the_named_run_and_its_int8_decoding(speed):
    def entry(system: str, run: int) -> dict:
        return {"system": system, "run": run}

    recorded_runs = [
        entry("attnseq", 0),
        entry("attnseq-int8", 0),
        entry("attnseq-bf16", 0),
        entry("attnseq", 1),
        entry("attnseq-int8", 1),
        entry("attnseq-bf16", 1),
    ]
    results = {
        "settings": settings(variants=["attnseq-bf16:train.precision=bf16"]),
        "runs": list(recorded_runs),
    }
    assert speed.forget_runs(results, ["attnseq-bf16:2", "attnseq:1"], 2) == [
        "attnseq-bf16:2",
        "attnseq:1",
    ]
    assert results["runs"] == [
        entry("attnseq-bf16", 0),
        entry("attnseq", 1),
        entry("attnseq-int8", 1),
    ]
    with pytest.raises(SystemExit, match="attnseq-bf16's run 2 is not recorded yet"):
        speed.forget_runs(results, ["attnseq-bf16:2"], 2)
    for wrong in ("opennmt:1", "attnseq:3", "attnseq:0", "attnseq"):
        with pytest.raises(SystemExit, match=f"--redo {wrong}: give SYSTEM:N"):
            speed.forget_runs(results, [wrong], 2)
