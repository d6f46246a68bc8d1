"""Convolutional and Transformer encoders, the Transformer decoder, and every pairing.

What must hold whatever the architecture: one state per source position with
padding masked out, training's parallel pass equal to search's step-by-step
pass, cached incremental decoding equal to recomputing every step, a causal
decoder, and enough capacity to learn 200 real sentence pairs by heart.
"""

from __future__ import annotations

import pytest
import torch
from model_checks import assert_steps_reproduce_forward

from attnseq.config import DecoderConfig, EncoderConfig, ModelConfig, config_from_dict, load_config
from attnseq.data.tokenizers import BOS, EOS, PAD
from attnseq.errors import ConfigError
from attnseq.models.positions import LearnedPositions, SinusoidalPositions
from attnseq.models.seq2seq import Seq2Seq
from attnseq.search import beam_search

SRC_V, TGT_V = 23, 19
ENCODERS = ["rnn", "cnn", "transformer"]
DECODERS = ["luong", "bahdanau", "transformer"]
PAIRINGS = [(e, d) for e in ENCODERS for d in DECODERS]


def config(encoder: str, decoder: str, positions: str = "sinusoidal", **kw) -> ModelConfig:
    dim = 16
    return ModelConfig(
        embed_dim=dim,
        encoder=EncoderConfig(
            type=encoder,
            hidden_size=dim if encoder != "rnn" else 6,
            layers=2,
            heads=4,
            ff_size=24,
            kernel_size=3,
            positions=positions,
            max_positions=40,
            dropout=0.0,
        ),
        decoder=DecoderConfig(
            type=decoder,
            hidden_size=dim,
            attention_size=7,
            layers=2 if decoder == "transformer" else 1,
            heads=4,
            ff_size=24,
            positions=positions,
            max_positions=40,
            dropout=0.0,
        ),
        **kw,
    )


def model_for(encoder: str, decoder: str, seed: int = 0, **kw) -> Seq2Seq:
    torch.manual_seed(seed)
    return Seq2Seq(config(encoder, decoder, **kw), SRC_V, TGT_V).eval()


def padded_batch(seed: int = 0, lengths=(5, 9, 1, 3), tgt_len: int = 6):
    g = torch.Generator().manual_seed(seed)
    src_lengths = torch.tensor(lengths)
    src = torch.randint(4, SRC_V, (len(lengths), max(lengths)), generator=g)
    src[torch.arange(max(lengths))[None, :] >= src_lengths[:, None]] = PAD
    tgt_in = torch.randint(4, TGT_V, (len(lengths), tgt_len), generator=g)
    tgt_in[:, 0] = BOS
    return src, src_lengths, tgt_in


# ------------------------------------------------------------------ encoders


@pytest.mark.parametrize("positions", ["sinusoidal", "learned"])
@pytest.mark.parametrize("encoder", ENCODERS)
def test_encoder_states_shape_and_padding_mask(encoder, positions):
    model = model_for(encoder, "luong", positions=positions)
    src, lengths, _ = padded_batch()
    with torch.no_grad():
        enc = model.encoder(src, lengths)
    batch, length = src.shape
    assert enc.states.shape == (batch, length, model.encoder.output_size)
    assert enc.summary.shape == (batch, model.encoder.output_size)
    expected_mask = torch.arange(length)[None, :] < lengths[:, None]
    assert torch.equal(enc.mask, expected_mask)
    assert torch.all(enc.states[~expected_mask] == 0.0)
    assert enc.states[expected_mask].abs().sum(-1).gt(0).all()
    # The batch's padding changes nothing at a sentence's real positions.
    for i, n in enumerate(lengths.tolist()):
        with torch.no_grad():
            alone = model.encoder(src[i : i + 1, :n], lengths[i : i + 1])
        torch.testing.assert_close(alone.states[0], enc.states[i, :n], atol=1e-5, rtol=0)
        torch.testing.assert_close(alone.summary[0], enc.summary[i], atol=1e-5, rtol=0)


def test_conv_encoder_sees_only_its_receptive_field():
    """Two layers of width 3 read 2 tokens each side; the 4th token away changes nothing."""
    model = model_for("cnn", "luong")
    src, lengths, _ = padded_batch(lengths=(9,))
    changed = src.clone()
    changed[0, 7] = (src[0, 7] - 4 + 1) % (SRC_V - 4) + 4
    with torch.no_grad():
        a, b = model.encoder(src, lengths).states, model.encoder(changed, lengths).states
    differs = (a - b).abs().amax(-1)[0] > 1e-6
    assert differs.tolist() == [i >= 5 for i in range(9)]


# ------------------------------------------------------------------ decoders


@pytest.mark.parametrize(("encoder", "decoder"), PAIRINGS)
def test_training_pass_equals_step_by_step(encoder, decoder):
    """Search's steps (cached, for a Transformer decoder) reproduce training's parallel pass."""
    model = model_for(encoder, decoder, seed=1)
    src, lengths, tgt_in = padded_batch(1)
    logits, attn = assert_steps_reproduce_forward(model, src, lengths, tgt_in)
    assert logits.shape == (4, 6, TGT_V) and attn.shape == (4, 6, src.size(1))
    real = (torch.arange(src.size(1))[None, :] < lengths[:, None]).unsqueeze(1).expand_as(attn)
    assert torch.all(attn[~real] == 0.0)
    torch.testing.assert_close(attn.sum(-1), torch.ones(4, 6), atol=1e-5, rtol=0)


def test_decoder_is_causal():
    """Changing later target words leaves every earlier position's output as it was."""
    model = model_for("transformer", "transformer", seed=2)
    src, lengths, tgt_in = padded_batch(2, tgt_len=8)
    with torch.no_grad():
        before, _ = model(src, lengths, tgt_in)
        for t in range(1, 8):
            changed = tgt_in.clone()
            changed[:, t:] = torch.randint(4, TGT_V, changed[:, t:].shape)
            after, _ = model(src, lengths, changed)
            torch.testing.assert_close(after[:, :t], before[:, :t], atol=1e-6, rtol=0)
            assert (after[:, t] - before[:, t]).abs().max() > 1e-4  # position t did see it


@pytest.mark.parametrize("encoder", ENCODERS)
def test_cached_decoding_equals_recomputing(encoder):
    """Greedy steps on the model's own outputs, and beam search, with and without the cache."""
    model = model_for(encoder, "transformer", seed=3, init_scale=1.0)
    src, lengths, _ = padded_batch(3)
    with torch.no_grad():
        runs = []
        for cache in (True, False):
            model.decoder.cache = cache
            enc = model.encode(src, lengths)
            state, prev, steps = model.init_state(enc), torch.full((4,), BOS), []
            for _ in range(30):
                logits, state, attn = model.step(prev, state, enc)
                prev = logits.argmax(-1)
                steps.append((logits, attn))
            beams = beam_search(model, src, lengths, beam=4, nbest=4, max_len_ratio=3.0)
            runs.append((steps, beams, {name: value.shape for name, value in state.items()}))
    model.decoder.cache = True
    (cached, cached_beams, shapes), (recomputed, recomputed_beams, _) = runs
    # Per layer (2), keys and values [batch, heads, steps so far, head size].
    assert shapes == {f"{kv}.{i}": (4, 4, 30, 4) for kv in "kv" for i in (0, 1)}
    for (a_logits, a_attn), (b_logits, b_attn) in zip(cached, recomputed, strict=True):
        torch.testing.assert_close(a_logits, b_logits, atol=1e-5, rtol=0)
        torch.testing.assert_close(a_attn, b_attn, atol=1e-5, rtol=0)
    for a_hyps, b_hyps in zip(cached_beams, recomputed_beams, strict=True):
        assert [h.tokens for h in a_hyps] == [h.tokens for h in b_hyps]
        assert [h.score for h in a_hyps] == pytest.approx([h.score for h in b_hyps], abs=1e-4)


# ------------------------------------------------------------------ attention maps


def test_select_attention_layer_and_head():
    model = model_for("transformer", "transformer", seed=4)
    src, lengths, tgt_in = padded_batch(4)
    maps = {}
    with torch.no_grad():
        for layer in (0, 1):
            for head in (None, 0, 1, 2, 3):
                description = model.select_attention(layer, head)
                assert f"layer {layer} of 2" in description
                maps[layer, head] = model(src, lengths, tgt_in)[1]
    for layer in (0, 1):
        heads = torch.stack([maps[layer, h] for h in range(4)])
        torch.testing.assert_close(maps[layer, None], heads.mean(0), atol=1e-6, rtol=0)
        assert (heads[0] - heads[1]).abs().max() > 1e-3  # heads differ: not one map repeated
    assert (maps[0, None] - maps[1, None]).abs().max() > 1e-3
    assert "layer 1 of 2, mean of 4 heads" in model.select_attention()  # default: last, mean
    assert "layer 1 of 2, head 3" in model.select_attention(-1, -1)
    with pytest.raises(ValueError, match="layer 2 does not exist: the decoder has 2 layers"):
        model.select_attention(2)
    with pytest.raises(ValueError, match="head 4 does not exist: each layer has 4 heads"):
        model.select_attention(0, 4)
    rnn = model_for("transformer", "luong")
    assert rnn.select_attention() == "general attention"
    with pytest.raises(ValueError, match="single attention map"):
        rnn.select_attention(1)


# ------------------------------------------------------------------ parts


def test_sinusoidal_positions_any_length_and_offset():
    positions = SinusoidalPositions(8)
    long = positions(200)
    assert long.shape == (200, 8)
    torch.testing.assert_close(positions(1, offset=150)[0], long[150])
    assert torch.equal(long[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert positions.state_dict() == {}  # a function of the position: nothing to save
    with torch.inference_mode():  # grown while translating (validation) ...
        positions(500)
    weights = torch.ones(500, 8, requires_grad=True)
    (weights * positions(500)).sum().backward()  # ... it still serves training
    torch.testing.assert_close(weights.grad, positions(500))


def test_learned_positions_name_their_limit():
    positions = LearnedPositions(8, 10, "model.decoder")
    assert positions(3, offset=7).shape == (3, 8)
    with pytest.raises(ValueError, match=r"longer than model.decoder.max_positions \(10\)"):
        positions(1, offset=10)


def test_own_initialisation_survives_uniform_init():
    """``init: uniform`` (+-0.1, for RNNs) must not touch the Transformer's LayerNorms."""
    model = model_for("transformer", "transformer")
    norms = [m for m in model.modules() if isinstance(m, torch.nn.LayerNorm)]
    assert len(norms) == 2 * 2 + 1 + 2 * 3 + 1
    assert all(torch.all(n.weight == 1) and torch.all(n.bias == 0) for n in norms)
    assert torch.all(model.encoder.embedding.weight[PAD] == 0)
    shared_cfg = config("transformer", "transformer", share_embeddings=True, tie_embeddings=True)
    shared = Seq2Seq(shared_cfg, SRC_V, SRC_V)
    assert shared.generator.weight is shared.encoder.embedding.weight


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ({"encoder": {"type": "cnn", "kernel_size": 4}}, "model.encoder.kernel_size: must be odd"),
        (
            {"encoder": {"type": "transformer", "hidden_size": 128}},
            "model.encoder.hidden_size: a Transformer's width is model.embed_dim (256); got 128",
        ),
        (
            {"decoder": {"type": "transformer", "hidden_size": 256, "heads": 3}},
            "model.decoder.heads: 3 heads do not divide hidden_size 256",
        ),
        (
            {"decoder": {"type": "transformer", "hidden_size": 256, "ff_size": 0}},
            "model.decoder.ff_size: must be positive",
        ),
        (
            {"encoder": {"type": "cnn", "positions": "learned", "max_positions": 40}},
            "model.encoder.max_positions: 40 learned positions cannot hold",
        ),
        ({"decoder": {"type": "transformer", "positions": "fixed"}}, "model.decoder.positions"),
        ({"encoder": {"type": "lstm"}}, "'rnn', 'cnn', 'transformer'"),
        (
            {"decoder": {"type": "conditional", "layers": 2}},
            "model.decoder.layers: the conditional decoder has one layer of two transitions; got 2",
        ),
    ],
)
def test_config_errors_name_the_key(model, message):
    with pytest.raises(ConfigError) as err:
        config_from_dict({"model": model}, "arch.yaml")
    assert message in str(err.value)


def test_transformer_decoder_refuses_scheduled_sampling():
    model = {"decoder": {"type": "transformer", "hidden_size": 256}}
    with pytest.raises(ConfigError, match="train.teacher_forcing: a Transformer decoder"):
        config_from_dict({"model": model, "train": {"teacher_forcing": 0.9}})
    config_from_dict({"model": model})  # and teacher forcing 1.0 is fine


@pytest.mark.parametrize("pair", ["en-de", "en-fr"])
def test_recipes_load_and_build(pair):
    cfg = load_config(f"configs/multi30k-{pair}-transformer.yaml")
    assert cfg.data.dataset == "multi30k" and cfg.data.variant == "tok"
    assert (cfg.model.encoder.type, cfg.model.decoder.type) == ("transformer", "transformer")
    # The settings of the measured one-hour run (docs/results.md): bf16, budget-following decay.
    assert cfg.train.max_minutes == 60 and cfg.train.schedule == "linear_decay"
    assert cfg.train.precision == "bf16"
    model = Seq2Seq(cfg.model, 100, 100)
    assert sum(p.numel() for p in model.parameters()) > 1_000_000


@pytest.mark.parametrize(
    ("recipe", "langs", "decoder", "threads", "layer_norm"),
    [
        ("multi30k-en-de", ("en", "de"), "conditional", 2, True),
        ("multi30k-en-fr", ("en", "fr"), "conditional", 1, False),
        ("multi30k-fr-en", ("fr", "en"), "conditional", 1, False),
        ("multi30k-de-en", ("de", "en"), "transformer", 1, False),
    ],
)
def test_quality_recipes_load_and_build(recipe, langs, decoder, threads, layer_norm):
    """The measured one-hour recipes of docs/results.md, as they were run."""
    cfg = load_config(f"configs/{recipe}.yaml")
    assert cfg.name == recipe
    assert (cfg.data.dataset, cfg.data.variant) == ("multi30k", "tok")
    assert (cfg.data.src_lang, cfg.data.tgt_lang) == langs
    assert cfg.model.decoder.type == decoder
    assert cfg.model.encoder.layer_norm == cfg.model.decoder.layer_norm == layer_norm
    assert cfg.train.max_minutes == 60 and cfg.train.schedule == "linear_decay"
    assert cfg.train.precision == "bf16" and cfg.train.threads == threads
    model = Seq2Seq(cfg.model, 100, 100)
    assert sum(p.numel() for p in model.parameters()) > 1_000_000


def test_rnn_baseline_recipe_is_a_fair_comparison():
    """Same data, vocabulary and time budget as the Transformer recipe; only the model differs."""
    rnn = load_config("configs/multi30k-en-de-rnn.yaml")
    transformer = load_config("configs/multi30k-en-de-transformer.yaml")
    assert rnn.data == transformer.data and rnn.tokenizer == transformer.tokenizer
    assert rnn.train.max_minutes == transformer.train.max_minutes
    assert rnn.train.batch_tokens == transformer.train.batch_tokens
    assert (rnn.model.encoder.type, rnn.model.decoder.type) == ("rnn", "luong")


# ------------------------------------------------------------------ learning


TINY_TRANSFORMER = {"layers": 2, "heads": 4, "ff_size": 128, "dropout": 0.0}


@pytest.mark.parametrize(
    ("encoder", "decoder"),
    [
        (
            EncoderConfig(type="cnn", hidden_size=64, layers=2, positions="learned", dropout=0.0),
            DecoderConfig(hidden_size=128, attention_size=64, dropout=0.0),
        ),
        (
            EncoderConfig(type="transformer", hidden_size=64, **TINY_TRANSFORMER),
            DecoderConfig(hidden_size=64, attention_size=64, dropout=0.0),
        ),
        (
            EncoderConfig(type="transformer", hidden_size=64, **TINY_TRANSFORMER),
            DecoderConfig(type="transformer", hidden_size=64, **TINY_TRANSFORMER),
        ),
    ],
    ids=["cnn-luong", "transformer-luong", "transformer-transformer"],
)
def test_overfits_200_real_pairs(overfit, encoder, decoder):
    result = overfit(ModelConfig(embed_dim=64, encoder=encoder, decoder=decoder), lr=5e-3)
    assert result.exact >= 180, f"only {result.exact}/200 reproduced (loss {result.loss:.3f})"
    assert all(EOS not in h.tokens for h in result.hyps)
