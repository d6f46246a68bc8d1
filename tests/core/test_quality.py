"""A quality check CI can afford: a small recipe on a real Multi30k slice must
learn to translate, so a change that quietly hurts learning (in the data
pipeline, the model, the loss or the search) fails here and not months later
in a published number. The threshold comes from measurement (docs/results.md):
the recipe reaches validation BLEU 7.0 (2026-11-25); an untrained model
scores about 0, so a threshold of 4 leaves room for numeric noise between
machines while a model that stopped learning fails."""

from __future__ import annotations

import json
from pathlib import Path

from attnseq.cli.main import main

RECIPE = str(Path(__file__).resolve().parents[2] / "configs" / "ci-quality.yaml")
BASELINE = 7.0
THRESHOLD = 4.0


def test_small_recipe_learns_to_translate_multi30k(tmp_path, mirror):
    out = tmp_path / "run"
    assert main(["train", RECIPE, "--out", str(out), "--quiet"]) == 0
    lines = (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    bleu = max(json.loads(line).get("valid_bleu", 0.0) for line in lines)
    assert bleu >= THRESHOLD, f"validation BLEU {bleu:.2f} < {THRESHOLD} (measured {BASELINE})"
