"""The table of ``benchmarks/recipe_sweep.sh``: one row per run folder.

``python3 benchmarks/recipe_sweep_table.py RUNS_DIR`` prints the table;
``--splits RUN`` prints the registry splits the sweep scores RUN on.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import yaml

NAN = math.nan


def splits(run: Path) -> list[str]:
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    data = cfg["data"]
    if cfg.get("task") == "caption":
        return [f"caption:{data['dataset']}:test"]
    return [f"{data['dataset']}:{data['valid_split']}", f"{data['dataset']}:{data['test_split']}"]


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _bleu(metrics: dict) -> float:
    """The WMT multimodal convention where the run was scored in it."""
    return metrics.get("BLEU_tokenized", metrics.get("BLEU", NAN))


def row(run: Path) -> str:
    log = run / "metrics.jsonl"
    records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    valid = [r for r in records if "valid_loss" in r]
    last = valid[-1] if valid else {}
    best = max((r.get("valid_bleu", NAN) for r in valid), default=NAN)
    names = [s.rpartition(":")[2] for s in splits(run)]
    scores = [_json(run.parent / f"{run.name}.{name}.json") for name in names]
    dev, test = (scores[0], scores[-1]) if len(scores) == 2 else ({}, scores[0])
    caption = ", ".join(
        f"{k} {v:.2f}" for k, v in test.items() if k in ("sequence accuracy", "digit accuracy")
    )
    cells = [
        run.name,
        str(last.get("step", "-")),
        f"{last.get('train_seconds', NAN):.0f}",
        f"{last.get('valid_loss', NAN):.3f}",
        f"{best:.2f}",
        f"{_bleu(dev):.2f}",
        caption or f"{_bleu(test):.2f}",
        f"{test.get('chrF', NAN):.2f}",
        f"{test.get('perplexity', NAN):.2f}",
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path, help="the sweep's runs folder (or a run with --splits)")
    parser.add_argument("--splits", action="store_true")
    args = parser.parse_args()
    if args.splits:
        print(" ".join(splits(args.path)))
        return
    print(
        "| run | steps | train s | last valid loss | best greedy valid BLEU | valid BLEU (beam 5) "
        "| test BLEU (beam 5) or accuracy | test chrF | test perplexity |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in sorted(p for p in args.path.iterdir() if (p / "config.yaml").exists()):
        print(row(run))


if __name__ == "__main__":
    main()
