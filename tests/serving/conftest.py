"""A tiny trained model and a real ``attnseq serve`` process on 127.0.0.1.

``ATTNSEQ_SERVE_RUN=runs/tatoeba-fr-en`` serves that run folder instead of
training the tiny one (how the README's page screenshot is made).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_helpers import LIMIT_FLAGS, REPO, serve

from attnseq.config import load_config
from attnseq.training.trainer import Trainer


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory, mirror) -> Path:
    chosen = os.environ.get("ATTNSEQ_SERVE_RUN")
    if chosen:
        return Path(chosen).resolve()
    out = tmp_path_factory.mktemp("serve") / "tiny"
    overrides = ["train.max_steps=30", "train.valid_every=30", "train.threads=1"]
    cfg = load_config(REPO / "configs" / "tiny.yaml", overrides)
    Trainer(cfg, out, show_progress=False).run()
    return out


@pytest.fixture(scope="session")
def server(run_dir, tmp_path_factory) -> Iterator[str]:
    """One server for the whole session, with small limits and a wide batching window."""
    flags = [str(x) for pair in LIMIT_FLAGS.items() for x in pair]
    log = tmp_path_factory.mktemp("serve-log") / "server.log"
    with serve([f"fr-en={run_dir}", *flags, "--batch-wait-ms", "20"], log) as url:
        yield url


@pytest.fixture(scope="session")
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c
