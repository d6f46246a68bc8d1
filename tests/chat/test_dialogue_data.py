"""Dialogue readers on the real mirrored files: counts, pairs, splits, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from attnseq.config import DataConfig, FilesConfig
from attnseq.data import dialogue
from attnseq.data.dialogue import (
    Dialogue,
    dialogue_pairs,
    load_dialogue_pairs,
    load_dialogues,
    read_chatterbot,
    read_dailydialog,
    read_topical_chat,
)
from attnseq.data.pipeline import load_split
from attnseq.errors import DataError

DD = Path("dialogue/dailydialog")


@pytest.mark.parametrize(
    ("name", "dialogues", "turns"),
    [
        ("en_dev_human.txt", 995, 8025),
        ("en_test_human.txt", 996, 7716),
        ("1k_part_data/dialogues_text_En.txt", 1000, 7386),
    ],
)
def test_dailydialog_files(mirror, name, dialogues, turns):
    found = read_dailydialog(mirror / DD / name)
    assert len(found) == dialogues
    assert sum(len(d.turns) for d in found) == turns
    assert all(d.turns and all(d.turns) for d in found)


def test_dailydialog_text_is_detokenized(mirror):
    first = read_dailydialog(mirror / DD / "en_dev_human.txt")[0]
    assert first.turns[:2] == ("Can you manage chopsticks?", "Why not? See.")
    assert all(" ," not in t and " ." not in t and "’" not in t for t in first.turns)
    # "it ’ s" (the 1k part's apostrophes) becomes "it's"
    turns = [
        t
        for d in read_dailydialog(mirror / DD / "1k_part_data/dialogues_text_En.txt")
        for t in d.turns
    ]
    assert any("don't" in t for t in turns)
    assert not any(" ' " in t or "’" in t for t in turns)


def test_topical_chat_files(mirror):
    folder = mirror / "dialogue" / "topical-chat"
    convs = [d for f in sorted(folder.glob("*.json.gz")) for d in read_topical_chat(f)]
    assert len(convs) == 2156
    assert sum(len(d.turns) for d in convs) == 46903
    assert convs[0].turns[0]  # non-empty text


def test_chatterbot_files(mirror):
    files = sorted((mirror / "dialogue" / "chatterbot-corpus" / "english").glob("*.yml"))
    assert len(files) == 21
    greetings = read_chatterbot(files[[f.name for f in files].index("greetings.yml")])
    assert greetings[0].turns == ("Hello", "Hi")
    convs = [d for f in files for d in read_chatterbot(f)]
    assert len(convs) == 2026
    # trivia.yml writes one conversation as a bare string: one turn, no pair
    assert sum(len(d.turns) == 1 for d in convs) == 1


@pytest.mark.parametrize(
    ("name", "sizes", "pairs"),
    [
        ("dailydialog", (2492, 150, 292), (16824, 972, 1951)),
        ("topical-chat", (1830, 113, 213), (37976, 2363, 4408)),
        ("chatterbot-corpus", (768, 35, 96), (1014, 38, 127)),
    ],
)
def test_splits_are_disjoint_by_dialogue(name, sizes, pairs):
    splits = {s: load_dialogues(name, s) for s in dialogue.SPLITS}
    assert tuple(len(splits[s]) for s in dialogue.SPLITS) == sizes
    assert tuple(len(dialogue_pairs(splits[s])) for s in dialogue.SPLITS) == pairs
    keys = {s: {d.split_key for d in ds} for s, ds in splits.items()}
    turns = {s: {tuple(d.turns) for d in ds} for s, ds in splits.items()}
    for a, b in (("train", "valid"), ("train", "test"), ("valid", "test")):
        assert not keys[a] & keys[b]
        assert not turns[a] & turns[b], f"{name}: a dialogue is in both {a} and {b}"
    # the same call gives the same split
    assert [d.id for d in load_dialogues(name, "test")] == [d.id for d in splits["test"]]


def test_context_window():
    talk = [Dialogue("x", ("a", "b", "c", "d"), "x")]
    assert dialogue_pairs(talk, 1) == [("a", "b"), ("b", "c"), ("c", "d")]
    assert dialogue_pairs(talk, 2, "<t>") == [("a", "b"), ("a <t> b", "c"), ("b <t> c", "d")]
    assert dialogue_pairs(talk, 9)[-1] == ("a <sep> b <sep> c", "d")
    with pytest.raises(DataError):
        dialogue_pairs(talk, 0)


def test_pairs_through_the_data_config():
    cfg = DataConfig(dataset="dailydialog", src_lang="en", tgt_lang="en", context_turns=3)
    pairs, dropped = load_split(cfg, "valid")
    assert dropped == 0
    assert pairs == load_dialogue_pairs("dailydialog", "valid", 3)
    assert max(p[0].count(" <sep> ") for p in pairs) == 2


def test_own_tsv_of_context_and_response(tmp_path):
    path = tmp_path / "talk.tsv"
    path.write_text("Hi <sep> Hello!\tHow are you?\nFine.\tGood.\n", encoding="utf-8")
    cfg = DataConfig(dataset=None, train=FilesConfig(tsv=str(path)))
    assert load_split(cfg, "train")[0] == [("Hi <sep> Hello!", "How are you?"), ("Fine.", "Good.")]


def test_unknown_split_and_data_set():
    with pytest.raises(DataError, match="unknown split 'dev'"):
        load_dialogues("dailydialog", "dev")
    with pytest.raises(DataError, match="not a dialogue data set"):
        load_dialogues("multi30k", "train")


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hi . __eou__ __eou__ Bye . __eou__\n", "line 1: empty turn"),
        ("Fine . __eou__\n\n__eou__\n", "line 3: empty turn"),
        ("Hi . __eou__ Yo . __eou__\t1\t1 2 3\t0 0\n", "2 turns but 3 acts"),
        ("Hi . __eou__\t1\n", "found 2 columns"),
    ],
)
def test_dailydialog_malformed(tmp_path, text, message):
    path = tmp_path / "d.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message) as err:
        read_dailydialog(path)
    assert str(path) in str(err.value)


def test_dailydialog_invalid_utf8(tmp_path):
    path = tmp_path / "d.txt"
    path.write_bytes(b"Hi . __eou__ Yo . __eou__\nCaf\xe9 . __eou__\n")
    with pytest.raises(DataError, match="line 2: invalid UTF-8"):
        read_dailydialog(path)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ('{"t_1": {"content": [{"message": "hi"}, {"agent": "agent_2"}]}}', "t_1, turn 1"),
        ('{"t_1": {"article_url": "x"}}', "t_1: no 'content'"),
        ('["not", "a", "mapping"]', "expected an object"),
        ('{"t_1": {"content": [}', "invalid JSON at line 1"),
    ],
)
def test_topical_chat_malformed(tmp_path, doc, message):
    path = tmp_path / "t.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(doc)
    with pytest.raises(DataError, match=message):
        read_topical_chat(path)


def test_topical_chat_plain_json(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"c": {"content": [{"message": " Hi  there "}]}}), "utf-8")
    assert read_topical_chat(path)[0].turns == ("Hi there",)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("conversations:\n- - Hi\n  - {a: b}\n", "conversation 0 is not a list"),
        ("categories: [x]\n", "expected a 'conversations' list"),
        ("conversations:\n- - Hi\n  - [unclosed\n", "line 4: invalid YAML"),
    ],
)
def test_chatterbot_malformed(tmp_path, doc, message):
    path = tmp_path / "c.yml"
    path.write_text(doc, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        read_chatterbot(path)
