"""The server under bounded concurrent load, malformed requests mixed in: no good
answer lost or changed, every bad one refused with a JSON error, memory flat."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import httpx
import pytest

from attnseq.api.translator import Translator
from attnseq.serving.launch import launched

SENTENCES = [
    "Je suis content.",
    "Il fait froid.",
    "Où est la gare ?",
    "Nous avons mangé une pomme.",
    "Elle ne veut pas partir.",
    "Tom est très fatigué.",
    "C'est mon livre.",
    "J'aime le chocolat.",
]
MALFORMED = [
    b'{"text": ',  # truncated JSON
    b'{"text": 5}',  # wrong type
    b'{"txt": "Bonjour."}',  # unknown field, no text
    json.dumps({"text": "x" * 5000}).encode(),  # over the length limit
    json.dumps({"text": "Bonjour.", "beam": 0}).encode(),  # beam out of range
    b"\xff\xfe\x00garbage",  # not UTF-8
    json.dumps({"text": ["Bonjour."] * 500}).encode(),  # too many sentences
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


async def _send(url: str, plan: list[tuple[str, object]], clients: int) -> list[tuple]:
    gate = asyncio.Semaphore(clients)
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:

        async def one(kind: str, payload) -> tuple:
            async with gate:
                if kind == "good":
                    r = await client.post("/v1/translate", json={"text": payload, "beam": 2})
                else:
                    headers = {"content-type": "application/json"}
                    r = await client.post("/v1/translate", content=payload, headers=headers)
                return kind, payload, r.status_code, r.json()

        return await asyncio.gather(*(one(kind, payload) for kind, payload in plan))


@pytest.mark.slow
def test_a_thousand_concurrent_requests_lose_nothing_and_memory_stays_flat(trained_run, tmp_path):
    expected = {
        s: t.text
        for s, t in zip(
            SENTENCES, Translator.load(trained_run).translate(SENTENCES, beam=2), strict=True
        )
    }
    rng = random.Random(0)
    plan = [
        ("bad", rng.choice(MALFORMED)) if rng.random() < 0.15 else ("good", rng.choice(SENTENCES))
        for _ in range(1000)
    ]
    with launched([str(trained_run), "--threads", "1"], tmp_path / "server.log") as server:
        pid = server.process.pid
        asyncio.run(_send(server.url, plan[:200], 32))  # warm up: allocator pools fill
        start = rss_mb(pid)
        rounds, sizes = [], []
        for _ in range(3):  # the soak: the same thousand requests three times
            rounds.append(asyncio.run(_send(server.url, plan, 32)))
            sizes.append(rss_mb(pid))
        assert server.alive(), server.log.read_text()
    good = bad = 0
    for results in rounds:
        for kind, payload, status, body in results:
            if kind == "good":
                good += 1
                assert status == 200, body
                assert body["translations"][0]["translation"] == expected[payload]
            else:
                bad += 1
                assert 400 <= status < 500 and isinstance(body.get("error"), str), (status, body)
    end = sizes[-1]
    print(
        f"\n{good} good and {bad} malformed requests, 32 clients; RSS {start:.1f} -> {end:.1f} MB"
    )
    assert good > 2000 and bad > 300
    assert end - start < 0.05 * start + 5, f"server memory grew from {start:.1f} to {end:.1f} MB"
