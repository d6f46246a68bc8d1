"""train.device, train.precision and train.lr_scaling: config, CPU bf16, and CUDA when present."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import attnseq
from attnseq.checkpoints import load_tensors
from attnseq.cli.main import main
from attnseq.config import config_from_dict
from attnseq.errors import ConfigError
from attnseq.training.device import choose_device
from attnseq.training.optim import lr_factor

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tiny.yaml")
NO_CUDA = f"no CUDA device visible to torch {torch.__version__} on this machine"
FAST = [
    *("--set", "data.dataset=multi30k", "--set", "data.src_lang=de"),
    *("--set", "data.valid_split=val", "--set", "data.max_len=30"),
    *("--set", "data.max_train_pairs=400", "--set", "data.max_valid_pairs=20"),
    *("--set", "train.valid_bleu_sentences=5", "--set", "train.threads=1"),
    *("--set", "train.max_steps=6", "--set", "train.valid_every=3", "--set", "train.log_every=1"),
]


@pytest.fixture(autouse=True)
def keep_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(
    ("train", "message"),
    [
        ({"device": "gpu"}, "train.device: 'gpu' is not one of auto, cpu, cuda, cuda:N"),
        ({"device": "cuda:x"}, "train.device: 'cuda:x' is not one of"),
        ({"precision": "fp8"}, "train.precision: 'fp8' is not one of 'fp32', 'bf16', 'fp16'"),
        ({"lr_scaling": "cubic"}, "train.lr_scaling: 'cubic' is not one of"),
        ({"dist_timeout_minutes": 0}, "train.dist_timeout_minutes: must be positive"),
    ],
)
def test_bad_values_are_named(train, message):
    with pytest.raises(ConfigError, match=None) as err:
        config_from_dict({"train": train})
    assert message in str(err.value)


def test_defaults_keep_old_configs_valid():
    cfg = config_from_dict({"train": {"device": "cpu"}})
    assert (cfg.train.precision, cfg.train.lr_scaling) == ("fp32", "none")
    assert config_from_dict({}).train.device == "auto"
    for spec in ("cpu", "cuda", "cuda:1", "auto"):
        assert config_from_dict({"train": {"device": spec}}).train.device == spec


def test_lr_rules():
    assert lr_factor("none", 8) == 1.0
    assert lr_factor("linear", 8) == 8.0
    assert math.isclose(lr_factor("sqrt", 4), 2.0)
    assert lr_factor("linear", 1) == lr_factor("sqrt", 1) == 1.0


def test_devices_on_this_machine():
    assert choose_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert choose_device("auto").type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="train.device: 'cuda' but torch .* sees no CUDA"):
            choose_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
def test_cuda_device_per_process():
    assert choose_device("cuda", local_rank=0) == torch.device("cuda", 0)
    with pytest.raises(ConfigError, match="names one GPU but 2 processes"):
        choose_device("cuda:0", local_rank=1, local_world=2)
    with pytest.raises(ConfigError, match="this machine has"):
        choose_device(f"cuda:{torch.cuda.device_count()}")


def records(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def check_run(run: Path) -> None:
    """Finite losses; fp32 weights in both checkpoints; they load and translate on the CPU."""
    found = records(run)
    assert [r["step"] for r in found] == [3, 6]
    assert all(math.isfinite(r["train_loss"]) and math.isfinite(r["valid_loss"]) for r in found)
    for name in ("model.safetensors", "last.safetensors"):
        tensors, _ = load_tensors(run / name)
        floats = {t.dtype for t in tensors.values() if t.is_floating_point()}
        assert floats == {torch.float32}, (name, floats)
    assert attnseq.load(run).translate("Ein Mann fährt Fahrrad.", beam=2)[0].out_tokens


def test_bf16_autocast_on_cpu(tmp_path):
    run = tmp_path / "bf16"
    args = ["train", TINY, "--out", str(run), "--quiet", *FAST, "--set", "train.precision=bf16"]
    assert main([*args, "--set", "train.device=cpu"]) == 0
    check_run(run)
    # bf16 really ran: the losses differ from an fp32 run of the same steps.
    fp32 = tmp_path / "fp32"
    assert (
        main(["train", TINY, "--out", str(fp32), "--quiet", *FAST, "--set", "train.device=cpu"])
        == 0
    )
    assert records(run)[0]["train_loss"] != records(fp32)[0]["train_loss"]
    # Resuming on another precision is allowed: it changes how, not what, the run learns.
    more = ["train", "--resume", str(run), "--quiet", "--set", "train.precision=fp32"]
    assert main([*more, "--set", "train.max_steps=7"]) == 0


def test_fp16_needs_cuda(tmp_path, capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA, where fp16 is allowed")
    args = ["train", TINY, "--out", str(tmp_path / "r"), "--quiet", *FAST]
    assert main([*args, "--set", "train.precision=fp16", "--set", "train.device=cpu"]) == 2
    assert "train.precision: fp16 needs a CUDA device" in capsys.readouterr().err


def test_decoding_device_flag(tmp_path, capsys):
    """--device is checked before anything loads: a typo or a missing GPU is named."""
    with pytest.raises(SystemExit):
        main(["translate", str(tmp_path), "Bonjour.", "--device", "gpu"])
    assert (
        "argument --device: 'gpu' is not one of auto, cpu, cuda, cuda:N" in capsys.readouterr().err
    )
    if not torch.cuda.is_available():
        assert main(["translate", str(tmp_path), "Bonjour.", "--device", "cuda"]) == 2
        assert "--device: 'cuda' but torch" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
@pytest.mark.parametrize("precision", ["fp32", "bf16", "fp16"])
def test_cuda_training(tmp_path, precision):
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bf16")
    run = tmp_path / precision
    args = ["train", TINY, "--out", str(run), "--quiet", *FAST]
    assert main([*args, "--set", "train.device=cuda", "--set", f"train.precision={precision}"]) == 0
    check_run(run)
    # Decoding on the GPU gives the CPU's translations (greedy, so no near-tie reordering).
    sentences = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee."]
    on_cpu = [r.text for r in attnseq.load(run).translate(sentences, beam=1)]
    on_gpu = [r.text for r in attnseq.load(run, device="cuda").translate(sentences, beam=1)]
    assert on_gpu == on_cpu
    # The CLI decodes and scores (perplexity too) on the GPU.
    (tmp_path / "src.de").write_text("\n".join(sentences) + "\n")
    (tmp_path / "ref.en").write_text("A man rides a bike.\nTwo dogs play in the snow.\n")
    files = ["--src", str(tmp_path / "src.de"), "--ref", str(tmp_path / "ref.en")]
    assert main(["evaluate", str(run), *files, "--device", "cuda", "--beam", "1"]) == 0
    if precision == "fp16":
        _, meta = load_tensors(run / "last.safetensors")
        assert meta["precision"]["scale"] > 0  # the gradient scaler's state is kept


@pytest.mark.skipif(
    torch.cuda.device_count() < 2,
    reason=f"needs 2 CUDA devices for NCCL; torch {torch.__version__} sees "
    f"{torch.cuda.device_count()}",
)
def test_two_gpus_with_nccl(tmp_path):
    import os
    import subprocess
    import sys

    run = tmp_path / "nccl"
    job = subprocess.run(
        [sys.executable, "-m", "attnseq", "train", TINY, "--out", str(run), "--quiet"]
        + [*FAST, "--nproc", "2", "--set", "train.device=cuda", "--set", "train.precision=bf16"],
        cwd=REPO,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert job.returncode == 0, job.stderr
    check_run(run)
    assert "2 processes on cuda" in (run / "train.log").read_text()
