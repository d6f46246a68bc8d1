"""Sentence-pair corpora with fixed, leak-free splits.

Supported: ``tatoeba-fra-eng`` (English-French, splits train / valid / test
made here) and ``multi30k`` (task 1, official splits train / val /
test_2016_flickr, variants ``raw`` and ``tok``). Files come from
:func:`attnseq.data.registry.prepare`, so they are always checksum-verified.
"""

from __future__ import annotations

import functools
import hashlib
import zipfile
from pathlib import Path

from attnseq.data.readers import ParallelText, decode_lines, read_parallel, tsv_pairs
from attnseq.data.registry import get_spec, prepare
from attnseq.errors import DataError

TATOEBA = "tatoeba-fra-eng"
MULTI30K = "multi30k"
SUPPORTED = (TATOEBA, MULTI30K)
VARIANTS = {TATOEBA: ("raw",), MULTI30K: ("raw", "tok")}
_TATOEBA_MEMBER = "fra.txt"
_TATOEBA_LANGS = ("en", "fr")  # column order of fra.txt


def load_pairs(
    name: str,
    split: str,
    src_lang: str,
    tgt_lang: str,
    variant: str = "raw",
    mirror: str | None = None,
) -> list[tuple[str, str]]:
    """Sentence pairs ``(source, target)`` of one split, in file order.

    ``variant`` is ``raw`` (the text as published) or, for Multi30k only,
    ``tok``: the official lowercased, normalised, Moses-tokenized files
    ``<split>.lc.norm.tok.<lang>.gz``. Pairs with an empty side are dropped.
    """
    if name not in SUPPORTED:
        raise DataError(f"load_pairs supports data sets {', '.join(SUPPORTED)}; got {name!r}")
    spec = get_spec(name)
    _check_choice("split", split, spec.splits, name)
    _check_choice("source language", src_lang, spec.languages, name)
    _check_choice("target language", tgt_lang, spec.languages, name)
    _check_choice("variant", variant, VARIANTS[name], name)
    if src_lang == tgt_lang:
        raise DataError(f"{name}: source and target language are both {src_lang!r}")
    folder = prepare(name, mirror=mirror, progress=False)
    if name == TATOEBA:
        en_fr = _tatoeba_splits(str(folder / "fra-eng.zip"))[split]
        return list(en_fr) if src_lang == "en" else [(fr, en) for en, fr in en_fr]
    return _multi30k(folder, split, src_lang, tgt_lang, variant).pairs


def _check_choice(what: str, value: str, valid: tuple[str, ...], name: str) -> None:
    if value not in valid:
        raise DataError(f"{name}: unknown {what} {value!r}; valid: {', '.join(valid)}")


def _multi30k(folder: Path, split: str, src: str, tgt: str, variant: str) -> ParallelText:
    """Read two aligned Multi30k files of one split."""

    def path(lang: str) -> Path:
        if variant == "tok":
            return folder / "tok" / f"{split}.lc.norm.tok.{lang}.gz"
        return folder / "raw" / f"{split}.{lang}.gz"

    return read_parallel(path(src), path(tgt))


@functools.lru_cache(maxsize=4)
def _tatoeba_splits(zip_path: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Parse ``fra.txt`` once per process and split it; pairs are (English, French).

    Split rule, deterministic and leak-free:

    1. Read columns 1 and 2 (English<TAB>French; newer releases append
       attribution columns, which are ignored). Pairs with an empty side are
       dropped.
    2. Build connected components of pairs that share an English sentence or
       a French sentence (union-find over sentences of both languages). Every
       alternative translation of a sentence therefore lands in one component.
    3. A component goes to *test* if ``int(sha256(m)) % 100 == 0``, to *valid*
       if it is 1, else to *train*, where ``m`` is the smallest (by code
       point) sentence of the component, English or French, UTF-8 encoded.

    No test or valid sentence occurs in train on either side, so neither
    translation direction can leak. Pairs keep their file order within a split.
    On the pinned 2017-09-29 release (142,787 lines, none empty) this gives
    train 140,048, valid 1,397 and test 1,342 pairs.
    """
    parsed = tsv_pairs(_read_zip_member(Path(zip_path), _TATOEBA_MEMBER), f"{zip_path}:fra.txt")
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(node: tuple[int, str]) -> tuple[int, str]:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:  # path compression
            parent[node], node = root, parent[node]
        return root

    for en, fr in parsed.pairs:
        a, b = (0, en), (1, fr)
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    smallest: dict[tuple[int, str], str] = {}
    for node in parent:
        root = find(node)
        if root not in smallest or node[1] < smallest[root]:
            smallest[root] = node[1]
    splits: dict[str, list[tuple[str, str]]] = {"train": [], "valid": [], "test": []}
    for en, fr in parsed.pairs:
        splits[_bucket(smallest[find((0, en))])].append((en, fr))
    return {name: tuple(pairs) for name, pairs in splits.items()}


def _bucket(sentence: str) -> str:
    """Hash bucket of a component: 1 % test, 1 % valid, 98 % train."""
    value = int(hashlib.sha256(sentence.encode("utf-8")).hexdigest(), 16) % 100
    return "test" if value == 0 else "valid" if value == 1 else "train"


def _read_zip_member(zip_path: Path, member: str) -> list[str]:
    """Decoded lines of one member of a zip archive, errors naming archive and member."""
    try:
        with zipfile.ZipFile(zip_path) as archive, archive.open(member) as handle:
            return decode_lines(handle, f"{zip_path}:{member}")
    except KeyError:
        raise DataError(f"{zip_path}: archive has no member {member!r}") from None
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise DataError(f"{zip_path}: cannot read member {member!r}: {err}") from None
