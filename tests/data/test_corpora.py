"""Corpus loading and the Tatoeba split, on the real mirror."""

from __future__ import annotations

import argparse
import gzip
import importlib
from pathlib import Path

import pytest

from attnseq.cli import main as cli_main
from attnseq.data import corpora
from attnseq.data.corpora import load_pairs
from attnseq.errors import DataError

TATOEBA_LINES = 142_787


@pytest.fixture(scope="module")
def tatoeba() -> dict[str, list[tuple[str, str]]]:
    return {s: load_pairs("tatoeba-fra-eng", s, "en", "fr") for s in ("train", "valid", "test")}


def test_tatoeba_split_sizes(tatoeba: dict[str, list[tuple[str, str]]], mirror: Path) -> None:
    sizes = {name: len(pairs) for name, pairs in tatoeba.items()}
    assert sizes == {"train": 140_048, "valid": 1_397, "test": 1_342}
    # The release has no empty side, so nothing is dropped.
    assert sum(sizes.values()) == TATOEBA_LINES


def test_tatoeba_no_leak_on_either_side(tatoeba: dict[str, list[tuple[str, str]]]) -> None:
    train_en = {en for en, _ in tatoeba["train"]}
    train_fr = {fr for _, fr in tatoeba["train"]}
    for held_out in ("valid", "test"):
        assert not {en for en, _ in tatoeba[held_out]} & train_en
        assert not {fr for _, fr in tatoeba[held_out]} & train_fr
    assert not {en for en, _ in tatoeba["valid"]} & {en for en, _ in tatoeba["test"]}


def test_tatoeba_direction_and_determinism(tatoeba: dict[str, list[tuple[str, str]]]) -> None:
    corpora._tatoeba_splits.cache_clear()
    fr_en = load_pairs("tatoeba-fra-eng", "test", "fr", "en")
    assert fr_en == [(fr, en) for en, fr in tatoeba["test"]]
    assert tatoeba["train"][0] == ("Go.", "Va !")


def _lines(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


@pytest.mark.parametrize(
    ("split", "size"), [("train", 29_000), ("val", 1_014), ("test_2016_flickr", 1_000)]
)
def test_multi30k_sizes_and_variants(mirror: Path, split: str, size: int) -> None:
    raw = load_pairs("multi30k", split, "en", "de")
    tok = load_pairs("multi30k", split, "en", "de", variant="tok")
    assert len(raw) == len(tok) == size
    assert raw[0][0] == _lines(mirror / "multi30k" / "raw" / f"{split}.en.gz")[0].strip()
    assert all(en == en.lower() and de == de.lower() for en, de in tok)
    assert any(en != en.lower() for en, _ in raw)
    assert len(load_pairs("multi30k", split, "cs", "fr")) == size


@pytest.mark.parametrize(
    ("kwargs", "listed"),
    [
        ({"split": "dev"}, "train, val, test_2016_flickr"),
        ({"src_lang": "ja"}, "en, de, fr, cs"),
        ({"variant": "bpe"}, "raw, tok"),
    ],
)
def test_multi30k_bad_choice_lists_valid(kwargs: dict[str, str], listed: str) -> None:
    args = {"split": "val", "src_lang": "en", "tgt_lang": "de", **kwargs}
    with pytest.raises(DataError, match=listed):
        load_pairs("multi30k", **args)


def test_tatoeba_bad_choices() -> None:
    with pytest.raises(DataError, match="train, valid, test"):
        load_pairs("tatoeba-fra-eng", "val", "en", "fr")
    with pytest.raises(DataError, match="raw"):
        load_pairs("tatoeba-fra-eng", "train", "en", "fr", variant="tok")
    with pytest.raises(DataError, match="tatoeba-fra-eng, multi30k"):
        load_pairs("dailydialog", "dev", "en", "fr")


def _cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Use the real ``main`` with only the subcommands that exist yet."""
    present = []
    for name in cli_main.COMMANDS:
        try:
            importlib.import_module(f"attnseq.cli.{name}_cmd")
        except ModuleNotFoundError as err:
            if err.name != f"attnseq.cli.{name}_cmd":
                raise
            continue
        present.append(name)
    assert "data" in present
    monkeypatch.setattr(cli_main, "COMMANDS", tuple(present))


def test_cli_list(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _cli(monkeypatch)
    assert cli_main.main(["data", "list"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("tatoeba-fra-eng"))
    assert "en,fr" in row and "CC BY 2.0 FR" in row and row.rstrip().endswith("yes")


def test_cli_prepare(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _cli(monkeypatch)
    assert cli_main.main(["data", "prepare", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err and "multi30k" in err
    assert cli_main.main(["data", "prepare", "multi30k", "--no-progress"]) == 0
    assert Path(capsys.readouterr().out.strip()).name == "multi30k"


def test_cli_help_has_example(monkeypatch: pytest.MonkeyPatch) -> None:
    _cli(monkeypatch)
    parser = cli_main.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    help_text = sub.choices["data"].format_help()
    assert "attnseq data prepare multi30k" in help_text
