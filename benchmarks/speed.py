"""Speed benchmark: attnseq against JoeyNMT 2.3.0 and OpenNMT-py 3.5.1 on rnn-base.

One command builds the peers' virtual environments (once, under ``.bench/``),
prepares the data copies, trains every toolkit for the same wall-clock budget
(interleaved: attnseq, JoeyNMT, OpenNMT-py, then again), translates
Multi30k test_2016_flickr with beam 5 and greedy, scores BLEU, measures the
matmul peak of this CPU in the same run, and writes a table as JSON and
Markdown. Every comparison is a ratio measured in this one run::

    python3 benchmarks/speed.py --out benchmarks/results/            # the full run (hours)
    python3 benchmarks/speed.py --quick --out /tmp/speed-quick/        # end to end in minutes

The full run takes hours. ``--stop-after-minutes M`` starts no training run
that could not end within M minutes, and ``--resume`` continues the run
recorded in ``OUT/speed.json`` where it stopped (or was killed): finished
runs are kept, an unfinished one is redone from scratch, systems added to
``--systems`` or ``--attnseq-variant`` run in their place, and the matmul peak
is measured again in every part, so each part shows the machine it ran on.
``--redo SYSTEM:N`` with ``--resume`` makes a recorded run again (one that
other load on the machine disturbed), and the table says so.

See docs/speed.md for the model, the FLOP count and how each figure is taken.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # attnseq from this checkout
sys.path.insert(0, str(Path(__file__).resolve().parent))

from speedbench import data as bench_data  # noqa: E402
from speedbench.attnseq_kit import Attnseq  # noqa: E402
from speedbench.envs import ensure_env, python_of  # noqa: E402
from speedbench.flops import Shape, matmul_peak, per_token  # noqa: E402
from speedbench.joeynmt_kit import JoeyNMT  # noqa: E402
from speedbench.opennmt_kit import OpenNMT  # noqa: E402
from speedbench.report import write_report  # noqa: E402
from speedbench.toolkit import Toolkit, TrainSpec  # noqa: E402

SYSTEMS = ("attnseq", "joeynmt-xavier", "joeynmt-uniform", "opennmt")
SCALING_SIZES = (1_000, 10_000, 29_000, 142_000)


def machine() -> dict:
    model = "unknown"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    import torch

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "python": platform.python_version(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_average_at_start": os.getloadavg(),
    }


def build_toolkits(
    names: list[str], cache: Path, mirror: str, variants: list[str]
) -> list[Toolkit]:
    kits: list[Toolkit] = []
    for name in names:
        if name == "attnseq":
            kits.append(Attnseq(Path(sys.executable), mirror))
        elif name.startswith("joeynmt-"):
            kits.append(
                JoeyNMT(python_of(ensure_env("joeynmt", cache / "venvs")), name.split("-", 1)[1])
            )
        elif name == "opennmt":
            kits.append(OpenNMT(python_of(ensure_env("opennmt", cache / "venvs"))))
        else:
            raise SystemExit(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}")
    for variant in variants:  # e.g. "attnseq-bf16:train.precision=bf16"
        label, _, sets = variant.partition(":")
        kits.insert(
            1, Attnseq(Path(sys.executable), mirror, sets.split(";") if sets else [], label)
        )
    return kits


def bleu(hyps: list[str], refs: list[str]) -> float:
    """Lowercased BLEU of the tokenized files (``force``: tokenized on purpose)."""
    import sacrebleu

    return sacrebleu.corpus_bleu(hyps, [refs], tokenize="none", lowercase=True, force=True).score


def translate_all(
    kit: Toolkit, run, spec: TrainSpec, corpus, work: Path, limit: int | None
) -> dict:
    """Start-up (one sentence), greedy and beam-5 decoding of the test set, with BLEU."""
    refs = corpus.file("test_2016_flickr", "tgt").read_text(encoding="utf-8").splitlines()
    src = corpus.file("test_2016_flickr", "src")
    if limit is not None and limit < len(refs):  # --quick: a slice of the test set
        refs = refs[:limit]
        src = work / f"test-{limit}.en"
        lines = corpus.file("test_2016_flickr", "src").read_text(encoding="utf-8").splitlines()
        src.write_text("".join(line + "\n" for line in lines[:limit]), encoding="utf-8")
    one = work / "one-sentence.en"
    one.write_text(src.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    out: dict = {}
    _, startup = kit.translate(run, spec, one, 1, work)
    out["startup_s"] = startup.wall_s
    for beam in (1, 5):
        hyps, child = kit.translate(run, spec, src, beam, work)
        net = child.wall_s - startup.wall_s  # not positive only for a handful of sentences
        out[f"beam{beam}"] = {
            "wall_s": child.wall_s,
            "sent_per_s": len(refs) / net if child.returncode == 0 and net > 0 else None,
            "sent_per_s_with_startup": len(refs) / child.wall_s,
            "max_rss_mb": child.max_rss_mb,
            "tree_rss_mb": child.tree_rss_mb,
            "returncode": child.returncode,
            "lines": len(hyps),
            "bleu": bleu(hyps, refs) if len(hyps) == len(refs) else None,
        }
    return out


def length_curve(
    kit: Toolkit, run, spec: TrainSpec, corpus, work: Path, startup: float, limit: int | None
) -> list:
    """Beam-5 milliseconds per sentence for groups of test sentences by source length."""
    rows = []
    for group in bench_data.length_buckets(corpus, limit):
        hyps, child = kit.translate(run, spec, Path(group["path"]), 5, work)
        net = max(child.wall_s - startup, 1e-6)
        rows.append(
            {
                **group,
                "ms_per_sentence": 1000 * net / group["sentences"],
                "ok": child.returncode == 0,
            }
        )
    return rows


def save(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "speed.json.tmp"
    tmp.write_text(json.dumps(results, indent=1, default=str))
    tmp.replace(out / "speed.json")


# Settings that must match for --resume to continue a recorded run.
RESUME_KEYS = (
    "budget_s",
    "threads",
    "runs",
    "valid_every",
    "systems",
    "variants",
    "quick",
    "test_sentences",
    "scaling",
    "scaling_sizes",
    "int8",
    "length_curve",
)


def resumed(out: Path, settings: dict) -> dict:
    """The recorded results of the run that ``--resume`` continues, checked against ours."""
    path = out / "speed.json"
    if not path.is_file():
        raise SystemExit(f"--resume: {path} does not exist; start the run without --resume")
    results = json.loads(path.read_text())
    old = results.get("settings", {})
    for key in ("systems", "variants"):  # systems may be added; they run in their place
        if set(old.get(key, [])) <= set(settings[key]):
            old[key] = settings[key]
    for key in RESUME_KEYS:
        if old.get(key) != settings[key]:
            raise SystemExit(
                f"--resume: {path} was run with {key}={old.get(key)!r}, this command has "
                f"{settings[key]!r}; give the same options or start afresh in another --out"
            )
    return results


def forget_runs(results: dict, redo: list[str], runs: int) -> list[str]:
    """Drop the recorded runs named ``SYSTEM:N`` (N as printed, from 1) so that this
    part makes them again: a run that other load on the machine disturbed is redone,
    not kept. attnseq's int8 decoding is part of attnseq's run and goes with it."""
    systems = set(results["settings"]["systems"]) | {
        v.split(":", 1)[0] for v in results["settings"]["variants"]
    }
    dropped = []
    for item in redo:
        name, _, number = item.rpartition(":")
        if name not in systems or not number.isdigit() or not 1 <= int(number) <= runs:
            raise SystemExit(
                f"--redo {item}: give SYSTEM:N with SYSTEM one of {sorted(systems)} "
                f"and N from 1 to {runs}"
            )
        names = {name, f"{name}-int8"} if name == "attnseq" else {name}
        r = int(number) - 1
        kept = [e for e in results["runs"] if not (e["system"] in names and e["run"] == r)]
        if len(kept) == len(results["runs"]):
            raise SystemExit(f"--redo {item}: {name}'s run {number} is not recorded yet")
        results["runs"] = kept
        dropped.append(item)
    return dropped


def fresh(paths: list[Path]) -> None:
    """Remove what an unfinished earlier attempt left, so attnseq does not resume it."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def train_and_translate(
    kit: Toolkit,
    r: int,
    budget: float,
    valid_every: int,
    valid_sentences: int | None,
    corpus,
    root: Path,
    args,
    say,
) -> list[dict]:
    """Run ``r`` of one system: train for the budget, translate, and the int8 variant."""
    out = root / f"{kit.name}-run{r}"
    work = out.parent / f"{out.name}-translate"
    fresh([out, out.parent / f"{out.name}.log", work, out.parent / f"{out.name}-translate-int8"])
    spec = TrainSpec(corpus, out, budget, valid_every, seed=1 + r, valid_sentences=valid_sentences)
    say(f"run {r + 1}: training {kit.name} for {budget / 60:g} min")
    trained = kit.train(spec)
    entry = {
        "system": kit.name,
        "run": r,
        "train": {
            "tokens_per_s": trained.tokens_per_s,
            "windows": trained.windows,
            "steps": trained.steps,
            "params": trained.params,
            "wall_s": trained.child.wall_s,
            "max_rss_mb": trained.child.max_rss_mb,
            "tree_rss_mb": trained.child.tree_rss_mb,
            "returncode": trained.child.returncode,
            "stopped_by_budget": trained.child.stopped_by_budget,
            "checkpoint": str(trained.checkpoint),
        },
    }
    say(
        f"  {kit.name}: {trained.tokens_per_s or 0:,.0f} tok/s, {trained.steps} steps, "
        f"peak RSS {trained.child.max_rss_mb:,.0f} MB"
    )
    if trained.checkpoint is None or not trained.checkpoint.exists():
        say(f"  {kit.name}: no checkpoint to translate (see {out.parent / (out.name + '.log')})")
        return [entry]
    work.mkdir(parents=True, exist_ok=True)
    entry["translate"] = t = translate_all(kit, trained, spec, corpus, work, args.test_sentences)
    say(
        f"  {kit.name}: beam 5 {t['beam5']['sent_per_s'] or 0:.1f} sent/s, "
        f"greedy {t['beam1']['sent_per_s'] or 0:.1f} sent/s, BLEU {t['beam5']['bleu']}"
    )
    if r == 0 and not args.no_length_curve:
        entry["length_curve"] = length_curve(
            kit, trained, spec, corpus, work, t["startup_s"], args.test_sentences
        )
    entries = [entry]
    if kit.name == "attnseq" and not args.no_int8:
        # The same trained model, decoded with int8 dynamic quantization.
        int8 = Attnseq(
            kit.python, args.mirror, label="attnseq-int8", translate_args=["--quantize", "int8"]
        )
        work = out.parent / f"{out.name}-translate-int8"
        work.mkdir(parents=True, exist_ok=True)
        t = translate_all(int8, trained, spec, corpus, work, args.test_sentences)
        entries.append({"system": int8.name, "run": r, "train": {}, "translate": t})
        say(
            f"  attnseq-int8: beam 5 {t['beam5']['sent_per_s'] or 0:.1f} sent/s, BLEU {t['beam5']['bleu']}"
        )
    return entries


def scaling_corpus(size: int, corpus, cache: Path, mirror: str):
    """Tatoeba for the largest size, Multi30k itself at its own size, else a subset of it."""
    if size >= 100_000:
        return bench_data.tatoeba(cache / "data", mirror)
    if size >= corpus.info["train_pairs"]:
        return corpus
    return bench_data.subset(cache / "data", corpus, size)


def one_epoch(
    kit: Toolkit, sub, size: int, root: Path, valid_every: int, deadline: float
) -> dict | None:
    """Seconds for one training epoch; None when the deadline cut it short."""
    out = root / f"scaling-{kit.name}-{size}"
    fresh([out, out.parent / f"{out.name}.log"])
    left = deadline - time.time()
    spec = TrainSpec(
        sub, out, None if left == float("inf") else left, valid_every, epochs=1, validate=False
    )
    trained = kit.train(spec)
    if trained.child.stopped_by_budget:
        return None
    return {
        "system": kit.name,
        "size": size,
        "pairs": sub.info["train_pairs"],
        "corpus": sub.folder.name,
        "epoch_s": trained.epoch_s,
        "first_step_s": trained.first_step_s,
        "wall_s": trained.child.wall_s,
        "returncode": trained.child.returncode,
        "max_rss_mb": trained.child.max_rss_mb,
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="a short end-to-end check: 3-minute budget, one run, small scaling",
    )
    ap.add_argument(
        "--budget-minutes",
        type=float,
        help="wall-clock training budget per run (default 20; quick 3)",
    )
    ap.add_argument("--runs", type=int, help="runs per system, interleaved (default 2; quick 1)")
    ap.add_argument(
        "--out",
        type=Path,
        default=REPO / "benchmarks" / "results",
        help="where speed.json and speed.md go",
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=REPO / ".bench",
        help="virtual environments, data copies, run folders",
    )
    ap.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated (default {','.join(SYSTEMS)})",
    )
    ap.add_argument(
        "--attnseq-variant",
        action="append",
        default=[],
        metavar="LABEL:KEY=VALUE[;KEY=VALUE]",
        help="an extra attnseq system with config overrides, e.g. attnseq-bf16:train.precision=bf16",
    )
    ap.add_argument(
        "--valid-every",
        type=int,
        help="validation/checkpoint interval in steps (default 500; quick 5, on 100 dev sentences)",
    )
    ap.add_argument(
        "--scaling",
        default="attnseq,joeynmt-xavier,opennmt",
        help="systems for seconds-per-epoch: all, none, or a list (default: one JoeyNMT, "
        "since its initialisation does not change its speed)",
    )
    ap.add_argument(
        "--scaling-sizes",
        help="comma-separated training pairs (default 1000,10000,29000,142000; quick 1000)",
    )
    ap.add_argument(
        "--threads",
        type=int,
        help="OMP/MKL threads for every toolkit alike (default: torch's, one per core; quick 1, "
        "which a shared machine needs)",
    )
    ap.add_argument(
        "--no-int8", action="store_true", help="skip decoding attnseq's model with --quantize int8"
    )
    ap.add_argument(
        "--test-sentences",
        type=int,
        help="translate only the first N test sentences (default all 1,000; quick 200)",
    )
    ap.add_argument(
        "--no-length-curve", action="store_true", help="skip decoding time against sentence length"
    )
    ap.add_argument(
        "--mirror",
        default=os.environ.get("ATTNSEQ_MIRROR", str(REPO.parent / "shared" / "datasets")),
    )
    ap.add_argument(
        "--resume",
        action="store_true",
        help="continue the run recorded in OUT/speed.json (same options) where it stopped",
    )
    ap.add_argument(
        "--redo",
        action="append",
        default=[],
        metavar="SYSTEM:N",
        help="with --resume: make run N (from 1) of SYSTEM again, e.g. one that other "
        "load disturbed; may be repeated",
    )
    ap.add_argument(
        "--stop-after-minutes",
        type=float,
        help="start no training run that could not end within this many minutes; "
        "--resume continues later",
    )
    args = ap.parse_args()
    budget = 60 * (args.budget_minutes or (3.0 if args.quick else 20.0))
    runs = args.runs or (1 if args.quick else 2)
    valid_every = args.valid_every or (5 if args.quick else 500)
    valid_sentences = 100 if args.quick else None
    sizes = [
        int(s)
        for s in (
            args.scaling_sizes or ("1000" if args.quick else ",".join(map(str, SCALING_SIZES)))
        ).split(",")
    ]
    names = [s for s in args.systems.split(",") if s]
    if args.test_sentences is None and args.quick:
        args.test_sentences = 200
    os.environ["ATTNSEQ_MIRROR"] = args.mirror
    threads = args.threads or (1 if args.quick else None)
    if threads:  # inherited by every toolkit's processes
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
        import torch

        torch.set_num_threads(threads)
    cache = args.cache.resolve()
    started = time.time()

    def say(message: str) -> None:
        print(f"[{time.time() - started:7.0f}s] {message}", flush=True)

    settings = {
        "budget_s": budget,
        "threads": threads,
        "runs": runs,
        "valid_every": valid_every,
        "systems": names,
        "variants": args.attnseq_variant,
        "quick": args.quick,
        "test_sentences": args.test_sentences,
        "scaling": args.scaling,
        "scaling_sizes": sizes,
        "int8": not args.no_int8,
        "length_curve": not args.no_length_curve,
        "command": " ".join(sys.argv),
        "root": str(cache / "runs" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")),
    }
    if args.redo and not args.resume:
        raise SystemExit("--redo: redoes runs of a recorded run; add --resume")
    if args.resume:
        results = resumed(args.out, settings)
        say(f"resuming the run of {results['machine']['date']} in {args.out}")
        redone = forget_runs(results, args.redo, runs)
        if redone:
            say(f"redoing {', '.join(redone)}")
    else:
        results = {"machine": machine(), "settings": settings, "runs": [], "scaling": []}
        results["peak_gflops"] = {"fp32": [], "bf16": []}
    root = Path(results["settings"]["root"])
    part = {"machine": machine(), "command": " ".join(sys.argv), "peak_gflops": {}}
    if args.resume and args.redo:
        part["redone"] = args.redo
    results.setdefault("parts", []).append(part)
    say(
        f"machine: {part['machine']['cpu']}, {part['machine']['cores']} cores, torch {part['machine']['torch']}"
    )
    for d in ("fp32", "bf16"):
        part["peak_gflops"][d] = matmul_peak(d)
        results["peak_gflops"][d].append(part["peak_gflops"][d])
    say(
        f"matmul peak: fp32 {part['peak_gflops']['fp32']:.0f}, bf16 {part['peak_gflops']['bf16']:.0f} GFLOP/s"
    )

    corpus = bench_data.multi30k(cache / "data", args.mirror)
    info = corpus.info
    shape = Shape(src_vocab=info["src_vocab"] + 4, tgt_vocab=info["tgt_vocab"] + 4)
    results["data"] = {k: v for k, v in info.items() if k != "lengths"}
    results["flops"] = per_token(shape, info["lengths"])
    say(
        f"data: {info['train_pairs']:,} training pairs, vocab {shape.src_vocab:,}/{shape.tgt_vocab:,}; "
        f"{results['flops']['train_flops_per_token'] / 1e6:.1f} MFLOP per target token in training"
    )
    kits = build_toolkits(names, cache, args.mirror, args.attnseq_variant)
    deadline = started + 60 * args.stop_after_minutes if args.stop_after_minutes else float("inf")
    stopped = False

    done = {(entry["system"], entry["run"]) for entry in results["runs"]}
    for r in range(runs):
        for kit in kits:
            if (kit.name, r) in done:
                continue
            # training, then translation (and the length curve once): a generous bound
            need = budget + 600 + (900 if r == 0 and not args.no_length_curve else 0)
            if time.time() + need > deadline:
                stopped = True
                break
            results["runs"] += train_and_translate(
                kit, r, budget, valid_every, valid_sentences, corpus, root, args, say
            )
            save(results, args.out)
        if stopped:
            break

    scaling_names = {"all": [k.name for k in kits], "none": []}.get(
        args.scaling, args.scaling.split(",")
    )
    if scaling_names and not stopped:
        epochs_done = {(row["system"], row["size"]) for row in results["scaling"]}
        for size in sizes:
            sub = scaling_corpus(size, corpus, cache, args.mirror)
            for kit in [k for k in kits if k.name in scaling_names]:
                if (kit.name, size) in epochs_done:
                    continue
                say(f"scaling: one epoch of {sub.info['train_pairs']:,} pairs with {kit.name}")
                row = one_epoch(kit, sub, size, root, valid_every, deadline)
                if row is None:  # cut short by --stop-after-minutes: redone on --resume
                    stopped = True
                    break
                results["scaling"].append(row)
                save(results, args.out)
            if stopped:
                break

    for d in ("fp32", "bf16"):
        part["peak_gflops"][f"{d}_end"] = matmul_peak(d)
        results["peak_gflops"][d].append(part["peak_gflops"][f"{d}_end"])
    part["load_average_at_end"] = os.getloadavg()
    part["total_s"] = time.time() - started
    results["complete"] = not stopped
    save(results, args.out)
    print(write_report(results, args.out))
    if stopped:
        again = sys.argv + ([] if args.resume else ["--resume"])
        say(f"stopped before the deadline; continue with: {' '.join(again)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
