"""Config loading: every mistake is named by its dotted key."""

from __future__ import annotations

import pytest

from attnseq.config import Config, apply_overrides, config_from_dict, load_config
from attnseq.errors import ConfigError

REPO_CONFIGS = ["configs/tatoeba-fr-en.yaml", "configs/tiny.yaml"]


@pytest.mark.parametrize("path", REPO_CONFIGS)
def test_shipped_configs_load(path):
    cfg = load_config(path)
    assert isinstance(cfg, Config)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"model": {"encoder": {"hiden_size": 3}}},
            "unknown key model.encoder.hiden_size (did you mean 'hidden_size'?)",
        ),
        (
            {"model": {"decoder": {"type": "lstm"}}},
            "model.decoder.type: 'lstm' is not one of 'luong', 'bahdanau', 'conditional'",
        ),
        ({"train": {"lr": "fast"}}, "train.lr: expected a number, got 'fast'"),
        ({"train": {"batch_tokens": 2.5}}, "train.batch_tokens: expected an integer"),
        ({"train": {"batch_tokens": 0}}, "train.batch_tokens: must be positive"),
        ({"model": {"encoder": {"dropout": 1.5}}}, "model.encoder.dropout: must lie in [0, 1]"),
        ({"data": {"dataset": None}}, "set either data.dataset or data.train"),
        ({"data": {"train": {"src": "a.fr"}}}, "data.train: give src and tgt files, or one tsv"),
        (
            {"model": {"decoder": {"attention": "dot", "hidden_size": 256}}},
            "dot attention needs the encoder's output size (512)",
        ),
        (
            {"model": {"share_embeddings": True}, "tokenizer": {"joint": False}},
            "needs tokenizer.joint",
        ),
        ({"train": {"betas": 0.9}}, "train.betas: expected a list"),
    ],
)
def test_invalid_values_name_the_key(data, message):
    with pytest.raises(ConfigError) as err:
        config_from_dict(data, "my.yaml")
    assert str(err.value).startswith("my.yaml: ")
    assert message in str(err.value)


def test_overrides_parse_yaml_scalars():
    data = apply_overrides(
        {}, ["train.lr=0.01", "model.decoder.input_feeding=true", "data.max_train_pairs=null"]
    )
    cfg = config_from_dict(data)
    assert cfg.train.lr == 0.01 and cfg.model.decoder.input_feeding is True
    assert cfg.data.max_train_pairs is None
    with pytest.raises(ConfigError, match="expected key.sub=value"):
        apply_overrides({}, ["train.lr"])


def test_yaml_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("train:\n  lr: [1,\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+: invalid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.yaml")


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(path)
    assert not (tmp_path / "pwned").exists()
