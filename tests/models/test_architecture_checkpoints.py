"""Each architecture end to end: train a tiny run, reload its checkpoint, translate, draw.

And older checkpoints keep loading now that the model config has more fields.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from attnseq.cli.main import main
from attnseq.config import Config
from attnseq.errors import CheckpointError
from attnseq.runs import check_meta

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tiny.yaml")
TRANSFORMER = "type: transformer, hidden_size: 32, layers: 2, heads: 4, ff_size: 64"
RUNS = {
    "cnn-luong": [
        "model.encoder={type: cnn, hidden_size: 32, layers: 2, kernel_size: 3, positions: learned}"
    ],
    "transformer-transformer": [
        f"model.encoder={{{TRANSFORMER}}}",
        f"model.decoder={{{TRANSFORMER}}}",
        "train.schedule=warmup_decay",
        "train.warmup_steps=5",
    ],
}


@pytest.fixture(scope="module", params=list(RUNS))
def run(request, tmp_path_factory) -> tuple[str, Path]:
    """(architecture, run folder) of a 20-step training run on a slice of Tatoeba."""
    out = tmp_path_factory.mktemp("arch") / request.param
    settings = [a for s in RUNS[request.param] for a in ("--set", s)]
    args = ["train", TINY, "--out", str(out), "--quiet", "--set", "train.max_steps=20"]
    assert main([*args, "--set", "train.threads=1", *settings]) == 0
    return request.param, out


def test_checkpoint_reloads_and_translates_in_a_new_process(run):
    _, run_dir = run
    result = subprocess.run(
        [sys.executable, "-m", "attnseq", "translate", str(run_dir), "--beam", "3"],
        input="Je suis content.\nIl fait froid.\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_attention_heatmap_of_the_chosen_layer_and_head(run, tmp_path, capsys):
    name, run_dir = run
    transformer = name == "transformer-transformer"
    choices = [[], ["--layer", "0", "--head", "1"], ["--layer", "-1", "--head", "3"]]
    docs = []
    for i, choice in enumerate(choices if transformer else choices[:1]):
        out = tmp_path / f"heat{i}.json"
        assert main(["attention", str(run_dir), "Il fait froid.", "-o", str(out), *choice]) == 0
        doc = json.loads(out.read_text())
        assert len(doc["attention"]) == len(doc["out_tokens"])
        assert all(len(row) == len(doc["src_tokens"]) for row in doc["attention"])
        assert all(abs(sum(row) - 1) < 1e-3 for row in doc["attention"])
        docs.append(doc)
    # The choice changes what is drawn, never the translation.
    assert all(d["out_tokens"] == docs[0]["out_tokens"] for d in docs)
    assert len({json.dumps(d["attention"]) for d in docs}) == len(docs)
    bad = ["--layer", "2"] if transformer else ["--head", "1"]
    png = str(tmp_path / "h.png")
    assert main(["attention", str(run_dir), "Il fait froid.", "-o", png, *bad]) == 2
    err = capsys.readouterr().err
    expected = "layer 2 does not exist: the decoder has 2 layers"
    assert (expected if transformer else "single attention map") in err


def test_checkpoints_from_before_the_new_fields_still_load():
    """A run saved before ``heads`` and friends existed was trained with their defaults."""
    model = Config().to_dict()["model"]
    expected = {"model": model, "vocab": {"src": "a", "tgt": "b"}}
    saved = copy.deepcopy(expected)
    for side in ("encoder", "decoder"):
        for name in ("heads", "ff_size", "positions", "max_positions"):
            del saved["model"][side][name]
    check_meta(expected, saved, "old.safetensors")
    changed = copy.deepcopy(expected)
    changed["model"]["decoder"]["heads"] = 8
    with pytest.raises(CheckpointError, match="decoder.heads: 8 vs 4"):
        check_meta(changed, saved, "old.safetensors")
