"""Word alignment on the English-French WPT 2003 test set: attnseq's attention vs eflomal.

Three steps, each a subcommand (run from the repository root)::

    python3 benchmarks/alignment_wpt03.py prepare --work runs/wpt03
    python3 benchmarks/alignment_wpt03.py train --work runs/wpt03 --minutes 50
    python3 benchmarks/alignment_wpt03.py report --work runs/wpt03 \\
        --pair plain runs/wpt03/en-fr runs/wpt03/fr-en \\
        --pair guided runs/wpt03/en-fr-guided runs/wpt03/fr-en-guided \\
        --pair head runs/wpt03/en-fr-head runs/wpt03/fr-en-head \\
        --pair head-null runs/wpt03/en-fr-head-null runs/wpt03/fr-en-head-null

``prepare`` builds the training text and runs eflomal on it; ``train`` trains
the models (plain; guided by eflomal's links; guided through an alignment
head, ``model.alignment_head``; the same head taught NULL,
``train.guided_alignment_null``; each direction), two at a time by default,
all at once on a GPU (``--parallel 8 --device cuda``); ``report`` aligns the
447 gold pairs with every run and prints (and saves as JSON and Markdown) one
table of AER, precision and recall: each direction, the link-set
symmetrizations, and soft symmetrization at the default threshold and at
thresholds chosen on the other half of the pairs.

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
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# The project's machines have no internet: read the local mirror unless told otherwise.
os.environ.setdefault("ATTNSEQ_MIRROR", str(REPO.parent / "shared" / "datasets"))

from attnseq.alignment.aer import alignment_scores  # noqa: E402
from attnseq.alignment.extract import SOFT_THRESHOLD, soft_symmetrize, symmetrize  # noqa: E402
from attnseq.alignment.files import (  # noqa: E402
    format_links,
    read_gold,
    read_pharaoh,
    reverse_links,
)
from attnseq.data.corpora import load_pairs  # noqa: E402
from attnseq.data.readers import read_lines  # noqa: E402
from attnseq.data.registry import prepare as prepare_dataset  # noqa: E402

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
    for split in ("valid", "test"):
        pairs = load_pairs("tatoeba-fra-eng", split, "en", "fr")
        _write(work / f"{split}.en", [normalise_en(s, en_tok) for s, _ in pairs])
        _write(work / f"{split}.fr", [normalise_fr(t, fr_tok) for _, t in pairs])
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


# What each kind of model adds to the config's settings ({align}: eflomal's links).
VARIANTS = {
    "plain": [],
    "guided": ["data.train.align={align}", "train.guided_alignment_weight=0.5"],
    "head": [
        "data.train.align={align}",
        "train.guided_alignment_weight=0.5",
        "model.alignment_head=true",
    ],
    "head-null": [
        "data.train.align={align}",
        "train.guided_alignment_weight=0.5",
        "model.alignment_head=true",
        "train.guided_alignment_null=true",
    ],
}


def training_commands(
    work: Path,
    minutes: float,
    device: str | None,
    threads: int | None,
    variants: Sequence[str] = tuple(VARIANTS),
):
    """(run name, ``attnseq train`` command) for each kind of model, each direction."""
    runs = []
    for src, tgt in (("en", "fr"), ("fr", "en")):
        guide = work / ("eflomal.gdfa" if src == "en" else "eflomal.gdfa.fr-en")
        for variant in variants:
            name = f"{src}-{tgt}" if variant == "plain" else f"{src}-{tgt}-{variant}"
            if (work / name / "last.safetensors").is_file():  # stopped earlier: continue it
                runs.append(
                    (name, [sys.executable, "-m", "attnseq", "train", "--resume", str(work / name)])
                )
                continue
            sets = [
                f"train.max_minutes={minutes}",
                f"data.train={{src: {work / f'train.{src}'}, tgt: {work / f'train.{tgt}'}}}",
                f"data.valid={{src: {work / f'valid.{src}'}, tgt: {work / f'valid.{tgt}'}}}",
            ]
            sets += [item.format(align=guide) for item in VARIANTS[variant]]
            if device:
                sets.append(f"train.device={device}")
            if threads:
                sets.append(f"train.threads={threads}")
            cmd = [
                sys.executable,
                "-m",
                "attnseq",
                "train",
                str(REPO / f"configs/wpt03-{src}-{tgt}.yaml"),
            ]
            cmd += ["--out", str(work / name), "--quiet"] + [a for s in sets for a in ("--set", s)]
            runs.append((name, cmd))
    return runs


def train(
    work: Path,
    minutes: float,
    parallel: int,
    device: str | None,
    threads: int | None,
    variants: Sequence[str] = tuple(VARIANTS),
) -> None:
    """The trainings, ``parallel`` at a time; each log in WORK/NAME.log.

    A run that was stopped continues (``attnseq train --resume``) with its own
    settings and budget, so a killed ``train`` step picks up where it stopped.
    """
    if not (work / "eflomal.gdfa").is_file():
        raise SystemExit(f"{work / 'eflomal.gdfa'} is missing: run the prepare step first")
    queue = training_commands(work, minutes, device, threads, variants)
    running: list[tuple[str, subprocess.Popen]] = []
    failed = []
    while queue or running:
        while queue and len(running) < parallel:
            name, cmd = queue.pop(0)
            print(f"training {name} for {minutes:g} min (log: {work / f'{name}.log'})", flush=True)
            with open(work / f"{name}.log", "ab") as log:
                running.append((name, subprocess.Popen(cmd, stdout=log, stderr=log)))
        time.sleep(5)
        for name, child in list(running):
            if child.poll() is not None:
                running.remove((name, child))
                print(f"{name}: exit status {child.returncode}", flush=True)
                if child.returncode:
                    failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)} (see their logs in {work})")


def _scores(hyps, gold) -> dict:
    scores = alignment_scores(hyps, gold)
    return {"aer": scores.aer, "precision": scores.precision, "recall": scores.recall}


def eflomal_rows(work: Path, gold) -> list[dict]:
    n = len(gold)
    fwd = read_pharaoh(work / "eflomal.fwd")[-n:]
    rev = read_pharaoh(work / "eflomal.rev")[-n:]
    rows = [
        {"system": "eflomal", "direction": "en-fr", **_scores(fwd, gold)},
        {"system": "eflomal", "direction": "fr-en", **_scores(rev, gold)},
    ]
    for heuristic in HEURISTICS:
        links = [symmetrize(f, r, heuristic) for f, r in zip(fwd, rev, strict=True)]
        rows.append({"system": "eflomal", "direction": heuristic, **_scores(links, gold)})
    return rows


def _align(run: str, src: str, tgt: str, position: str) -> tuple[list, list]:
    """One direction's links on the WPT03 text, and its word-level attention
    (run in a worker process)."""
    from attnseq.api.aligner import Aligner

    aligner = Aligner.load(run, lowercase=True, position=position)
    pairs = aligner.attention(read_lines(Path(src)), read_lines(Path(tgt)))
    return [aligner.links(pair) for pair in pairs], [pair.words for pair in pairs]


def _positions(run: str, positions: Sequence[str]) -> list[str]:
    """The positions to read a run at: a run with an alignment head first at the head,
    then at the others, to compare the head with the same run's decoder attention."""
    import yaml

    cfg = yaml.safe_load((Path(run) / "config.yaml").read_text(encoding="utf-8"))
    head = bool((cfg.get("model") or {}).get("alignment_head"))
    return list(dict.fromkeys(["head", *positions] if head else positions))


def attention_rows(name: str, position: str, fwd: list, rev: list | None, gold) -> list[dict]:
    system = f"attention, {name} ({position})"
    rows = [{"system": system, "direction": "en-fr", **_scores(fwd, gold)}]
    if rev is not None:
        rev = [reverse_links(links) for links in rev]
        rows.append({"system": system, "direction": "fr-en", **_scores(rev, gold)})
        for heuristic in HEURISTICS:
            links = [symmetrize(f, r, heuristic) for f, r in zip(fwd, rev, strict=True)]
            rows.append({"system": system, "direction": heuristic, **_scores(links, gold)})
    return rows


SOFT_GRID = tuple(round(0.2 + 0.05 * k, 2) for k in range(9))  # 0.2 to 0.6


def soft_rows(name: str, position: str, fwd_words: list, rev_words: list, gold) -> list[dict]:
    """Soft symmetrization at the default threshold, and at thresholds chosen without
    the gold they are scored on: each half of the pairs (even lines, odd lines) is
    aligned at the grid's threshold that scores best on the other half."""

    def links(threshold: float, lines: Sequence[int]) -> list:
        return [soft_symmetrize(fwd_words[k], rev_words[k], threshold) for k in lines]

    def aer(threshold: float, lines: Sequence[int]) -> float:
        return alignment_scores(links(threshold, lines), [gold[k] for k in lines]).aer

    n = len(gold)
    even, odd = range(0, n, 2), range(1, n, 2)
    hyps: list = [None] * n
    chosen = []
    for half, other in ((even, odd), (odd, even)):
        best = min(SOFT_GRID, key=lambda threshold: aer(threshold, other))
        chosen.append(best)
        for k, line_links in zip(half, links(best, half), strict=True):
            hyps[k] = line_links
    system = f"attention, {name} ({position})"
    return [
        {
            "system": system,
            "direction": f"soft, threshold {SOFT_THRESHOLD:g}",
            **_scores(links(SOFT_THRESHOLD, range(n)), gold),
        },
        {
            "system": system,
            "direction": f"soft, threshold {chosen[0]:g} / {chosen[1]:g} from the other half",
            **_scores(hyps, gold),
            "thresholds": chosen,
        },
    ]


def bleu_row(name: str, run: Path, work: Path, src: str, tgt: str, limit: int | None) -> dict:
    """BLEU of a run on the Tatoeba test split, normalised as the training text."""
    from attnseq.api.translator import load
    from attnseq.evaluation.metrics import bleu

    sources = read_lines(work / f"test.{src}")[:limit]
    refs = read_lines(work / f"test.{tgt}")[:limit]
    started = time.perf_counter()
    hyps = [t.text for t in load(run).translate(sources, beam=5)]
    meta = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    return {
        "run": name,
        "direction": f"{src}-{tgt}",
        "bleu": bleu(hyps, refs).score,
        "sentences": len(sources),
        "steps": meta["step"],
        "train_minutes": meta["train_seconds"] / 60,
        "seconds": time.perf_counter() - started,
    }


HEURISTICS = ("intersect", "grow-diag", "grow-diag-final-and")


def markdown(rows: list[dict], bleu_rows: list[dict]) -> str:
    lines = [
        "| system | direction | AER % | precision % | recall % |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['direction']} | {100 * r['aer']:.1f} | "
            f"{100 * r['precision']:.1f} | {100 * r['recall']:.1f} |"
        )
    if bleu_rows:
        lines += [
            "",
            "| run | direction | steps | training min | BLEU (Tatoeba test, beam 5) |",
            "| --- | --- | --- | --- | --- |",
        ]
        for b in bleu_rows:
            lines.append(
                f"| {b['run']} | {b['direction']} | {b['steps']:,} | {b['train_minutes']:.0f} | {b['bleu']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def report(
    work: Path, pairs: list[list[str]], positions: list[str], bleu_limit: int | None
) -> None:
    """Every alignment and translation job in its own process: the CPU is shared."""
    from concurrent.futures import ProcessPoolExecutor

    gold = read_gold(wpt_files()["gold"])
    en, fr = str(work / "wpt03.en"), str(work / "wpt03.fr")
    started = time.perf_counter()
    read_at = {name: _positions(forward, positions) for name, forward, _ in pairs}
    with ProcessPoolExecutor(max_workers=sum(2 * len(p) + 2 for p in read_at.values())) as pool:
        jobs = {}
        for name, forward, backward in pairs:
            for position in read_at[name]:
                jobs[name, position, "fwd"] = pool.submit(_align, forward, en, fr, position)
                jobs[name, position, "rev"] = pool.submit(_align, backward, fr, en, position)
            jobs[name, "bleu", "fwd"] = pool.submit(
                bleu_row, name, Path(forward), work, "en", "fr", bleu_limit
            )
            jobs[name, "bleu", "rev"] = pool.submit(
                bleu_row, name, Path(backward), work, "fr", "en", bleu_limit
            )
        rows = eflomal_rows(work, gold)
        for name, _, _ in pairs:
            for position in read_at[name]:
                (fwd, fwd_words), (rev, rev_words) = (
                    jobs[name, position, "fwd"].result(),
                    jobs[name, position, "rev"].result(),
                )
                rows += attention_rows(name, position, fwd, rev, gold)
                rows += soft_rows(name, position, fwd_words, rev_words, gold)
        bleu_rows = [
            jobs[name, "bleu", side].result() for name, _, _ in pairs for side in ("fwd", "rev")
        ]
    table = markdown(rows, bleu_rows)
    print(table)
    print(f"report made in {time.perf_counter() - started:.0f} s")
    (work / "report.md").write_text(table, encoding="utf-8")
    (work / "report.json").write_text(json.dumps({"aer": rows, "bleu": bleu_rows}, indent=1) + "\n")
    print(f"written: {work / 'report.md'}, {work / 'report.json'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare", help="training text and eflomal alignments")
    p.add_argument("--work", type=Path, default=REPO / "runs" / "wpt03")
    p.add_argument("--iterations", type=int, help="eflomal iterations (default: its own choice)")
    t = sub.add_parser("train", help="the plain, guided and head models, both directions")
    t.add_argument("--work", type=Path, default=REPO / "runs" / "wpt03")
    t.add_argument("--minutes", type=float, default=50.0, help="training budget of each run")
    t.add_argument("--parallel", type=int, default=2, help="trainings at once")
    t.add_argument("--device", help="e.g. cuda (default: the configs', the CPU)")
    t.add_argument("--threads", type=int, help="threads of each training (configs: 1)")
    t.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS),
        help="plain, guided by eflomal's links, and guided through an alignment head",
    )
    r = sub.add_parser("report", help="AER of eflomal and of the attention of trained runs")
    r.add_argument("--work", type=Path, default=REPO / "runs" / "wpt03")
    r.add_argument(
        "--pair",
        nargs=3,
        action="append",
        default=[],
        metavar=("NAME", "EN_FR_RUN", "FR_EN_RUN"),
        help="a name and the two run folders of one kind of model",
    )
    r.add_argument("--positions", nargs="+", default=["predict", "read"])
    r.add_argument("--bleu-sentences", type=int, help="translate only this many test sentences")
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.work, args.iterations)
    elif args.step == "train":
        train(args.work, args.minutes, args.parallel, args.device, args.threads, args.variants)
    else:
        report(args.work, args.pair, args.positions, args.bleu_sentences)
    return 0


if __name__ == "__main__":
    sys.exit(main())
