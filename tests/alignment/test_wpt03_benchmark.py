"""The WPT03 alignment benchmark's plan: which trainings it runs and how it reads them."""

from __future__ import annotations

import numpy as np
import pytest

from attnseq.alignment.files import GoldLinks


@pytest.fixture(scope="module")
def wpt03(benchmark_script):
    return benchmark_script("alignment_wpt03")


def _sets(cmd: list[str]) -> list[str]:
    return [cmd[i + 1] for i, a in enumerate(cmd) if a == "--set"]


def test_each_kind_of_model_in_each_direction(wpt03, tmp_path):
    (tmp_path / "en-fr-guided").mkdir()
    (tmp_path / "en-fr-guided" / "last.safetensors").write_bytes(b"")  # a stopped run
    runs = dict(wpt03.training_commands(tmp_path, 50, "cuda", None))
    assert list(runs) == [
        "en-fr",
        "en-fr-guided",
        "en-fr-head",
        "en-fr-head-null",
        "fr-en",
        "fr-en-guided",
        "fr-en-head",
        "fr-en-head-null",
    ]
    assert runs["en-fr-guided"][-3:] == ["train", "--resume", str(tmp_path / "en-fr-guided")]
    head = _sets(runs["fr-en-head"])
    assert f"data.train.align={tmp_path / 'eflomal.gdfa.fr-en'}" in head
    assert "model.alignment_head=true" in head and "train.device=cuda" in head
    assert "train.guided_alignment_weight=0.5" in _sets(runs["fr-en-guided"])
    assert not any("align" in s for s in _sets(runs["en-fr"]))
    null = _sets(runs["en-fr-head-null"])
    assert "train.guided_alignment_null=true" in null and "model.alignment_head=true" in null
    assert not any("null" in s for s in head)
    only = wpt03.training_commands(tmp_path, 50, None, None, ["head"])
    assert [name for name, _ in only] == ["en-fr-head", "fr-en-head"]


def test_a_head_run_is_read_at_its_head_too(wpt03, tmp_path):
    (tmp_path / "config.yaml").write_text("model:\n  alignment_head: true\n")
    assert wpt03._positions(str(tmp_path), ["predict", "read"]) == ["head", "predict", "read"]
    assert wpt03._positions(str(tmp_path), ["head", "predict"]) == ["head", "predict"]
    (tmp_path / "config.yaml").write_text("model:\n  embed_dim: 8\n")
    assert wpt03._positions(str(tmp_path), ["predict", "read"]) == ["predict", "read"]


def test_soft_threshold_is_chosen_on_the_other_half(wpt03):
    """Even lines align best at 0.3 and odd ones at 0.4 or more: each half must be
    aligned at the other half's best, so neither comes out perfect."""
    gold = [GoldLinks({(0, 0), (1, 1)}, {(0, 0), (1, 1)}) for _ in range(6)]
    even, odd = np.array([[0.3, 0.25], [0.25, 0.3]]), np.array([[0.55, 0.35], [0.35, 0.55]])
    words = [even if k % 2 == 0 else odd for k in range(6)]
    fixed, chosen = wpt03.soft_rows("x", "head", words, words, gold)
    assert chosen["thresholds"] == [0.4, 0.3]
    assert chosen["direction"] == "soft, threshold 0.4 / 0.3 from the other half"
    # even lines get no link at 0.4; odd ones get all four at 0.3
    assert chosen["recall"] == 0.5 and chosen["precision"] == 0.5
    assert fixed["direction"] == "soft, threshold 0.4" and fixed["recall"] == 0.5
