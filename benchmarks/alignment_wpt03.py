"""Word alignment on the English-French WPT 2003 test set: attnseq's attention vs eflomal.

Three steps, each a subcommand (run from the repository root)::

    python3 benchmarks/alignment_wpt03.py prepare --work runs/wpt03
    attnseq train configs/wpt03-en-fr.yaml --out runs/wpt03/en-fr          # and the others
    python3 benchmarks/alignment_wpt03.py report --work runs/wpt03 \\
        --pair plain runs/wpt03/en-fr runs/wpt03/fr-en \\
        --pair guided runs/wpt03/en-fr-guided runs/wpt03/fr-en-guided

``prepare`` builds the training text and runs eflomal on it; ``report``
aligns the 447 gold pairs with every run and prints (and saves as JSON and
Markdown) one table of AER, precision and recall.

The training text (the same for eflomal and our models, see docs/results.md):
Tatoeba fra-eng train (140,048 pairs), Multi30k task 1 train en-fr (29,000)
and the 447 WPT03 test pairs themselves, as unsupervised aligners are
conventionally run on the text they align. There is no Hansards training
text in the mirror. Everything is lowercased and tokenized the way the WPT03
files are: Moses tokenization, hyphens split off, French elisions and
contractions written out (``l'`` -> ``le``, ``du`` -> ``de le``, ``aux`` ->
``à les``) and English ``n't`` -> ``not``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# The project's machines have no internet: read the local mirror unless told otherwise.
os.environ.setdefault("ATTNSEQ_MIRROR", str(REPO.parent / "shared" / "datasets"))

from attnseq.data.alignments import (  # noqa: E402
    format_links,
    read_pharaoh,
    reverse_links,
)
from attnseq.data.corpora import load_pairs  # noqa: E402
from attnseq.data.readers import read_lines  # noqa: E402
from attnseq.data.registry import prepare as prepare_dataset  # noqa: E402
from attnseq.word_alignment import symmetrize  # noqa: E402

WPT = "wpt03-enfr"
FR_ELISIONS = {
    "l'": "le",
    "d'": "de",
    "n'": "ne",
    "j'": "je",
    "qu'": "que",
    "s'": "se",
    "c'": "ce",
    "m'": "me",
    "t'": "te",
    "jusqu'": "jusque",
    "lorsqu'": "lorsque",
    "puisqu'": "puisque",
    "quoiqu'": "quoique",
}
FR_CONTRACTIONS = {"du": "de le", "des": "de les", "au": "à le", "aux": "à les"}
EN_CLITICS = {"'m": "am", "'re": "are", "'ve": "have", "'ll": "will", "'d": "would"}
EN_NEGATIONS = {"can": "can", "won": "will", "don": "do", "doesn": "does", "didn": "did"}


def _moses(lang: str):
    from sacremoses import MosesTokenizer

    return MosesTokenizer(lang=lang)


def normalise_fr(text: str, tok) -> str:
    """French as the WPT03 files write it (lowercased, elisions and contractions written out)."""
    text = re.sub(r"(\w)-(\w)", r"\1 - \2", text.replace("\u2019", "'").lower())
    words = []
    for word in tok.tokenize(text, escape=False):
        words.append(FR_ELISIONS.get(word, FR_CONTRACTIONS.get(word, word)))
    return " ".join(words)


def normalise_en(text: str, tok) -> str:
    """English as the WPT03 files write it (lowercased, ``n't`` written as ``not``)."""
    text = re.sub(r"(\w)-(\w)", r"\1 - \2", text.replace("\u2019", "'").lower())
    words: list[str] = []
    for word in tok.tokenize(text, escape=False):
        if word == "'t" and words and words[-1].endswith("n"):
            prev = words.pop()
            words += [EN_NEGATIONS.get(prev, prev[:-1]), "not"]
        else:
            words.append(EN_CLITICS.get(word, word))
    return " ".join(words)


def wpt_files(mirror: str | None = None) -> dict[str, Path]:
    folder = prepare_dataset(WPT, mirror=mirror, progress=False)
    return {"en": folder / "enfr.src", "fr": folder / "enfr.tgt", "gold": folder / "enfr.talp"}


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def prepare(work: Path, iterations: int | None) -> None:
    work.mkdir(parents=True, exist_ok=True)
    en_tok, fr_tok = _moses("en"), _moses("fr")
    corpora = {
        "tatoeba": load_pairs("tatoeba-fra-eng", "train", "en", "fr"),
        "multi30k": load_pairs("multi30k", "train", "en", "fr"),
    }
    en, fr = [], []
    for name, pairs in corpora.items():
        started = time.perf_counter()
        for src, tgt in pairs:
            e, f = normalise_en(src, en_tok), normalise_fr(tgt, fr_tok)
            if e and f:
                en.append(e)
                fr.append(f)
        print(f"{name}: {len(pairs):,} pairs normalised in {time.perf_counter() - started:.0f} s")
    files = wpt_files()
    wpt_en = [line.lower() for line in read_lines(files["en"])]
    wpt_fr = [line.lower() for line in read_lines(files["fr"])]
    en += wpt_en
    fr += wpt_fr
    _write(work / "train.en", en)
    _write(work / "train.fr", fr)
    _write(work / "wpt03.en", wpt_en)
    _write(work / "wpt03.fr", wpt_fr)
    valid = load_pairs("tatoeba-fra-eng", "valid", "en", "fr")
    _write(work / "valid.en", [normalise_en(s, en_tok) for s, _ in valid])
    _write(work / "valid.fr", [normalise_fr(t, fr_tok) for _, t in valid])
    print(f"training text: {len(en):,} pairs (the last {len(wpt_en)} are WPT03) in {work}")
    run_eflomal(work, iterations)


def run_eflomal(work: Path, iterations: int | None) -> None:
    """eflomal both ways on the training text, then the symmetrised guide files."""
    import eflomal

    started = time.perf_counter()
    with (
        open(work / "train.en", encoding="utf-8") as src,
        open(work / "train.fr", encoding="utf-8") as tgt,
    ):
        eflomal.Aligner(n_iterations=iterations).align(
            src,
            tgt,
            links_filename_fwd=str(work / "eflomal.fwd"),
            links_filename_rev=str(work / "eflomal.rev"),
        )
    seconds = time.perf_counter() - started
    fwd, rev = read_pharaoh(work / "eflomal.fwd"), read_pharaoh(work / "eflomal.rev")
    gdfa = [symmetrize(f, r, "grow-diag-final-and") for f, r in zip(fwd, rev, strict=True)]
    _write(work / "eflomal.gdfa", [format_links(links) for links in gdfa])
    _write(work / "eflomal.gdfa.fr-en", [format_links(reverse_links(links)) for links in gdfa])
    (work / "eflomal.json").write_text(json.dumps({"seconds": seconds}) + "\n")
    print(f"eflomal: {len(fwd):,} pairs aligned both ways in {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare", help="training text and eflomal alignments")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "wpt03")
    p.add_argument("--iterations", type=int, help="eflomal iterations (default: its own choice)")
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.work, args.iterations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
