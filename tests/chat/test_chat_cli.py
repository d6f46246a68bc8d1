"""The chatbot end to end: the Python API and ``attnseq chat`` driven through stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from attnseq.api.chatbot import Chatbot
from attnseq.api.translator import Translator
from attnseq.cli.main import main
from attnseq.data.tokenizers import load_tokenizers
from attnseq.errors import AttnseqError, CheckpointError
from attnseq.evaluation.dialogue import dialogue_scores

REPO = Path(__file__).resolve().parents[2]


def chat(run_dir, stdin: str, *args: str) -> subprocess.CompletedProcess:
    """The real command in a fresh process, its stdin a pipe."""
    return subprocess.run(
        [sys.executable, "-m", "attnseq", "chat", str(run_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
    )


def test_separator_is_one_token_in_the_vocabulary(chat_run):
    src_tok, tgt_tok = load_tokenizers(chat_run)
    for tok in (src_tok, tgt_tok):
        assert "<sep>" in tok.vocab.stoi
        pieces = tok.tokenize("How are you? <sep> Fine, thanks.")
        assert pieces.count("<sep>") == 1
        assert pieces[pieces.index("<sep>") - 1] != "\u2581"  # no stray word-boundary piece
        assert tok.tokenize("a<sep>b").count("<sep>") == 1


def test_reply_reads_the_last_turns(chat_run):
    bot = Chatbot.load(chat_run)
    assert bot.context_turns == 2
    history = ["Hello!", "Hi, how are you?", "Fine, thanks. And you?"]
    answer = bot.reply(history)
    assert answer.source == "Hi, how are you? <sep> Fine, thanks. And you?"
    assert answer.src_tokens.count("<sep>") == 1
    assert answer.attention.shape == (len(answer.out_tokens), len(answer.src_tokens))
    torch.testing.assert_close(
        answer.attention.sum(-1), torch.ones(len(answer.out_tokens)), atol=1e-5, rtol=0
    )
    # default decoding blocks repeated trigrams; the same call gives the same answer
    assert bot.reply(history).text == answer.text
    sampled = [bot.reply(history, sample=True, top_p=0.9, seed=s).text for s in range(4)]
    assert sampled == [bot.reply(history, sample=True, top_p=0.9, seed=s).text for s in range(4)]
    # a separator typed by the user is not a turn boundary
    assert bot.context(["a <sep> b"]) == "a b"
    with pytest.raises(AttnseqError):
        bot.context(["  "])
    for bad in ({"no_repeat_ngram": -1}, {"max_len": 0}, {"sample": True, "top_p": 0.0}):
        with pytest.raises(AttnseqError):
            bot.reply(history, **bad)


def test_long_context_keeps_its_last_tokens(chat_run):
    bot = Chatbot.load(chat_run)
    max_len = bot.translator.cfg.data.max_len
    long_turn = " ".join(["weather"] * 3 * max_len)
    answer = bot.reply([long_turn, "Is it sunny today?"])
    assert len(answer.src_tokens) == max_len + 1  # the last max_len tokens and EOS
    assert "".join(answer.src_tokens[-6:-1]).replace("\u2581", " ").strip().endswith("today?")


def test_chatbot_refuses_a_translation_run(chat_run, tmp_path):
    translator = Translator.load(chat_run)
    translator.cfg.task = "translation"
    with pytest.raises(CheckpointError, match="not a chat model"):
        Chatbot(translator)


def test_chat_through_stdin(chat_run):
    script = "\n".join(
        [
            "Hello!",
            "/context",
            "How are you today?",
            "/context",
            "/attention",
            "/reset",
            "/context",
            "Hello!",
            "/nonsense",
            "/quit",
            "This line comes after /quit.",
        ]
    )
    result = chat(chat_run, script + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first = lines[0]
    assert first and not first.startswith(("(", "context:"))
    assert lines[1] == f"context: Hello! <sep> {first}"
    second = lines[2]
    assert lines[3] == f"context: How are you today? <sep> {second}"
    assert lines[4] == f"context: {first} <sep> How are you today?"
    attention = lines[5 : lines.index("(conversation reset)")]
    assert attention and all("<-" in line for line in attention)
    after_reset = lines.index("(conversation reset)") + 1
    assert lines[after_reset] == "context: (empty)"
    # after /reset the bot answers "Hello!" as at the very start
    assert lines[after_reset + 1] == first
    assert lines[after_reset + 2].startswith("(unknown command /nonsense")
    assert len(lines) == after_reset + 3, "nothing is read after /quit"


def test_chat_sampling_is_reproducible_and_ends_at_eof(chat_run):
    talk = "Hi!\nWhat do you do?\nReally?\n"
    args = ("--sample", "--top-p", "0.9", "--seed", "4", "--max-len", "12")
    first = chat(chat_run, talk, *args)
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.splitlines()) == 3
    assert chat(chat_run, talk, *args).stdout == first.stdout


def test_chat_needs_a_chat_run(tmp_path):
    result = chat(tmp_path / "missing", "Hi\n")
    assert result.returncode == 2
    assert "run folder not found" in result.stderr


def test_evaluate_prints_dialogue_metrics(chat_run, tmp_path, capsys):
    out, hyp = tmp_path / "m.json", tmp_path / "valid.hyp"
    args = ["evaluate", str(chat_run), "--data", "dailydialog:valid", "--beam", "2"]
    args += ["--no-repeat-ngram", "3", "--max-len", "10", "--json", str(out), "--out", str(hyp)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    for name in ("BLEU", "perplexity", "distinct-1", "distinct-2", "generic share"):
        assert name in printed
    metrics = json.loads(out.read_text())
    responses = hyp.read_text(encoding="utf-8").split("\n")[:-1]
    assert metrics["sentences"] == len(responses) == 972
    assert metrics["distinct_2"] == dialogue_scores(responses).distinct_2
    assert metrics["repeat_3gram_share"] == 0.0
    assert metrics["perplexity"] > 1.0
    assert metrics["search"]["no_repeat_ngram"] == 3
