"""``attnseq data``: list the known data sets and fetch or verify one of them."""

from __future__ import annotations

import argparse
from pathlib import Path

from attnseq.data.registry import (
    DATASETS,
    MIRROR_ENV,
    DatasetSpec,
    is_url,
    mirror_setting,
    prepare,
)

_EPILOG = f"""\
examples:
  attnseq data list
  attnseq data prepare multi30k --mirror /data/attnseq-mirror
  attnseq data prepare tatoeba-fra-eng --mirror http://mirror.example.org/attnseq

A local mirror folder is verified in place (sha256 of every file) and used
without copying; a URL mirror, or the upstream URLs when no mirror is set, is
downloaded into $ATTNSEQ_CACHE (default ~/.cache/attnseq). The mirror defaults
to ${MIRROR_ENV}.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``data`` with its ``list`` and ``prepare`` actions."""
    parser = subparsers.add_parser(
        "data",
        help="list, download and verify data sets",
        description="List the registered data sets, or download and verify one.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="data_action", metavar="ACTION")
    actions.required = True

    listing = actions.add_parser(
        "list",
        help="show the data sets, their licences and whether the mirror has them",
        description="Show every registered data set and whether the mirror holds its files.",
        epilog="example:\n  attnseq data list --mirror ../shared/datasets",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_mirror(listing)

    fetch = actions.add_parser(
        "prepare",
        help="download or verify a data set and print its local folder",
        description=("Make a data set available locally, checksum-verified, and print its folder."),
        epilog="example:\n  attnseq data prepare multi30k --mirror ../shared/datasets",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fetch.add_argument("name", metavar="NAME", help="data set name, see 'attnseq data list'")
    _add_mirror(fetch)
    fetch.add_argument("--no-progress", action="store_true", help="hide download progress bars")
    parser.set_defaults(func=run)


def _add_mirror(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mirror",
        metavar="PATH_OR_URL",
        default=None,
        help=f"local folder or http(s)://, file:// URL of a mirror (default: ${MIRROR_ENV})",
    )


def run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen action."""
    if args.data_action == "list":
        print(format_table(mirror_setting(args.mirror)))
        return 0
    folder = prepare(args.name, mirror=args.mirror, progress=not args.no_progress)
    print(folder)
    return 0


def format_table(mirror: str | None) -> str:
    """A plain-text table of all data sets, aligned for a terminal."""
    header = ("name", "languages", "splits", "licence", "in mirror")
    rows = [
        (
            spec.name,
            ",".join(spec.languages) or "-",
            ",".join(spec.splits),
            spec.license,
            _presence(spec, mirror),
        )
        for spec in DATASETS.values()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _presence(spec: DatasetSpec, mirror: str | None) -> str:
    """Cheap check (existence and size, no hashing) so ``list`` stays instant."""
    if mirror is None:
        return "no mirror set"
    if is_url(mirror):
        return "remote (not checked)"
    base = Path(mirror).expanduser() / spec.mirror_dir
    present = sum(
        1
        for item in spec.files
        if (base / item.path).is_file() and (base / item.path).stat().st_size == item.size
    )
    if present == len(spec.files):
        return "yes"
    return f"no ({present}/{len(spec.files)} files)"
