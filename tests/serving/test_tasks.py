"""Chat and caption routes (with stand-in models until the real ones land), the task
table that picks a loader from a run's config, and the command's errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import torch
import yaml
from serve_helpers import REPO, StubCaptioner, StubChatbot, png_bytes, serve_app

from attnseq.cli.main import main
from attnseq.errors import CheckpointError, ConfigError
from attnseq.serving import registry
from attnseq.serving.app import create_app
from attnseq.serving.limits import Limits
from attnseq.serving.registry import ServedModel, load_models, parse_model_arg


@pytest.fixture(scope="module")
def captioner() -> StubCaptioner:
    return StubCaptioner()


@pytest.fixture(scope="module")
def stub_server(captioner):
    models = [
        ServedModel("talk", "chat", Path("talk"), StubChatbot()),
        ServedModel("look", "caption", Path("look"), captioner),
    ]
    app = create_app(models, Limits(max_image_bytes=100_000, max_image_pixels=500_000))
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_models_lists_each_task_default(stub_server):
    body = stub_server.get("/v1/models").json()
    assert [(m["name"], m["task"]) for m in body["models"]] == [
        ("talk", "chat"),
        ("look", "caption"),
    ]
    assert body["defaults"] == {"chat": "talk", "caption": "look"}
    missing = stub_server.post("/v1/translate", json={"text": "Bonjour."})
    assert missing.status_code == 404 and missing.json()["error"] == "no translation model loaded"


def test_chat_reply_with_attention_over_the_context(stub_server):
    response = stub_server.post(
        "/v1/chat", json={"history": ["Hello there", "fine thanks", "How are you"], "beam": 2}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "talk" and body["reply"] == "how are you" and body["score"] == -0.5
    assert body["src_tokens"][-1] == "</s>" and len(body["src_tokens"]) == 8
    assert len(body["attention"]) == len(body["out_tokens"]) == 4
    # "are" (output 1) looked at "are" (source 5): rows and columns kept in place.
    row = body["attention"][1]
    assert max(range(len(row)), key=row.__getitem__) == 5
    assert body["timing"]["batch_items"] == 1


def test_caption_an_uploaded_image(stub_server, captioner):
    png = png_bytes((64, 48))
    response = stub_server.post(
        "/v1/caption", files={"image": ("red.png", png, "image/png")}, data={"beam": "2"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["caption"] == "a red square" and body["model"] == "look"
    assert body["grid"] == [2, 3] and body["image"] == {"width": 64, "height": 48}
    assert len(body["attention"]) == len(body["out_tokens"]) == 4
    assert all(len(row) == 6 for row in body["attention"])
    assert captioner.seen[-1] == ("RGB", (64, 48))


def test_caption_of_a_greyscale_jpeg_reaches_the_model_as_rgb(stub_server, captioner):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (20, 10), 90).save(buffer, format="JPEG")
    files = {"image": ("grey.jpg", buffer.getvalue(), "image/jpeg")}
    assert stub_server.post("/v1/caption", files=files).status_code == 200
    assert captioner.seen[-1] == ("RGB", (20, 10))


def test_a_model_that_fails_answers_500_for_that_request_only():
    class Broken:
        def reply(self, history, beam=5):
            if "crash" in history[-1]:
                raise RuntimeError("boom")
            return StubChatbot().reply(history, beam)

    app = create_app([ServedModel("talk", "chat", Path("talk"), Broken())])
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        bad = client.post("/v1/chat", json={"history": ["please crash"]})
        assert bad.status_code == 500 and bad.json()["error"] == "model 'talk' failed on this input"
        assert "boom" not in bad.text
        assert client.post("/v1/chat", json={"history": ["still there"]}).status_code == 200


# ----------------------------------------------------------- loading runs


def run_folder(run_dir: Path, tmp_path: Path, task: str) -> Path:
    folder = tmp_path / f"{task}-run"
    folder.mkdir()
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    (folder / "config.yaml").write_text(yaml.safe_dump({**config, "task": task}))
    return folder


def test_the_run_config_task_picks_the_loader(run_dir, tmp_path, monkeypatch):
    chat_run = run_folder(run_dir, tmp_path, "chat")
    loaded = []
    monkeypatch.setattr(
        registry.TASKS["chat"], "load", lambda *where: loaded.append(where) or StubChatbot()
    )
    models = load_models([str(run_dir), f"bot={chat_run}"], device="cpu")
    assert [(m.name, m.task) for m in models] == [(run_dir.name, "translation"), ("bot", "chat")]
    assert loaded == [(chat_run, "cpu")]
    assert str(models[0].engine.device) == "cpu"
    assert models[0].engine.translate(["Bonjour."], beam=1)[0].out_tokens


def test_a_task_without_a_loader_is_a_clear_error(run_dir, tmp_path, monkeypatch):
    caption_run = run_folder(run_dir, tmp_path, "caption")
    monkeypatch.setattr(registry.TASKS["caption"], "load", None)
    with pytest.raises(ConfigError, match="a caption model, which this version cannot serve"):
        load_models([str(caption_run)])


def test_model_names(run_dir, tmp_path):
    assert parse_model_arg("runs/fr-en/") == ("fr-en", Path("runs/fr-en/"))
    assert parse_model_arg("mine=runs/x") == ("mine", Path("runs/x"))
    assert parse_model_arg("a=b=c") == ("a", Path("b=c"))
    with pytest.raises(ConfigError, match="already served"):
        load_models([f"x={run_dir}", f"x={run_dir}"])
    with pytest.raises(CheckpointError, match="run folder not found"):
        load_models([str(tmp_path / "absent")])
    with pytest.raises(CheckpointError, match="no config.yaml"):
        load_models([str(tmp_path)])


def test_serve_command_errors(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "absent")]) == 2
    assert "run folder not found" in capsys.readouterr().err
    assert main(["serve", str(REPO), "--port", "70000"]) == 2
    assert "--port 70000" in capsys.readouterr().err
    assert main(["serve", str(REPO), "--max-chars", "0"]) == 2
    assert "max_chars: must be positive" in capsys.readouterr().err
    if not torch.cuda.is_available():  # a missing GPU is named before anything loads
        assert main(["serve", str(tmp_path / "absent"), "--device", "cuda"]) == 2
        assert "--device: 'cuda' but torch" in capsys.readouterr().err
