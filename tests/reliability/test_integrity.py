"""Damaged or foreign checkpoints are refused by name, saying what is wrong."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_support import train
from safetensors.torch import save_file

from attnseq.api.translator import Translator
from attnseq.checkpoints import _checksum, load_tensors, save_tensors
from attnseq.cli.main import main
from attnseq.config import read_yaml
from attnseq.data.pipeline import load_split
from attnseq.data.tokenizers import train_tokenizers
from attnseq.errors import CheckpointError
from attnseq.runs import build_model, model_meta

FUZZ = settings(
    derandomize=True,  # the same examples on every run and machine
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def model_bytes(trained_run) -> bytes:
    return (trained_run / "model.safetensors").read_bytes()


def header_size(data: bytes) -> int:
    return 8 + struct.unpack("<Q", data[:8])[0]


def loads_same_or_refuses(path: Path, original: tuple) -> None:
    """The property: a damaged file loads exactly as before, or is refused naming the file."""
    try:
        tensors, meta = load_tensors(path)
    except CheckpointError as err:
        assert str(path) in str(err)
        return
    want_tensors, want_meta = original
    assert meta == want_meta
    assert tensors.keys() == want_tensors.keys()
    assert all(tensors[k].equal(want_tensors[k]) for k in tensors)


@settings(FUZZ, max_examples=300)
@given(data=st.data())
def test_any_single_bit_flip_is_caught(tmp_path, trained_run, model_bytes, data):
    original = load_tensors(trained_run / "model.safetensors")
    in_header = data.draw(st.booleans(), label="in header")
    limit = header_size(model_bytes) if in_header else len(model_bytes)
    position = data.draw(st.integers(0, limit - 1), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    damaged = bytearray(model_bytes)
    damaged[position] ^= 1 << bit
    path = tmp_path / "model.safetensors"
    path.write_bytes(bytes(damaged))
    loads_same_or_refuses(path, original)


@settings(FUZZ, max_examples=100)
@given(keep=st.integers(0, 10**9))
def test_any_truncation_is_refused(tmp_path, trained_run, model_bytes, keep):
    path = tmp_path / "model.safetensors"
    path.write_bytes(model_bytes[: keep % len(model_bytes)])
    with pytest.raises(CheckpointError, match=str(path)):
        load_tensors(path)


def test_an_edited_setting_in_the_json_header_is_caught(run_copy):
    """A same-length edit of the JSON (another step) keeps it valid; the checksum sees it."""
    path = run_copy / "model.safetensors"
    data = path.read_bytes()
    found = re.search(rb'\\"step\\": (\d)', data[: header_size(data)])
    assert found, "the header names the step"
    edited = b"9" if found.group(1) != b"9" else b"8"
    path.write_bytes(data[: found.start(1)] + edited + data[found.end(1) :])
    with pytest.raises(CheckpointError, match=f"{path}: checksum mismatch"):
        Translator.load(run_copy)


def test_format_1_files_still_load(tmp_path, trained_run):
    """Checkpoints written before the JSON was checksummed keep working."""
    tensors, meta = load_tensors(trained_run / "model.safetensors")
    old = {k: v for k, v in meta.items() if k != "sha256"}
    old.update(format=1, sha256=_checksum(tensors))
    path = tmp_path / "old.safetensors"
    save_file(tensors, str(path), metadata={"attnseq": json.dumps(old)})
    loaded, loaded_meta = load_tensors(path)
    assert loaded_meta["format"] == 1 and loaded.keys() == tensors.keys()
    old["format"] = 3
    save_file(tensors, str(path), metadata={"attnseq": json.dumps(old)})
    with pytest.raises(CheckpointError, match="format 3 is not one this version reads"):
        load_tensors(path)


@pytest.mark.parametrize("name", ["model.safetensors", "last.safetensors"])
@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_run_files_are_refused_by_name(run_copy, name, damage, capsys):
    path = run_copy / name
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) * 2 // 3]
    else:
        data[len(data) // 2] ^= 0x04
    path.write_bytes(bytes(data))
    if name == "model.safetensors":
        assert main(["translate", str(run_copy), "Bonjour."]) == 2
    else:
        assert train(run_copy, "train.max_steps=6", resume=True) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{path}: " in err, err
    assert ("checksum mismatch" if damage == "flip" else "not a valid safetensors") in err


def _weights_for(run: Path, cfg_changes: dict, tokenizer_dir: Path | None = None) -> None:
    """Save a weights file of another configuration or vocabulary as the run's model."""
    from attnseq.config import config_from_dict
    from attnseq.data.tokenizers import load_tokenizers

    data = read_yaml(run / "config.yaml")
    for dotted, value in cfg_changes.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    cfg = config_from_dict(data)
    src, tgt = load_tokenizers(tokenizer_dir or run)
    model = build_model(cfg, src, tgt)
    save_tensors(run / "model.safetensors", model.state_dict(), model_meta(cfg, src, tgt))


def test_weights_of_another_configuration_are_refused(run_copy):
    _weights_for(run_copy, {"model.decoder.hidden_size": 32, "model.decoder.cell": "lstm"})
    with pytest.raises(CheckpointError) as caught:
        Translator.load(run_copy)
    message = str(caught.value)
    assert message.startswith(f"{run_copy / 'model.safetensors'}: trained with a different")
    assert "model.decoder.hidden_size: 64 vs 32" in message
    assert "model.decoder.cell: 'gru' vs 'lstm'" in message


def test_weights_of_another_vocabulary_are_refused(run_copy, tmp_path):
    cfg_data = read_yaml(run_copy / "config.yaml")
    from attnseq.config import config_from_dict

    cfg = config_from_dict(cfg_data)
    pairs, _ = load_split(cfg.data, "valid")
    other = tmp_path / "other-vocab"
    other.mkdir()
    cfg.tokenizer.vocab_size = 300
    train_tokenizers(cfg.tokenizer, pairs[:300], "fr", "en", other)
    _weights_for(run_copy, {}, tokenizer_dir=other)
    with pytest.raises(CheckpointError, match=r"vocabulary\.src: '[0-9a-f]+' vs '[0-9a-f]+'"):
        Translator.load(run_copy)
