"""Old import paths of modules that moved, kept working with a DeprecationWarning.

Why: user code and notebooks import ``attnseq.inference`` and friends; a move
inside the package should cost them a warning that names the new home, not
an ImportError.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable


def moved(old: str, *new: str) -> Callable[[str], object]:
    """A module ``__getattr__`` that forwards names of ``old`` to its new modules."""

    def __getattr__(name: str) -> object:
        for target in new:
            module = importlib.import_module(target)
            if hasattr(module, name):
                warnings.warn(
                    f"{old}.{name} moved to {target}.{name}; import it from there",
                    DeprecationWarning,
                    stacklevel=2,
                )
                return getattr(module, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r}")

    return __getattr__
