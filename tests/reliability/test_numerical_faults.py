"""Non-finite losses and gradients skip the update; a run of them stops with the last good state."""

from __future__ import annotations

import math

import torch
from reliability_support import train

from attnseq.api.translator import Translator
from attnseq.checkpoints import load_tensors, prefixed
from attnseq.training.trainer import Trainer


def inject(monkeypatch, faults: dict[int, str]) -> None:
    """Spoil the training loss of chosen steps (1-based): 'nan', 'inf' or 'grad' (finite loss,
    infinite gradient: sqrt'(0) is infinite)."""
    original = Trainer._loss
    calls = {"n": 0}

    def spoiled(self, batch, smoothing):
        loss, nll = original(self, batch, smoothing)
        calls["n"] += 1
        fault = faults.get(calls["n"])
        if fault == "nan":
            loss = loss * math.nan
        elif fault == "inf":
            loss = loss * math.inf
        elif fault == "grad":
            weight = next(self.model.parameters())
            loss = loss + torch.sqrt((weight - weight.detach()).abs()).sum()
        return loss, nll

    monkeypatch.setattr(Trainer, "_loss", spoiled)


def finite(tensors: dict[str, torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors.values() if t.is_floating_point())


def test_bad_steps_are_skipped_and_logged(tmp_path, monkeypatch):
    run = tmp_path / "run"
    inject(monkeypatch, {3: "nan", 5: "inf", 7: "grad"})
    assert train(run, "train.max_steps=9", "train.valid_every=9", "train.max_bad_steps=2") == 0
    log = (run / "train.log").read_text()
    for step in (3, 5, 7):
        assert f"step {step}: loss or gradient not finite; update skipped" in log
    assert log.count("update skipped") == 3
    tensors, meta = load_tensors(run / "last.safetensors")
    assert meta["progress"]["step"] == 9
    assert finite(tensors)
    # Adam counted only the six good updates.
    steps = {float(t) for name, t in prefixed(tensors, "optim").items() if name.endswith(".step")}
    assert steps == {6.0}


def test_an_infinite_gradient_would_poison_the_weights(tmp_path, monkeypatch):
    """Why gradients are checked too: applied, this one update turns the weights into NaN."""
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", lambda *a, **k: torch.tensor(1.0))
    run = tmp_path / "run"
    inject(monkeypatch, {2: "grad"})
    train(run, "train.max_steps=3", "train.valid_every=3")
    tensors, _ = load_tensors(run / "last.safetensors")
    assert not finite(prefixed(tensors, "model"))


def test_repeated_bad_steps_stop_with_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    inject(monkeypatch, {step: "nan" for step in range(6, 100)})
    code = train(
        run,
        "train.max_steps=20",
        "train.valid_every=4",
        "train.save_every=1",
        "train.max_bad_steps=3",
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "3 non-finite losses or gradients in a row at step 8; stopping" in err
    assert f"last good checkpoint kept in {run}" in err
    tensors, meta = load_tensors(run / "last.safetensors")
    assert meta["progress"]["step"] == 5 and finite(tensors)
    best = Translator.load(run)  # the best model (step 4) is whole and usable
    assert best.translate(["Bonjour."], beam=1)[0].text is not None
    # Resuming repeats the fault (same data, same state) and stops the same way.
    assert train(run, resume=True) == 2
    assert "at step 8; stopping" in capsys.readouterr().err


def test_a_skipped_step_leaves_the_weights_alone(tmp_path, monkeypatch):
    """Weights and optimizer after a skipped step equal those before it: nothing
    half-applied, and the skipped step counts against train.max_steps."""
    before, after = tmp_path / "before", tmp_path / "after"
    assert train(before, "train.max_steps=2", "train.valid_every=2") == 0
    inject(monkeypatch, {3: "grad"})
    assert train(after, "train.max_steps=3", "train.valid_every=3") == 0
    a, _ = load_tensors(before / "last.safetensors")
    b, meta = load_tensors(after / "last.safetensors")
    assert meta["progress"]["step"] == 3
    assert a.keys() == b.keys()
    for name in a.keys() - {"rng.torch"}:  # weights and Adam moments; dropout drew numbers
        assert torch.equal(a[name], b[name]), name
