"""Moved to :mod:`attnseq.api.captioner`; this path still works, with a DeprecationWarning."""

from attnseq._moved import moved

__getattr__ = moved(__name__, "attnseq.api.captioner")
