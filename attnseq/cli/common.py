"""Helpers shared by the subcommands: reading inputs and building parsers."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from attnseq.errors import AttnseqError


def add_command(subparsers, name: str, help: str, example: str) -> argparse.ArgumentParser:
    return subparsers.add_parser(
        name,
        help=help,
        description=help,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def split_run_dirs(first: str, rest: list[str]) -> tuple[list[str], list[str]]:
    """Leading arguments that are run folders (they hold a config.yaml) form an ensemble."""
    run_dirs = [first]
    while rest and (Path(rest[0]) / "config.yaml").is_file():
        run_dirs.append(rest[0])
        rest = rest[1:]
    return run_dirs, rest


def input_sentences(texts: list[str]) -> list[str]:
    """Sentences from the arguments, or one per line from stdin."""
    if texts:
        return texts
    if sys.stdin.isatty():
        raise AttnseqError("give sentences as arguments or one per line on stdin")
    lines = []
    for number, raw in enumerate(sys.stdin.buffer, 1):
        try:
            lines.append(raw.decode("utf-8").rstrip("\r\n"))
        except UnicodeDecodeError as err:
            raise AttnseqError(f"stdin: line {number} is not valid UTF-8 ({err.reason})") from None
    return lines


def read_text_lines(path: str) -> list[str]:
    from attnseq.data.readers import read_lines

    return read_lines(Path(path))


def add_device_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--device",
        type=_device_spec,
        default="cpu",
        help="where to decode: cpu (default), cuda, cuda:N, or auto (the GPU when torch sees one)",
    )


def _device_spec(text: str) -> str:
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not one of auto, cpu, cuda, cuda:N")
    return text


def decode_device(args) -> str:
    """``--device`` resolved, with a clear error where CUDA is asked for and absent."""
    from attnseq.training.device import choose_device

    return str(choose_device(args.device, field="--device"))
