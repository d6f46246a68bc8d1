"""Checkpoints: no pickle, checksums, clear refusals, atomic writes."""

from __future__ import annotations

import pickle

import pytest
import torch
from torch import nn

from attnseq.checkpoints import load_tensors, load_weights, save_tensors
from attnseq.errors import CheckpointError


def test_round_trip_keeps_tied_tensors(tmp_path):
    emb = nn.Embedding(10, 4)
    head = nn.Linear(4, 10)
    head.weight = emb.weight
    tensors = {
        "emb.weight": emb.weight,
        "head.weight": head.weight,
        "head.bias": head.bias,
        "step": torch.tensor(3.0),
    }
    save_tensors(tmp_path / "c.safetensors", tensors, {"step": 3})
    loaded, meta = load_tensors(tmp_path / "c.safetensors")
    assert meta["step"] == 3 and meta["aliases"] == {"head.weight": "emb.weight"}
    assert torch.equal(loaded["head.weight"], emb.weight.detach())
    assert float(loaded["step"]) == 3.0


def test_meta_copied_from_another_file_cannot_override_the_checksum(tmp_path):
    save_tensors(tmp_path / "a.safetensors", {"w": torch.ones(3)}, {"step": 1})
    _, meta = load_tensors(tmp_path / "a.safetensors")
    save_tensors(tmp_path / "b.safetensors", {"w": torch.zeros(3)}, meta)
    loaded, _ = load_tensors(tmp_path / "b.safetensors")
    assert torch.equal(loaded["w"], torch.zeros(3))


def test_bit_flip_and_truncation_are_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    save_tensors(path, {"w": torch.arange(1000, dtype=torch.float32)}, {})
    data = bytearray(path.read_bytes())
    data[-7] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum mismatch"):
        load_tensors(path)
    path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(CheckpointError, match=str(path)):
        load_tensors(path)


def test_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="pickle"):
        load_tensors(path)
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="never unpickles"):
        load_tensors(path)
    assert not marker.exists()


def test_shape_mismatch_is_named(tmp_path):
    model = nn.Linear(3, 2)
    with pytest.raises(CheckpointError, match=r"shape mismatch weight \(2, 4\) vs model \(2, 3\)"):
        load_weights(model, {"weight": torch.zeros(2, 4), "bias": torch.zeros(2)}, "x")
    with pytest.raises(CheckpointError, match="missing bias"):
        load_weights(model, {"weight": torch.zeros(2, 3)}, "x")


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "c.safetensors"
    save_tensors(path, {"w": torch.ones(3)}, {"v": 1})

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("attnseq.checkpoints.save_file", broken)
    with pytest.raises(Exception, match="No space left"):
        save_tensors(path, {"w": torch.zeros(3)}, {"v": 2})
    tensors, meta = load_tensors(path)
    assert meta["v"] == 1 and torch.equal(tensors["w"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]
