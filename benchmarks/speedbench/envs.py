"""Virtual environments for the peer toolkits, each with the CPU build of torch 2.13.0.

Each peer gets its own environment so its pins cannot disturb attnseq's or
each other's. The known install pitfalls are handled here:

* OpenNMT-py 3.5.1 pins ``torch<2.3``: installed with ``--no-deps``, then its
  other requirements (read from its metadata) without torch;
* JoeyNMT 2.3.0 imports ``importlib_metadata`` without declaring it.

A finished environment carries a stamp file; a half-built one is rebuilt.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

TORCH = "torch==2.13.0"
PEERS = {"joeynmt": "joeynmt==2.3.0", "opennmt": "OpenNMT-py==3.5.1"}
STAMP = "attnseq-bench.json"


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def _pip(venv: Path, *args: str, log) -> None:
    cmd = [str(python_of(venv)), "-m", "pip", "install", "--quiet", *args]
    log(f"$ {' '.join(cmd)}")
    subprocess.run(cmd, check=True)


def _requirements_without_torch(venv: Path, dist: str) -> list[str]:
    """The install requirements of ``dist`` except torch (and extras-only ones)."""
    code = f"import importlib.metadata as m, json; print(json.dumps(m.requires({dist!r}) or []))"
    out = subprocess.run(
        [str(python_of(venv)), "-c", code], check=True, capture_output=True, text=True
    ).stdout
    keep = []
    for req in json.loads(out):
        if "extra ==" in req:
            continue
        name = re.split(r"[ ;<>=!~\[]", req, maxsplit=1)[0].lower()
        if name != "torch":
            keep.append(req.split(";")[0].strip())
    return keep


def _check_torch(venv: Path) -> str:
    """Refuse a CUDA build: the comparison is on this CPU with the same torch as attnseq."""
    code = "import torch; print(torch.__version__, torch.version.cuda)"
    version, cuda = subprocess.run(
        [str(python_of(venv)), "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    if cuda != "None" or not version.startswith("2.13.0"):
        raise RuntimeError(
            f"{venv}: expected the CPU build of torch 2.13.0, found {version} {cuda}"
        )
    return version


def ensure_env(name: str, root: Path, log=print) -> Path:
    """Create (once) the virtual environment of peer ``name`` under ``root`` and return it."""
    venv = root / name
    stamp = venv / STAMP
    if stamp.is_file():
        return venv
    log(f"creating {venv} (once; a few minutes)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    _pip(venv, "--upgrade", "pip", log=log)
    _pip(venv, TORCH, log=log)
    if name == "opennmt":
        _pip(venv, "--no-deps", PEERS[name], log=log)
        _pip(venv, *_requirements_without_torch(venv, "OpenNMT-py"), log=log)
    elif name == "joeynmt":
        _pip(venv, PEERS[name], "importlib_metadata", log=log)
    else:
        raise ValueError(f"unknown peer {name!r}")
    version = _check_torch(venv)
    stamp.write_text(json.dumps({"peer": PEERS[name], "torch": version}) + "\n")
    return venv
