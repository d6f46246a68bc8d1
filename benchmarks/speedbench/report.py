"""The benchmark's table: medians with their spread, ratios against attnseq, share of the peak."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path


def _values(runs: list[dict], system: str, get: Callable[[dict], float | None]) -> list[float]:
    out = []
    for entry in runs:
        if entry["system"] != system:
            continue
        try:
            value = get(entry)
        except (KeyError, TypeError):
            value = None
        if value is not None:
            out.append(float(value))
    return out


def _fmt(values: list[float], digits: int = 0) -> str:
    """Median, and the range when there are several runs."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:,.{digits}f}"
    return f"{med:,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def summarise(results: dict) -> dict:
    runs = results.get("runs", [])
    systems = list(dict.fromkeys(entry["system"] for entry in runs))
    flops = results["flops"]["train_flops_per_token"]
    peak = {d: max(v) for d, v in results["peak_gflops"].items()}
    getters: dict[str, Callable[[dict], float | None]] = {
        "train_tok_s": lambda e: e["train"]["tokens_per_s"],
        "beam5_sent_s": lambda e: e["translate"]["beam5"]["sent_per_s"],
        "greedy_sent_s": lambda e: e["translate"]["beam1"]["sent_per_s"],
        "bleu_beam5": lambda e: e["translate"]["beam5"]["bleu"],
        "bleu_greedy": lambda e: e["translate"]["beam1"]["bleu"],
        "steps": lambda e: e["train"]["steps"],
        "train_rss_mb": lambda e: e["train"]["max_rss_mb"],
        "translate_rss_mb": lambda e: e["translate"]["beam5"]["max_rss_mb"],
        "params": lambda e: e["train"]["params"],
    }
    summary: dict = {}
    for system in systems:
        row = {name: _values(runs, system, get) for name, get in getters.items()}
        row["train_gflops"] = [t * flops / 1e9 for t in row["train_tok_s"]]
        for d in ("fp32", "bf16"):
            row[f"pct_{d}_peak"] = [100 * g / peak[d] for g in row["train_gflops"]]
        summary[system] = row
    base = summary.get("attnseq")
    if base:
        for row in summary.values():
            for key in ("train_tok_s", "beam5_sent_s", "greedy_sent_s"):
                if row[key] and base[key]:
                    row[f"{key}_ratio"] = [
                        statistics.median(base[key]) / statistics.median(row[key])
                    ]
    return summary


def markdown(results: dict) -> str:
    summary = summarise(results)
    m, s = results["machine"], results["settings"]
    flops = results["flops"]
    peak = {d: max(v) for d, v in results["peak_gflops"].items()}
    end = (results.get("parts") or [{}])[-1].get("load_average_at_end")
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, torch {m['torch']} ({m['cpu_capability']}); "
        f"{m['date']}; load average at start {m['load_average_at_start'][0]:.1f}"
        + (f", at end {end[0]:.1f}" if end else ""),
        f"Budget {s['budget_s'] / 60:g} min wall-clock per training run, {s['runs']} run(s) per "
        f"system, interleaved, {s.get('threads') or 'default'} thread(s); median (min-max). "
        f"Command: `{s['command']}`",
        f"Matmul peak in this run: fp32 {peak['fp32']:.0f} GFLOP/s, bf16 {peak['bf16']:.0f} "
        f"GFLOP/s; rnn-base training costs {flops['train_flops_per_token'] / 1e6:.1f} MFLOP per "
        "target token (docs/speed.md).",
    ]
    parts = results.get("parts", [])
    if len(parts) > 1:  # --resume: say when each part ran and what the machine gave then
        lines.append(
            f"Run in {len(parts)} parts (--resume): "
            + "; ".join(
                f"{p['machine']['date']}, load {p['machine']['load_average_at_start'][0]:.1f}, "
                f"fp32 peak {p['peak_gflops']['fp32']:.0f} GFLOP/s"
                + (f", redid {', '.join(p['redone'])}" if p.get("redone") else "")
                for p in parts
            )
        )
    if not results.get("complete", True):
        lines.append("**Partial**: the run stopped early; `--resume` continues it.")
    lines += [
        "",
        "| system | train tok/s | attnseq x | beam-5 sent/s | attnseq x | greedy sent/s "
        "| BLEU beam 5 | BLEU greedy | steps | train RSS MB | translate RSS MB | params "
        "| GFLOP/s | % fp32 peak | % bf16 peak |",
        "|---" * 15 + "|",
    ]
    for system, row in summary.items():

        def ratio(key: str, row: dict = row) -> str:
            return _fmt(row.get(f"{key}_ratio", []), 2)

        lines.append(
            f"| {system} | {_fmt(row['train_tok_s'])} | {ratio('train_tok_s')} "
            f"| {_fmt(row['beam5_sent_s'], 1)} | {ratio('beam5_sent_s')} "
            f"| {_fmt(row['greedy_sent_s'], 1)} | {_fmt(row['bleu_beam5'], 2)} "
            f"| {_fmt(row['bleu_greedy'], 2)} | {_fmt(row['steps'])} | {_fmt(row['train_rss_mb'])} "
            f"| {_fmt(row['translate_rss_mb'])} | {_fmt(row['params'])} "
            f"| {_fmt(row['train_gflops'], 1)} | {_fmt(row['pct_fp32_peak'], 1)} "
            f"| {_fmt(row['pct_bf16_peak'], 1)} |"
        )
    curves = [e for e in results.get("runs", []) if e.get("length_curve")]
    if curves:
        labels = [g["label"] for g in curves[0]["length_curve"]]
        lines += [
            "",
            "Beam-5 decoding, milliseconds per sentence by source length (words):",
            "",
            "| system | " + " | ".join(labels) + " |",
            "|---" * (len(labels) + 1) + "|",
        ]
        for entry in curves:
            cells = [f"{g['ms_per_sentence']:.0f}" for g in entry["length_curve"]]
            lines.append(f"| {entry['system']} | " + " | ".join(cells) + " |")
    scaling = results.get("scaling", [])
    if scaling:
        sizes = sorted({row["pairs"] for row in scaling})
        lines += [
            "",
            "Seconds for one training epoch (process wall time, start-up included) "
            "by training pairs:",
            "",
            "| system | " + " | ".join(f"{n:,}" for n in sizes) + " |",
            "|---" * (len(sizes) + 1) + "|",
        ]
        for system in dict.fromkeys(row["system"] for row in scaling):
            cells = []
            for n in sizes:
                found = [r for r in scaling if r["system"] == system and r["pairs"] == n]
                ok = found and found[0]["returncode"] == 0 and found[0]["epoch_s"]
                cells.append(f"{found[0]['epoch_s']:.0f}" if ok else "n/a")
            lines.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(results: dict, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    results["summary"] = summarise(results)
    (out / "speed.json").write_text(json.dumps(results, indent=1, default=str))
    text = markdown(results)
    (out / "speed.md").write_text(text)
    return text
