"""Moved to :mod:`attnseq.api.translator` and :mod:`attnseq.runs`; this path still works, with a DeprecationWarning."""

from attnseq._moved import moved

__getattr__ = moved(__name__, "attnseq.runs", "attnseq.api.translator")
