"""Greedy and beam search on small random models."""

from __future__ import annotations

import pytest
import torch

from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig
from attnseq.data.batching import encode_sources
from attnseq.data.tokenizers import EOS
from attnseq.models.seq2seq import Seq2Seq
from attnseq.search import beam_search, greedy_search
from attnseq.search.decode import decode_corpus
from attnseq.search.hypothesis import max_lengths

VOCAB = 13


def model_for(seed: int, decoder: str = "luong", cell: str = "gru", feed: bool = False):
    torch.manual_seed(seed)
    cfg = ModelConfig(
        embed_dim=8,
        encoder=EncoderConfig(cell=cell, hidden_size=6, dropout=0.0),
        decoder=DecoderConfig(
            type=decoder,
            cell=cell,
            hidden_size=10,
            attention_size=7,
            input_feeding=feed,
            dropout=0.0,
        ),
        init_scale=1.0,  # peaked distributions: some hypotheses end, some run to the cap
    )
    return Seq2Seq(cfg, VOCAB, VOCAB).eval()


def sources(seed: int, n: int = 6, max_len: int = 7) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, max_len + 1, (n,), generator=g).tolist()
    return [torch.randint(4, VOCAB, (k,), generator=g).tolist() for k in lengths]


def batch(seed: int, n: int = 6):
    src, lengths = encode_sources(sources(seed, n))
    assert (lengths < src.size(1)).any(), "the batch must contain padding"
    return src, lengths


MODELS = [
    (0, "luong", "gru", False),
    (1, "luong", "lstm", True),
    (2, "bahdanau", "gru", False),
    (3, "bahdanau", "lstm", False),
]


@pytest.mark.parametrize(("seed", "decoder", "cell", "feed"), MODELS)
def test_beam_one_equals_greedy(seed, decoder, cell, feed):
    src, lengths = batch(seed)
    kinds = set()
    # Shifting the EOS logit gives outputs that end with EOS and outputs cut by the cap.
    for eos_bias in (-3.0, 0.0, 2.0):
        model = model_for(seed, decoder, cell, feed)
        with torch.no_grad():
            model.generator.bias[EOS] += eos_bias
        greedy = greedy_search(model, src, lengths)
        beam = beam_search(model, src, lengths, beam=1, nbest=1)
        assert len(beam) == len(greedy) == src.size(0)
        for g, (b,) in zip(greedy, beam, strict=True):
            assert b.tokens == g.tokens
            assert b.score == pytest.approx(g.score, abs=1e-5)
            torch.testing.assert_close(b.attention, g.attention, atol=1e-6, rtol=0)
            kinds.add(g.attention.size(0) == len(g.tokens) + 1)
    assert kinds == {True, False}


def test_greedy_score_is_sum_of_step_log_probs():
    model = model_for(4)
    src, lengths = batch(4, n=3)
    hyps = greedy_search(model, src, lengths)
    for i, hyp in enumerate(hyps):
        enc = model.encode(src[i : i + 1], lengths[i : i + 1])
        state = model.init_state(enc)
        prev, total = torch.tensor([2]), 0.0
        emitted = hyp.tokens + ([EOS] if len(hyp.attention) == len(hyp.tokens) + 1 else [])
        with torch.no_grad():
            for tok in emitted:
                logits, state, _ = model.step(prev, state, enc)
                logp = torch.log_softmax(logits, -1)[0]
                assert int(logp.argmax()) == tok
                total += float(logp[tok])
                prev = torch.tensor([tok])
        assert hyp.score == pytest.approx(total, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_beam_nbest_lists(seed):
    model = model_for(seed, *MODELS[seed][1:])
    src, lengths = batch(seed + 10)
    results = beam_search(model, src, lengths, beam=4, nbest=3, length_penalty=1.0)
    limits = max_lengths(lengths, 2.0).tolist()
    assert len(results) == src.size(0)
    for i, hyps in enumerate(results):
        assert 1 <= len(hyps) <= 3
        norms = [h.normalized for h in hyps]
        assert norms == sorted(norms, reverse=True)
        assert len({tuple(h.tokens) for h in hyps}) == len(hyps), "n-best entries are distinct"
        for h in hyps:
            assert EOS not in h.tokens
            assert len(h.tokens) <= limits[i]
            steps = h.attention.size(0)
            # One row per emitted step: the tokens, plus EOS when it was emitted.
            assert steps in (len(h.tokens), len(h.tokens) + 1)
            if steps == len(h.tokens):
                assert steps == limits[i], "only a capped hypothesis may lack EOS"
            assert h.attention.size(1) == int(lengths[i])
            torch.testing.assert_close(h.attention.sum(-1), torch.ones(steps), atol=1e-5, rtol=0)
            assert h.normalized == pytest.approx(h.score / steps, abs=1e-5)
            assert h.score <= 0.0


def test_max_length_cap():
    model = model_for(5)
    src, lengths = batch(5)
    limits = max_lengths(lengths, 0.1).tolist()  # = 5 for these short sources
    for hyps in beam_search(model, src, lengths, beam=3, nbest=3, max_len_ratio=0.1):
        for h in hyps:
            assert h.attention.size(0) <= max(limits)
    greedy = greedy_search(model, src, lengths, max_len_ratio=0.1)
    for i, h in enumerate(greedy):
        assert len(h.tokens) <= limits[i]
        assert h.attention.size(0) <= limits[i]
    # A model that never emits EOS hits the cap exactly.
    with torch.no_grad():
        model.generator.bias[EOS] = -1e4
    for i, (h,) in enumerate(beam_search(model, src, lengths, beam=2, max_len_ratio=0.1)):
        assert len(h.tokens) == limits[i] and h.attention.size(0) == limits[i]
    for i, h in enumerate(greedy_search(model, src, lengths, max_len_ratio=0.1)):
        assert len(h.tokens) == limits[i] and h.attention.size(0) == limits[i]


def test_nbest_larger_than_beam_is_an_error():
    model = model_for(0)
    src, lengths = batch(0)
    with pytest.raises(ValueError):
        beam_search(model, src, lengths, nbest=3, beam=2)


def test_decode_corpus_keeps_input_order():
    model = model_for(6, "bahdanau")
    srcs = sources(6, n=9)
    assert len({len(s) for s in srcs}) > 2  # sorting by length really reorders them
    results = decode_corpus(model, srcs, beam=1, batch_size=4)
    assert len(results) == len(srcs)
    for s, hyps in zip(srcs, results, strict=True):
        src, lengths = encode_sources([s])
        (alone,) = greedy_search(model, src, lengths)
        assert len(hyps) == 1
        assert hyps[0].tokens == alone.tokens
        assert hyps[0].score == pytest.approx(alone.score, abs=1e-5)
    beam_results = decode_corpus(model, srcs, beam=3, nbest=2, batch_size=4)
    for s, hyps in zip(srcs, beam_results, strict=True):
        src, lengths = encode_sources([s])
        alone = beam_search(model, src, lengths, beam=3, nbest=2)[0]
        assert [h.tokens for h in hyps] == [h.tokens for h in alone]


@pytest.mark.parametrize("seed", [0, 2, 7])
def test_wider_beam_scores_at_least_greedy(seed):
    model = model_for(seed, "bahdanau" if seed == 2 else "luong")
    src, lengths = batch(seed + 20)
    greedy = greedy_search(model, src, lengths)
    beams = beam_search(model, src, lengths, beam=5, nbest=1, length_penalty=0.0)
    for g, (b,) in zip(greedy, beams, strict=True):
        assert b.score == pytest.approx(b.normalized)
        assert b.score >= g.score - 1e-5
