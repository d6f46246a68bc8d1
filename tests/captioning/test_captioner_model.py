"""The caption model: attention over grid cells, the context gate, the regulariser."""

from __future__ import annotations

import pytest
import torch

from attnseq.config import DecoderConfig, ImageEncoderConfig, ModelConfig
from attnseq.data.tokenizers import BOS
from attnseq.errors import ConfigError
from attnseq.models.captioner import CaptionModel
from attnseq.models.image_encoders import ImageEncoder, positions_2d
from attnseq.training.regularizers import doubly_stochastic_penalty

VOCAB = 12


def tiny_model(**image) -> CaptionModel:
    torch.manual_seed(0)
    settings = {"size": [16, 24], "cnn_channels": [4, 8], "cnn_convs": 1, "project": 8}
    cfg = ModelConfig(
        embed_dim=8,
        image=ImageEncoderConfig(**{**settings, **image}),
        decoder=DecoderConfig(
            type="bahdanau", hidden_size=12, attention="additive", attention_size=6
        ),
    )
    return CaptionModel(cfg, VOCAB).eval()


def test_grid_attention_sums_to_one_over_cells():
    model = tiny_model(positional=True)
    assert model.grid == (4, 6) and model.cells == 24
    images = torch.rand(3, 3, 16, 24) * 2 - 1
    tgt_in = torch.randint(4, VOCAB, (3, 5))
    logits, attention = model(images, None, tgt_in)
    assert logits.shape == (3, 5, VOCAB)
    assert attention.shape == (3, 5, 24)
    assert torch.all(attention > 0)
    torch.testing.assert_close(attention.sum(-1), torch.ones(3, 5))
    # One search step attends over the same cells.
    enc = model.encode(images)
    state = model.init_state(enc)
    step_logits, _, weights = model.step(torch.full((3,), BOS), state, enc)
    assert step_logits.shape == (3, VOCAB)
    torch.testing.assert_close(weights.sum(-1), torch.ones(3))
    # The decoder starts from the mean cell vector (before positions are added).
    features = model.encoder.project(model.encoder.features(images).flatten(2).transpose(1, 2))
    torch.testing.assert_close(enc.summary, features.mean(1))


def test_context_gate_scales_the_context():
    gated, plain = tiny_model(context_gate=True), tiny_model(context_gate=False)
    assert gated.decoder.gate is not None and plain.decoder.gate is None
    enc = gated.encode(torch.zeros(2, 3, 16, 24))
    query = torch.randn(2, 12)
    context, weights = gated.decoder._attend(query, enc)
    raw, same = gated.decoder.attention(query, enc.keys, enc.states, enc.mask)
    torch.testing.assert_close(weights, same)
    beta = torch.sigmoid(gated.decoder.gate(query))
    torch.testing.assert_close(context, raw * beta)
    assert torch.all((beta > 0) & (beta < 1))


def test_doubly_stochastic_penalty_on_a_hand_made_map():
    # Two output steps over three cells; the second example has one step of padding.
    attention = torch.tensor(
        [
            [[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]],
            [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
        ]
    )
    tgt_mask = torch.tensor([[True, True], [True, False]])
    penalty = doubly_stochastic_penalty(attention, tgt_mask, torch.tensor([3, 2]))
    # Example 1: totals (1, .5, .5) -> 0 + .25 + .25. Example 2: totals (.2, .3), cell 3 ignored.
    torch.testing.assert_close(penalty, torch.tensor([0.5, 0.8**2 + 0.7**2]))
    # Looking at every cell exactly once costs nothing.
    eye = torch.eye(3).unsqueeze(0)
    assert (
        doubly_stochastic_penalty(eye, torch.ones(1, 3, dtype=torch.bool), torch.tensor([3])) == 0
    )


def test_encoder_accepts_the_backbone_features():
    model = tiny_model()
    encoder: ImageEncoder = model.encoder
    images = torch.rand(2, 3, 16, 24)
    from_images = encoder(images)
    from_features = encoder(encoder.features(images))
    torch.testing.assert_close(from_images.states, from_features.states)
    with pytest.raises(ValueError, match="expected images"):
        encoder(torch.rand(2, 5, 16, 24))


def test_sinusoidal_positions_tell_cells_apart():
    pos = positions_2d(4, 6, 8)
    assert pos.shape == (24, 8)
    assert len({tuple(row.tolist()) for row in pos.round(decimals=4)}) == 24


def test_unknown_backbone_is_a_config_error():
    with pytest.raises(ConfigError, match="model.image.backbone"):
        tiny_model(backbone="resnet9000")


def test_written_captions_never_say_unk():
    model = tiny_model()
    model.unk_id = 1
    enc = model.encode(torch.zeros(2, 3, 16, 24))
    logits, _, _ = model.step(torch.full((2,), BOS), model.init_state(enc), enc)
    assert torch.all(logits[:, 1] == float("-inf")) and torch.all(logits[:, 2:].isfinite())
    model.train()
    logits, _, _ = model.step(torch.full((2,), BOS), model.init_state(enc), enc)
    assert torch.all(logits.isfinite())  # training still learns <unk>'s probability


def test_gate_starts_open():
    beta = torch.sigmoid(tiny_model().decoder.gate(torch.zeros(1, 12)))
    assert beta.item() > 0.9
