"""Which run folders are served, and how each task's model is loaded and called.

A run folder's ``config.yaml`` says its ``task``; ``TASKS`` maps each task to
a loader (run folder -> engine) and a batch function (engine, inputs, options
-> one result per input). The routes only see this table, so adding a task's
model is one entry here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attnseq.config import config_from_dict, read_yaml
from attnseq.errors import CheckpointError, ConfigError

Loader = Callable[[Path, str], Any]  # (run folder, device)
RunBatch = Callable[[Any, list[Any], Hashable], Sequence[Any]]


def _load_translator(run_dir: Path, device: str) -> Any:
    from attnseq.api.translator import Translator

    return Translator.load(run_dir, device=device)


def _load_chatbot(run_dir: Path, device: str) -> Any:
    from attnseq.api.chatbot import Chatbot

    return Chatbot.load(run_dir, device=device)


def _load_captioner(run_dir: Path, device: str) -> Any:
    from attnseq.api.captioner import Captioner

    return Captioner.load(run_dir, device=device)


def _translate(engine: Any, texts: list[str], options: Hashable) -> Sequence[Any]:
    (beam,) = options
    return engine.translate(texts, beam=beam)


def _reply(engine: Any, histories: list[list[str]], options: Hashable) -> Sequence[Any]:
    (beam,) = options  # Chatbot.reply answers one conversation at a time
    return [engine.reply(history, beam=beam) for history in histories]


def _caption(engine: Any, images: list[Any], options: Hashable) -> Sequence[Any]:
    (beam,) = options
    return engine.caption(images, beam=beam)


@dataclass
class Task:
    run_batch: RunBatch
    load: Loader | None  # None: this version cannot load such runs yet


TASKS: dict[str, Task] = {
    "translation": Task(_translate, _load_translator),
    "chat": Task(_reply, _load_chatbot),
    "caption": Task(_caption, _load_captioner),
}


@dataclass
class ServedModel:
    name: str
    task: str
    run_dir: Path
    engine: Any

    def run_batch(self, items: list[Any], options: Hashable) -> Sequence[Any]:
        return TASKS[self.task].run_batch(self.engine, items, options)

    def describe(self) -> dict:
        """What /v1/models tells a client about this model."""
        info: dict[str, Any] = {"name": self.name, "task": self.task}
        cfg = getattr(self.engine, "cfg", None)
        if cfg is not None:
            info["languages"] = {"source": cfg.data.src_lang, "target": cfg.data.tgt_lang}
            info["architecture"] = {
                "encoder": f"{cfg.model.encoder.cell}x{cfg.model.encoder.layers}"
                + (" bidirectional" if cfg.model.encoder.bidirectional else ""),
                "decoder": cfg.model.decoder.type,
                "attention": cfg.model.decoder.attention,
            }
        model = getattr(self.engine, "model", None)
        if model is not None and hasattr(model, "parameters"):
            info["parameters"] = sum(p.numel() for p in model.parameters())
        return info


NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def parse_model_arg(arg: str) -> tuple[str, Path]:
    """``RUN_DIR`` (named after the folder) or ``NAME=RUN_DIR``."""
    name, sep, path = arg.partition("=")
    if not sep or not NAME.match(name):
        name, path = Path(arg.rstrip("/")).name, arg
    if not NAME.match(name):
        raise ConfigError(f"{arg}: cannot name a model after it; use NAME=RUN_DIR")
    return name, Path(path)


def run_task(run_dir: Path) -> str:
    config = run_dir / "config.yaml"
    if not config.is_file():
        raise CheckpointError(f"{run_dir}: not a run folder (no config.yaml)")
    return config_from_dict(read_yaml(config), str(config)).task


def load_models(args: list[str], device: str = "cpu") -> list[ServedModel]:
    """Load every ``RUN_DIR`` or ``NAME=RUN_DIR`` onto ``device``; names must be unique."""
    models: list[ServedModel] = []
    for arg in args:
        name, run_dir = parse_model_arg(arg)
        if any(m.name == name for m in models):
            raise ConfigError(f"{arg}: a model named {name!r} is already served; use NAME=RUN_DIR")
        if not run_dir.is_dir():
            raise CheckpointError(f"{run_dir}: run folder not found")
        task = run_task(run_dir)
        loader = TASKS[task].load
        if loader is None:
            raise ConfigError(f"{run_dir}: a {task} model, which this version cannot serve yet")
        models.append(ServedModel(name, task, run_dir, loader(run_dir, device)))
    return models
