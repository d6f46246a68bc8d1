#!/usr/bin/env python3
"""Evaluate chat runs under three decodings and print one markdown table.

Usage (from the repository root, the data mirror in $ATTNSEQ_MIRROR):

    scripts/chat_report.py runs/chat-dailydialog runs/chat-dailydialog-noattn \
        --data dailydialog:test

Each cell comes from ``attnseq evaluate RUN --data ... --json``, so every
number can be reproduced with that one command; the decodings are plain
beam search, beam search with trigram blocking (alone and with the
MMI-antiLM penalty of the chat default), and nucleus sampling.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

DECODINGS = {
    "beam 5": ["--beam", "5", "--no-repeat-ngram", "0"],
    "beam 5 + no-repeat-3gram": ["--beam", "5", "--no-repeat-ngram", "3"],
    "beam 5 + no-repeat-3gram + anti-LM 0.7": [
        *("--beam", "5", "--no-repeat-ngram", "3", "--anti-lm", "0.7"),
    ],
    "sampling top-p 0.9": ["--sample", "--top-p", "0.9", "--seed", "1", "--no-repeat-ngram", "0"],
}
COLUMNS = [
    ("perplexity", "ppl", "{:.2f}"),
    ("BLEU", "BLEU", "{:.2f}"),
    ("distinct_1", "distinct-1", "{:.4f}"),
    ("distinct_2", "distinct-2", "{:.4f}"),
    ("avg_length", "avg len", "{:.1f}"),
    ("generic_share", "generic share", "{:.3f}"),
    ("repeat_3gram_share", "repeats a 3-gram", "{:.3f}"),
]


def evaluate(run: str, data: str, flags: list[str], out: Path) -> dict:
    command = [sys.executable, "-m", "attnseq", "evaluate", run, "--data", data, "--json", str(out)]
    print("$ attnseq " + " ".join(command[3:-2] + flags), file=sys.stderr, flush=True)
    subprocess.run([*command, *flags], check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text(encoding="utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="chat run folders")
    parser.add_argument("--data", default="dailydialog:test", help="NAME:SPLIT to evaluate on")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in args.runs:
            for name, flags in DECODINGS.items():
                metrics = evaluate(run, args.data, flags, Path(tmp) / "m.json")
                cells = [fmt.format(metrics[key]) for key, _, fmt in COLUMNS]
                rows.append([Path(run).name, name, *cells])
    header = ["run", "decoding", *(title for _, title, _ in COLUMNS)]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
