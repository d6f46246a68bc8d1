"""A tiny English-French model and the first WPT03 lines, shared by the alignment tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from attnseq.cli.main import main

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tiny.yaml")
LINES = 24


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("align") / "en-fr"
    args = ["train", TINY, "--out", str(out), "--quiet", "--set", "train.max_steps=30"]
    for item in ("data.src_lang=en", "data.tgt_lang=fr", "tokenizer.lowercase=true"):
        args += ["--set", item]
    assert main(args) == 0
    return out


@pytest.fixture(scope="session")
def wpt(mirror, tmp_path_factory) -> dict[str, Path]:
    """The first lines of the WPT03 test set (real gold links), as files."""
    folder = mirror / "alignment" / "enfr_wpt03"
    out = tmp_path_factory.mktemp("wpt")
    files = {}
    for key, name in (("en", "enfr.src"), ("fr", "enfr.tgt"), ("gold", "enfr.talp")):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()[:LINES]
        files[key] = out / name
        files[key].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return files
