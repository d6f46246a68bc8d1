"""Moved to :mod:`attnseq.alignment.extract`; this path still works, with a DeprecationWarning."""

from attnseq._moved import moved

__getattr__ = moved(__name__, "attnseq.alignment.extract")
