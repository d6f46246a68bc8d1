"""Shared fixtures: every test reads real data from the local mirror."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MIRROR = (REPO.parent / "shared" / "datasets").resolve()

# Tests read the local mirror of the data sets, never the internet.
os.environ.setdefault("ATTNSEQ_MIRROR", str(DEFAULT_MIRROR))
os.environ.setdefault("ATTNSEQ_CACHE", str(REPO / ".pytest_cache" / "attnseq-cache"))


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = Path(os.environ["ATTNSEQ_MIRROR"])
    if not path.is_dir():
        pytest.fail(f"data mirror {path} not found: set ATTNSEQ_MIRROR to ../shared/datasets")
    return path


@pytest.fixture(scope="session")
def benchmark_script():
    """Imports a script of ``benchmarks/`` by file name: the folder is not a package."""

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
