"""Decoding for conversation: n-gram blocking, minimum length, sampling."""

from __future__ import annotations

import pytest
import torch

from attnseq.api.translator import Translator
from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig
from attnseq.data.batching import encode_sources
from attnseq.data.tokenizers import BOS, EOS
from attnseq.errors import AttnseqError
from attnseq.models.seq2seq import Seq2Seq
from attnseq.search import Sampling, beam_search, greedy_search, sample_search
from attnseq.search.anti_lm import AntiLM
from attnseq.search.constraints import banned_tokens
from attnseq.search.decode import decode_corpus
from attnseq.search.sampling import filter_logits

VOCAB = 9  # few words: an untrained model soon repeats itself


def looping_model(seed: int, decoder: str = "luong") -> Seq2Seq:
    """A random model whose outputs never end on their own and loop over few words."""
    torch.manual_seed(seed)
    cfg = ModelConfig(
        embed_dim=8,
        encoder=EncoderConfig(hidden_size=6, dropout=0.0),
        decoder=DecoderConfig(type=decoder, hidden_size=10, attention_size=7, dropout=0.0),
        init_scale=1.0,
    )
    model = Seq2Seq(cfg, VOCAB, VOCAB).eval()
    with torch.no_grad():
        model.generator.bias[EOS] = -1e4
    return model


def batch(seed: int, n: int = 5):
    g = torch.Generator().manual_seed(seed)
    srcs = [
        torch.randint(4, VOCAB, (int(k),), generator=g).tolist()
        for k in torch.randint(2, 7, (n,), generator=g)
    ]
    return encode_sources(srcs)


def repeated_ngrams(tokens: list[int], n: int) -> int:
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return len(grams) - len(set(grams))


def test_banned_tokens_by_hand():
    seqs = torch.tensor([[5, 6, 7, 5, 6], [5, 6, 7, 8, 4]])
    banned = banned_tokens(seqs, 3, 10)
    # row 0 ends with "5 6", which was followed by 7 before
    assert banned[0].nonzero().flatten().tolist() == [7]
    assert not banned[1].any()
    assert banned_tokens(seqs, 1, 10)[1].nonzero().flatten().tolist() == [4, 5, 6, 7, 8]
    assert banned_tokens(seqs, 2, 10)[0].nonzero().flatten().tolist() == [7]
    assert not banned_tokens(seqs[:, :2], 3, 10).any()


@pytest.mark.parametrize("n", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blocking_never_emits_a_repeated_ngram(n, seed):
    model = looping_model(seed, "bahdanau" if seed == 2 else "luong")
    src, lengths = batch(seed)
    cap = 6 if n == 1 else 12  # n=1 can use each of the few words only once
    outputs = {
        "greedy": [[h] for h in greedy_search(model, src, lengths, no_repeat_ngram=n, max_len=cap)],
        "beam": beam_search(model, src, lengths, beam=3, nbest=3, no_repeat_ngram=n, max_len=cap),
        "sample": sample_search(
            model, src, lengths, Sampling(seed=seed), num_samples=3, no_repeat_ngram=n, max_len=cap
        ),
    }
    for kind, results in outputs.items():
        for hyps in results:
            for h in hyps:
                assert repeated_ngrams(h.tokens, n) == 0, (kind, h.tokens)
    # The test can fail: without blocking the same model repeats itself.
    plain = greedy_search(model, src, lengths, max_len=cap)
    assert any(repeated_ngrams(h.tokens, n) for h in plain)


def test_blocked_greedy_equals_blocked_beam_of_one():
    model = looping_model(3)
    src, lengths = batch(3)
    greedy = greedy_search(model, src, lengths, no_repeat_ngram=2, max_len=10)
    beam = beam_search(model, src, lengths, beam=1, no_repeat_ngram=2, max_len=10)
    assert [h.tokens for h in greedy] == [b.tokens for (b,) in beam]


def test_min_len_and_max_len():
    model = looping_model(4)
    with torch.no_grad():
        model.generator.bias[EOS] = 50.0  # would end at once
    src, lengths = batch(4)
    assert all(h.tokens == [] for h in greedy_search(model, src, lengths))
    for h in greedy_search(model, src, lengths, min_len=3):
        assert len(h.tokens) == 3
    for (h,) in beam_search(model, src, lengths, beam=2, min_len=4):
        assert len(h.tokens) == 4
    with torch.no_grad():
        model.generator.bias[EOS] = -1e4
    assert all(len(h.tokens) == 7 for h in greedy_search(model, src, lengths, max_len=7))


def test_sampling_with_a_seed_is_reproducible():
    model = looping_model(5)
    src, lengths = batch(5, n=8)
    srcs = [src[i, : lengths[i]].tolist() for i in range(src.size(0))]

    def draw(seed):
        found = decode_corpus(
            model, srcs, nbest=3, batch_size=3, max_len=10, sampling=Sampling(top_p=0.9, seed=seed)
        )
        return [[h.tokens for h in hyps] for hyps in found]

    first = draw(7)
    assert draw(7) == first
    assert draw(8) != first
    assert len({tuple(t) for hyps in first for t in hyps}) > len(srcs), "samples differ"


@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_never_picks_outside_the_top_k(k):
    model = looping_model(6)
    src, lengths = batch(6, n=6)
    # The first word's distribution depends only on the source: compute its top k.
    with torch.no_grad():
        enc = model.encode(src, lengths)
        logits, _, _ = model.step(torch.full((6,), BOS), model.init_state(enc), enc)
    allowed = logits.topk(k, -1).indices
    for seed in range(5):
        results = sample_search(
            model,
            src,
            lengths,
            Sampling(temperature=3.0, top_k=k, seed=seed),
            num_samples=8,
            max_len=1,
        )
        for i, hyps in enumerate(results):
            for h in hyps:
                assert h.tokens[0] in allowed[i].tolist()
    if k == 1:  # top-1 sampling is greedy
        sampled = sample_search(model, src, lengths, Sampling(top_k=1, seed=0), max_len=8)
        greedy = greedy_search(model, src, lengths, max_len=8)
        assert [h.tokens for (h,) in sampled] == [g.tokens for g in greedy]


def test_filter_logits():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05], [0.25, 0.25, 0.25, 0.25]]))
    kept = filter_logits(logits, top_k=2).isfinite()
    assert kept.sum(-1).tolist() == [2, 2]  # ties still keep exactly k
    assert filter_logits(logits, top_p=0.7).isfinite()[0].tolist() == [True, True, False, False]
    assert filter_logits(logits, top_p=0.8).isfinite()[0].tolist() == [True, True, False, False]
    assert filter_logits(logits, top_p=0.81).isfinite()[0].tolist() == [True, True, True, False]
    assert filter_logits(logits, top_p=0.1).isfinite()[0].tolist() == [True, False, False, False]


@pytest.mark.parametrize(
    "bad", [{"temperature": 0.0}, {"top_k": -1}, {"top_p": 0.0}, {"top_p": 1.5}]
)
def test_sampling_options_are_checked(bad):
    with pytest.raises(AttnseqError):
        Sampling(**bad)


def test_anti_lm_subtracts_the_empty_context_model_for_its_first_steps():
    model = looping_model(11)
    src, lengths = batch(11, n=3)
    wrapped = AntiLM(model, weight=0.5, steps=2)
    enc, plain_enc = wrapped.encode(src, lengths), model.encode(src, lengths)
    empty = model.encode(torch.full((3, 1), EOS), torch.ones(3, dtype=torch.long))
    state = wrapped.init_state(enc)
    plain_state, empty_state = model.init_state(plain_enc), model.init_state(empty)
    prev = torch.full((3,), BOS)
    for t in range(4):
        scores, state, attn = wrapped.step(prev, state, enc)
        logits, plain_state, plain_attn = model.step(prev, plain_state, plain_enc)
        lm_logits, empty_state, _ = model.step(prev, empty_state, empty)
        expected = torch.log_softmax(logits, -1)
        if t < 2:
            expected = expected - 0.5 * torch.log_softmax(lm_logits, -1)
        torch.testing.assert_close(scores, expected)
        torch.testing.assert_close(attn, plain_attn)  # the real context's attention
        prev = logits.argmax(-1)


def test_anti_lm_changes_what_is_said_but_not_the_perplexity():
    model = looping_model(12)
    src, lengths = batch(12, n=6)
    plain = beam_search(model, src, lengths, beam=4, max_len=6)
    same = beam_search(AntiLM(model, 1e-9, 3), src, lengths, beam=4, max_len=6)
    assert [h[0].tokens for h in same] == [h[0].tokens for h in plain]
    changed = beam_search(AntiLM(model, 2.0, 3), src, lengths, beam=4, max_len=6)
    assert [h[0].tokens for h in changed] != [h[0].tokens for h in plain]
    tgt_in = torch.full((6, 4), BOS)
    torch.testing.assert_close(
        AntiLM(model, 2.0, 3)(src, lengths, tgt_in)[0], model(src, lengths, tgt_in)[0]
    )


def test_anti_lm_rejects_nonsense_settings(chat_run):
    with pytest.raises(ValueError, match="anti-LM"):
        AntiLM(looping_model(1), weight=-1.0, steps=3)
    translator = Translator.load(chat_run)
    with pytest.raises(AttnseqError, match="anti_lm"):
        translator.translate(["Hello!"], anti_lm=0.5, anti_lm_steps=0)
    answer = translator.translate(["Hello!"], beam=3, anti_lm=0.5)[0]
    assert answer.attention.shape[0] == len(answer.out_tokens)
