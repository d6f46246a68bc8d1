"""Starting a real ``attnseq serve`` process, and small inputs for it."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from attnseq.serving.launch import free_port, launched

REPO = Path(__file__).resolve().parents[2]

# Small limits, so every limit can be crossed with a small request.
LIMIT_FLAGS = {
    "--max-chars": 200,
    "--max-sentences": 8,
    "--max-body-kb": 16,
    "--max-image-mb": 0.05,
    "--max-image-pixels": 1_000_000,
    "--max-beam": 6,
    "--beam": 3,
}


@contextmanager
def serve(args: list[str], log: Path) -> Iterator[str]:
    """Start ``attnseq serve ARGS`` on a free loopback port; yield its URL; stop it."""
    with launched([*args, "--threads", "1"], log) as server:
        yield server.url
        assert server.alive(), f"server died:\n{log.read_text()}"


def png_bytes(size: tuple[int, int] = (32, 24), mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 200).save(buffer, format="PNG")
    return buffer.getvalue()


@contextmanager
def serve_app(app) -> Iterator[str]:
    """Run an application built in this process on a real uvicorn server in a thread."""
    import threading

    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("in-process server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class StubChatbot:
    """Stands in for attnseq.api.chatbot.Chatbot: echoes the last turn's words.

    Output word i attends mostly to source word i of the last turn, so a test
    can tell whether the server kept rows and columns in place.
    """

    def reply(self, history: list[str], beam: int = 5):
        import torch

        from attnseq.api.translator import Translation

        words = [w for turn in history for w in turn.split()]
        last = history[-1].split()
        src = [f"\u2581{w}" for w in words] + ["</s>"]
        out = [f"\u2581{w.lower()}" for w in last] + ["</s>"]
        attention = torch.full((len(out), len(src)), 0.1)
        offset = len(words) - len(last)
        for i in range(len(last)):
            attention[i, offset + i] = 5.0
        attention = attention / attention.sum(dim=1, keepdim=True)
        return Translation(
            history[-1], " ".join(w.lower() for w in last), src, out, attention, -0.5
        )


class StubCaptioner:
    """Stands in for attnseq.api.captioner.Captioner on a 2x3 grid of regions."""

    GRID = (2, 3)

    def __init__(self):
        self.seen: list[tuple[str, tuple[int, int]]] = []

    def caption(self, images, beam: int = 5):
        from types import SimpleNamespace

        h, w = self.GRID
        results = []
        for image in images:
            self.seen.append((image.mode, image.size))
            out = ["\u2581a", "\u2581red", "\u2581square", "</s>"]
            attention = [
                [0.9 if k == i else 0.1 / (h * w - 1) for k in range(h * w)]
                for i in range(len(out))
            ]
            results.append(
                SimpleNamespace(
                    text="a red square",
                    out_tokens=out,
                    attention=attention,
                    grid=self.GRID,
                    score=-1.25,
                )
            )
        return results
