"""Checkpoints: safetensors for tensors, JSON for everything else, no pickle.

One checkpoint is one ``.safetensors`` file. Its header metadata carries a
JSON document (step, metrics, optimizer settings, ...) and a sha256 of all
tensor bytes, so a truncated or bit-flipped file is refused by name instead of
loading garbage. Files are written atomically: a crash mid-write leaves the
previous checkpoint in place. Tensors that share storage (tied embeddings)
are stored once and restored as aliases.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from attnseq.atomic import atomic_write
from attnseq.errors import CheckpointError

# Format 2 checksums the JSON document as well as the tensors; format 1 files
# (tensors only) still load. A single bit flip cannot turn "2" into "1".
FORMAT = 2
READABLE = (1, 2)
_KEY = "attnseq"


def _checksum(tensors: dict[str, Tensor], doc: dict[str, Any] | None = None) -> str:
    digest = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().contiguous().cpu()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)};".encode())
        digest.update(
            tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b""
        )
    if doc is not None:
        digest.update(b"json;" + json.dumps(doc, sort_keys=True).encode())
    return digest.hexdigest()


def save_tensors(path: Path, tensors: dict[str, Tensor], meta: dict[str, Any]) -> None:
    """Write tensors plus a JSON document atomically, storing shared tensors once."""
    unique: dict[str, Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[int, int, tuple[int, ...]], str] = {}
    for name, tensor in tensors.items():
        key = (tensor.untyped_storage().data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        if tensor.numel() and key in seen:
            aliases[name] = seen[key]
        else:
            seen[key] = name
            unique[name] = tensor.detach().contiguous().cpu()
    # The file's own bookkeeping comes last so that a caller's meta can never override it.
    # The JSON round trip gives the document exactly as a reader will parse it.
    doc = json.loads(json.dumps({**meta, "format": FORMAT, "aliases": aliases}))
    doc.pop("sha256", None)
    doc["sha256"] = _checksum(unique, doc)
    atomic_write(
        Path(path), lambda tmp: save_file(unique, str(tmp), metadata={_KEY: json.dumps(doc)})
    )


def _looks_like_pickle(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(4)
    return head.startswith(b"PK") or head[:1] == b"\x80"


def load_tensors(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """Read and verify a checkpoint; never unpickles anything."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        with safe_open(str(path), framework="pt") as handle:
            raw_meta = (handle.metadata() or {}).get(_KEY)
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        if _looks_like_pickle(path):
            raise CheckpointError(
                f"{path}: this is a pickle/torch.save file, not safetensors; "
                "attnseq never unpickles files (they can run code)"
            ) from None
        raise CheckpointError(f"{path}: not a valid safetensors checkpoint ({err})") from None
    if raw_meta is None:
        raise CheckpointError(f"{path}: no attnseq metadata; not an attnseq checkpoint")
    try:
        meta = json.loads(raw_meta)
    except (json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"{path}: corrupt metadata ({err})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: corrupt metadata (not a JSON object)")
    if meta.get("format") not in READABLE:
        raise CheckpointError(
            f"{path}: checkpoint format {meta.get('format')!r} is not one this version reads "
            f"({', '.join(map(str, READABLE))})"
        )
    doc = {key: value for key, value in meta.items() if key != "sha256"}
    if _checksum(tensors, doc if meta["format"] >= 2 else None) != meta.get("sha256"):
        raise CheckpointError(
            f"{path}: checksum mismatch; the file is corrupt (truncated or altered)"
        )
    aliases = meta.get("aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(target, str) and target in tensors for target in aliases.values()
    ):
        raise CheckpointError(f"{path}: corrupt metadata (aliases name missing tensors)")
    for alias, target in aliases.items():
        tensors[alias] = tensors[target]
    return tensors, meta


def prefixed(tensors: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    """Select the tensors under ``prefix.`` and strip it."""
    start = len(prefix) + 1
    return {name[start:]: t for name, t in tensors.items() if name.startswith(prefix + ".")}


def load_weights(model: nn.Module, tensors: dict[str, Tensor], source: str) -> None:
    """Copy tensors into ``model``, saying exactly which names or shapes differ."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = [
        f"{name} {tuple(tensors[name].shape)} vs model {tuple(t.shape)}"
        for name, t in expected.items()
        if name in tensors and tensors[name].shape != t.shape
    ]
    problems = []
    if missing:
        problems.append(f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    if unexpected:
        problems.append(
            f"unexpected {', '.join(unexpected[:5])}{' ...' if len(unexpected) > 5 else ''}"
        )
    if wrong:
        problems.append(f"shape mismatch {'; '.join(wrong[:5])}")
    if problems:
        raise CheckpointError(f"{source}: does not fit the model: {' | '.join(problems)}")
    model.load_state_dict({name: tensors[name] for name in expected})


def diff_dicts(a: Any, b: Any, path: str = "") -> list[str]:
    """Human-readable differences between two JSON-like values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            sub = f"{path}.{key}" if path else str(key)
            out += diff_dicts(a.get(key), b.get(key), sub)
        return out
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def fingerprint(items: list[str]) -> str:
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()[:16]
