"""Entry point of the ``attnseq`` command.

Each subcommand lives in its own module exposing ``register(subparsers)``,
which adds its parser and sets ``func``. User errors become exit code 2 and a
single line on stderr; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from attnseq.errors import AttnseqError

COMMANDS = (
    "train",
    "translate",
    "evaluate",
    "attention",
    "average",
    "caption",
    "chat",
    "serve",
    "align",
    "evaluate-alignment",
    "data",
)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attnseq",
        description="Attention-based sequence-to-sequence learning.",
        formatter_class=_Formatter,
        epilog="Run 'attnseq COMMAND --help' for a command's options and an example.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f"attnseq.cli.{name.replace('-', '_')}_cmd").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AttnseqError as err:
        print(f"attnseq {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("attnseq: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
