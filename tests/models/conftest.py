"""Fixtures shared by the model tests: real short sentence pairs and overfitting them."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import torch

from attnseq.config import ModelConfig, TokenizerConfig
from attnseq.data.batching import collate
from attnseq.data.corpora import load_pairs
from attnseq.data.tokenizers import PAD, encode, train_tokenizers
from attnseq.models.seq2seq import Seq2Seq
from attnseq.search.greedy import greedy_search
from attnseq.search.hypothesis import Hypothesis


@pytest.fixture(scope="session")
def short_pairs() -> list[tuple[str, str]]:
    """200 short Tatoeba fr-en pairs, one target per source (exact reproduction is possible)."""
    pairs, seen = [], set()
    for fr, en in load_pairs("tatoeba-fra-eng", "train", "fr", "en"):
        if len(fr.split()) > 6 or len(en.split()) > 6 or fr in seen:
            continue
        seen.add(fr)
        pairs.append((fr, en))
        if len(pairs) == 200:
            break
    assert len(pairs) == 200
    return pairs


@pytest.fixture
def one_thread():
    """Deterministic and fast on a busy machine: no intra-op thread contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@dataclass
class Overfit:
    exact: int  # targets reproduced token for token by greedy search
    loss: float  # last training loss
    hyps: list[Hypothesis]


@pytest.fixture
def overfit(tmp_path, short_pairs, one_thread) -> Callable[..., Overfit]:
    """Train a model on the 200 pairs as one batch until the loss is near zero, then decode them."""

    def run(cfg: ModelConfig, lr: float = 3e-3, steps: int = 250) -> Overfit:
        random.seed(0)
        torch.manual_seed(0)
        src_tok, tgt_tok = train_tokenizers(
            TokenizerConfig(vocab_size=300), short_pairs, "fr", "en", tmp_path
        )
        examples = [(encode(src_tok, s), encode(tgt_tok, t)) for s, t in short_pairs]
        assert all(s and t for s, t in examples)
        model = Seq2Seq(cfg, len(src_tok.vocab), len(tgt_tok.vocab))
        batch = collate(examples, range(len(examples)))
        optim = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD)
        for _ in range(steps):
            logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), batch.tgt_out.reshape(-1))
            optim.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optim.step()
            if loss.item() < 0.05:
                break
        model.eval()
        hyps = greedy_search(model, batch.src, batch.src_lengths)
        exact = sum(h.tokens == t for h, (_, t) in zip(hyps, examples, strict=True))
        return Overfit(exact, loss.item(), hyps)

    return run
