"""Load benchmark of ``attnseq serve``: throughput and latency with and without batching.

Starts the server on 127.0.0.1 (never another address), sends a fixed number
of one-sentence /v1/translate requests from 1, 8 and 32 concurrent clients,
stops the server, and prints a Markdown table (also written as JSON). Every
request has a timeout and the run ends by itself.

    python3 benchmarks/serve_load.py runs/tatoeba-fr-en --requests 200

The sentences are the run's test split (from the data mirror), in order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from attnseq.serving.launch import launched  # loopback only, by design

REPO = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("run_dir", help="trained translation run folder")
    p.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="torch threads in the server")
    p.add_argument("--max-batch", type=int, default=32)
    p.add_argument("--batch-wait-ms", type=float, default=5.0)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per request at most")
    p.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "serve_load.json"))
    return p.parse_args()


def sentences(run_dir: Path) -> list[str]:
    os.environ.setdefault("ATTNSEQ_MIRROR", str(REPO.parent / "shared" / "datasets"))
    from attnseq.config import config_from_dict, read_yaml
    from attnseq.data.pipeline import load_split

    cfg = config_from_dict(read_yaml(run_dir / "config.yaml"), str(run_dir / "config.yaml"))
    pairs, _ = load_split(cfg.data, "test")
    return [src for src, _ in pairs if src.strip()]


def server_args(args, batching: bool) -> list[str]:
    flags = [args.run_dir, "--threads", str(args.threads), "--log-level", "warning"]
    flags += ["--max-batch", str(args.max_batch), "--batch-wait-ms", str(args.batch_wait_ms)]
    return flags if batching else [*flags, "--no-batching"]


async def load(url: str, texts: list[str], clients: int, beam: int, timeout: float) -> dict:
    """``len(texts)`` requests, ``clients`` at a time; latencies of the successful ones."""
    queue = list(reversed(texts))
    latencies: list[float] = []
    batch_items: list[int] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:

        async def worker() -> None:
            nonlocal failures
            while queue:
                text = queue.pop()
                sent = time.perf_counter()
                try:
                    response = await client.post("/v1/translate", json={"text": text, "beam": beam})
                except httpx.HTTPError:
                    failures += 1
                    continue
                if response.status_code != 200:
                    failures += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                batch_items.append(response.json()["timing"]["batch_items"])

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, round(p / 100 * (len(ms) - 1)))] if ms else float("nan")

    return {
        "clients": clients,
        "requests": len(texts),
        "failed": failures,
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 2),
        "p50_ms": round(pct(50), 1),
        "p95_ms": round(pct(95), 1),
        "p99_ms": round(pct(99), 1),
        "mean_batch": round(statistics.mean(batch_items), 2) if batch_items else 0,
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| batching | clients | requests/s | p50 ms | p95 ms | p99 ms | mean batch | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['batching']} | {r['clients']} | {r['requests_per_s']:.1f} | {r['p50_ms']:.0f} | "
            f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['mean_batch']:.1f} | {r['failed']} |"
        )
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    run_dir = Path(args.run_dir)
    pool = sentences(run_dir)
    texts = [pool[i % len(pool)] for i in range(args.requests)]
    rows = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for batching in (False, True):
        with launched(server_args(args, batching), out.with_suffix(".server.log")) as server:
            asyncio.run(load(server.url, texts[:8], 1, args.beam, args.timeout))  # warm-up
            for clients in args.concurrency:
                result = asyncio.run(load(server.url, texts, clients, args.beam, args.timeout))
                result["batching"] = "on" if batching else "off"
                rows.append(result)
                print(json.dumps(result), file=sys.stderr, flush=True)
    report = {
        "run_dir": str(run_dir),
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.python_version()}",
        "settings": {
            "beam": args.beam,
            "threads": args.threads,
            "max_batch": args.max_batch,
            "batch_wait_ms": args.batch_wait_ms,
            "requests_per_level": args.requests,
        },
        "rows": rows,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(rows))
    print(f"\n{report['machine']}; beam {args.beam}, {args.threads} torch thread(s); {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
