"""No code runs from files, and a run folder cannot make a loader read outside it."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from reliability_support import train
from safetensors.torch import save_file

from attnseq import load
from attnseq.api.translator import Translator
from attnseq.checkpoints import load_tensors
from attnseq.cli.main import main
from attnseq.data.tokenizers import load_tokenizers
from attnseq.errors import AttnseqError, CheckpointError, ConfigError


class _Planted:
    """Unpickling this creates ``marker``: proof that code from the file ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def plant_pickles(path: Path, marker: Path) -> list[bytes]:
    """Malicious files in the formats torch.save and pickle produce."""
    plain = pickle.dumps(_Planted(marker))
    path.unlink(missing_ok=True)
    torch.save({"model": _Planted(marker)}, path)  # a zip archive holding a pickle
    return [plain, path.read_bytes()]


@pytest.mark.parametrize("variant", [0, 1], ids=["pickle", "torch.save"])
def test_pickle_as_model_is_refused_without_running(run_copy, tmp_path, variant, capsys):
    marker = tmp_path / "pwned"
    target = run_copy / "model.safetensors"
    target.write_bytes(plant_pickles(target, marker)[variant])
    assert not marker.exists()
    with pytest.raises(CheckpointError, match=r"model\.safetensors: .*never unpickles"):
        Translator.load(run_copy)
    with pytest.raises(CheckpointError, match="never unpickles"):
        load(run_copy)
    assert main(["translate", str(run_copy), "Bonjour."]) == 2
    err = capsys.readouterr().err
    assert "model.safetensors" in err and "never unpickles" in err
    assert not marker.exists()


def test_pickle_as_training_state_is_refused_on_resume(run_copy, tmp_path, capsys):
    marker = tmp_path / "pwned"
    target = run_copy / "last.safetensors"
    target.write_bytes(plant_pickles(target, marker)[1])
    assert train(run_copy, "train.max_steps=6", resume=True) == 2
    err = capsys.readouterr().err
    assert "last.safetensors" in err and "never unpickles" in err
    assert not marker.exists()


def test_a_weights_file_is_not_a_training_state(run_copy, capsys):
    (run_copy / "model.safetensors").replace(run_copy / "last.safetensors")
    assert train(run_copy, "train.max_steps=6", resume=True) == 2
    assert "last.safetensors: not a training state (kind 'model')" in capsys.readouterr().err


def test_config_nested_too_deeply_or_unreadable_is_refused(run_copy):
    config = run_copy / "config.yaml"
    config.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match=r"config\.yaml: invalid YAML \(nested too deeply\)"):
        Translator.load(run_copy)
    config.unlink()
    config.mkdir()
    with pytest.raises(ConfigError, match=r"config\.yaml: cannot read"):
        Translator.load(run_copy)


def test_checkpoint_header_nested_too_deeply_is_refused(tmp_path):
    path = tmp_path / "model.safetensors"
    save_file({"w": torch.zeros(2)}, str(path), metadata={"attnseq": "[" * 100_000})
    with pytest.raises(CheckpointError, match=f"{path}: corrupt metadata"):
        load_tensors(path)


def test_unsafe_yaml_in_a_run_folder_is_refused(run_copy, tmp_path):
    marker = tmp_path / "pwned"
    config = run_copy / "config.yaml"
    config.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match=r"config\.yaml: .*invalid YAML"):
        Translator.load(run_copy)
    assert not marker.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"kind": "pickle"}, "field 'kind' must be 'sentencepiece' or 'word'"),
        ({"joint": "../../../etc/passwd"}, "field 'joint' must be a bool"),
        ({"src_lang": ["en"]}, "field 'src_lang' must be a str"),
        ({"lowercase": None}, "field 'lowercase' must be a bool"),
        ({"kind": None}, "field 'kind' must be a str"),
    ],
)
def test_hostile_tokenizer_json_is_refused(run_copy, change, message):
    path = run_copy / "tokenizer.json"
    meta = json.loads(path.read_text())
    meta.update(change)
    path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=f"tokenizer.json: {message}"):
        load_tokenizers(run_copy)


@pytest.mark.parametrize(
    "text",
    ["[1, 2]", '"kind"', "{", b"\xff\xfe{}", "[" * 100_000],
    ids=["list", "string", "torn", "not-utf8", "deep"],
)
def test_malformed_tokenizer_json_is_refused(run_copy, text):
    path = run_copy / "tokenizer.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(CheckpointError, match="tokenizer.json"):
        load_tokenizers(run_copy)


def test_tokenizer_model_that_is_not_one_is_refused(run_copy):
    (run_copy / "joint.spm.model").write_bytes(b"\x08\x96\x01garbage" * 10)
    with pytest.raises(CheckpointError, match=r"joint\.spm\.model: cannot load sentencepiece"):
        Translator.load(run_copy)


def test_word_vocabulary_without_specials_or_utf8_is_refused(tmp_path):
    run = tmp_path / "word"
    run.mkdir()
    meta = {"kind": "word", "joint": True, "lowercase": False, "moses": False}
    (run / "tokenizer.json").write_text(json.dumps({**meta, "src_lang": "fr", "tgt_lang": "en"}))
    (run / "joint.vocab").write_text("a\nb\n")
    with pytest.raises(CheckpointError, match=r"joint\.vocab: cannot load vocabulary"):
        load_tokenizers(run)
    (run / "joint.vocab").write_bytes(b"<pad>\n<unk>\n<s>\n</s>\n\xff\n")
    with pytest.raises(CheckpointError, match=r"joint\.vocab: cannot load vocabulary"):
        load_tokenizers(run)


@pytest.mark.parametrize("weights", ["../model.safetensors", "/etc/passwd", "", "a/../../x"])
def test_weights_name_cannot_leave_the_run_folder(run_copy, weights):
    with pytest.raises(CheckpointError, match="must be a file name inside"):
        Translator.load(run_copy, weights=weights)


def test_symbolic_links_out_of_the_run_folder_are_refused(run_copy, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("secret_key_4711: x\n")
    (run_copy / "config.yaml").unlink()
    os.symlink(secret, run_copy / "config.yaml")
    with pytest.raises(CheckpointError, match=r"config\.yaml: leads outside") as caught:
        Translator.load(run_copy)
    assert "secret_key_4711" not in str(caught.value)  # nothing of the file is echoed
    # A link that stays inside the folder is fine: the run is still usable.
    (run_copy / "config.yaml").unlink()
    (run_copy / "kept.yaml").write_text(secret.read_text())
    os.symlink("kept.yaml", run_copy / "config.yaml")
    with pytest.raises(ConfigError, match="unknown key secret_key_4711"):
        Translator.load(run_copy)


def test_kept_checkpoints_inside_the_folder_still_load(run_copy):
    (run_copy / "checkpoints").mkdir()
    (run_copy / "model.safetensors").rename(run_copy / "checkpoints" / "best.safetensors")
    model = Translator.load(run_copy, weights="checkpoints/best.safetensors")
    assert model.translate(["Bonjour."], beam=1)[0].text is not None


def test_spelled_specials_in_text_are_not_structure(run_copy):
    model = Translator.load(run_copy)
    for text in ["</s> <s> <pad>", "Je </s> suis"]:
        ids = model.src_tok.vocab.encode(model.src_tok.tokenize(text))
        assert not {0, 2, 3} & set(ids), ids


def test_errors_are_attnseq_errors(run_copy):
    """What a user can cause is an AttnseqError: exit code 2 and one line, not a traceback."""
    (run_copy / "tokenizer.json").write_text("{}")
    with pytest.raises(AttnseqError):
        Translator.load(run_copy)
