"""Real chat and caption models behind /v1/chat and /v1/caption."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
from PIL import Image
from serve_helpers import REPO, png_bytes, serve

from attnseq.api.chatbot import Chatbot
from attnseq.config import load_config
from attnseq.training.trainer import Trainer


def test_chat_route_answers_with_attention_over_the_context(tmp_path: Path, mirror):
    run = tmp_path / "chat"
    overrides = ["train.max_steps=20", "train.valid_every=20", "train.threads=1"]
    Trainer(load_config(REPO / "configs" / "tiny-chat.yaml", overrides), run, False).run()
    history = ["Hello, how are you?", "Fine, thanks. And you?", "Where are you going?"]
    expected = Chatbot.load(run).reply(history, beam=2)
    with (
        serve([f"bot={run}"], tmp_path / "server.log") as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        models = client.get("/v1/models").json()
        answer = client.post("/v1/chat", json={"history": history, "beam": 2})
    assert any(m["task"] == "chat" for m in models["models"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["reply"] == expected.text
    assert body["src_tokens"] == expected.src_tokens
    assert len(body["attention"]) == len(body["out_tokens"])
    assert all(len(row) == len(body["src_tokens"]) for row in body["attention"])


def test_caption_route_answers_with_attention_over_the_grid(tmp_path: Path, mirror):
    from attnseq.api.captioner import Captioner
    from attnseq.cli.main import main

    run = tmp_path / "caption"
    tiny = str(REPO / "configs" / "caption-tiny.yaml")
    assert main(["train", tiny, "--out", str(run), "--quiet"]) == 0
    png = png_bytes((48, 40))
    expected = Captioner.load(run).caption([Image.open(io.BytesIO(png))], beam=2)[0]
    with (
        serve([f"cap={run}"], tmp_path / "server.log") as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        answer = client.post(
            "/v1/caption", files={"image": ("a.png", png, "image/png")}, data={"beam": "2"}
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["caption"] == expected.text
    cells = body["grid"][0] * body["grid"][1]
    assert len(body["attention"]) == len(body["out_tokens"])
    assert all(len(row) == cells and abs(sum(row) - 1) < 1e-3 for row in body["attention"])
