"""Dialogue corpora: conversations in, (context, response) pairs out.

Three public formats are read, each from its registry entry:

* ``dailydialog``: one dialogue per line, every turn followed by ``__eou__``
  (the dev and test files add tab-separated label columns, ignored here);
  the text is Moses-tokenized (``Why not ? See .``, ``it ’ s``), so turns are
  detokenized to the plain text a user would type;
* ``topical-chat``: the official JSON, conversation id to a ``content``
  list of turns with a ``message``;
* ``chatterbot-corpus``: YAML files with a ``conversations`` list, each a
  list of turns (mostly one question and its answer).

Pairs come from consecutive turns: every turn after the first is a response,
and its context is the previous ``context_turns`` turns joined by a
separator token. Splits are made by dialogue, never by pair, so no dialogue
has turns in both training and test data. See :func:`split_of` for the rule
and the resulting sizes.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from attnseq.data.readers import read_lines
from attnseq.data.registry import prepare
from attnseq.errors import DataError

DAILYDIALOG = "dailydialog"
TOPICAL_CHAT = "topical-chat"
CHATTERBOT = "chatterbot-corpus"
DIALOGUE_DATASETS = (DAILYDIALOG, TOPICAL_CHAT, CHATTERBOT)
SPLITS = ("train", "valid", "test")
EOU = "__eou__"

_DAILYDIALOG_FILES = (
    "en_dev_human.txt",
    "en_test_human.txt",
    "1k_part_data/dialogues_text_En.txt",
)
_TOPICAL_FILES = (
    "valid_freq.json.gz",
    "valid_rare.json.gz",
    "test_freq.json.gz",
    "test_rare.json.gz",
)
_CHATTERBOT_DIR = "english"

Pair = tuple[str, str]


@dataclass(frozen=True)
class Dialogue:
    """One conversation: its turns in order, and where it came from (for errors and ids)."""

    id: str
    turns: tuple[str, ...]
    split_key: str  # dialogues with the same key always land in the same split


# -------------------------------------------------------------------- readers


def read_dailydialog(path: Path) -> list[Dialogue]:
    """Dialogues of a DailyDialog text file: turns separated by ``__eou__``.

    The official files end every turn with the mark; the 1k part omits the
    last one. The dev and test files add three tab-separated columns (topic,
    one dialogue act and one emotion per turn), whose counts must match the
    turns: a mismatch means a broken line. Empty turns are errors too.
    """
    dialogues = []
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        columns = line.split("\t")
        turns = [turn.strip() for turn in columns[0].split(EOU)]
        if not turns[-1]:
            turns.pop()
        where = f"{path}, line {number}"
        if not turns or not all(turns):
            raise DataError(f"{where}: empty turn (turns are separated by ' {EOU} ')")
        if len(columns) not in (1, 4):
            raise DataError(
                f"{where}: expected the text alone or text, topic, acts and emotions "
                f"(4 tab-separated columns), found {len(columns)} columns"
            )
        for label, column in zip(("acts", "emotions"), columns[2:], strict=False):
            if len(column.split()) != len(turns):
                raise DataError(
                    f"{where}: {len(turns)} turns but {len(column.split())} {label}; "
                    "the line is broken"
                )
        turns = [detokenize_dailydialog(t) for t in turns]
        dialogues.append(
            Dialogue(
                id=f"{path.name}:{number}",
                turns=tuple(turns),
                split_key=_normalized(" ".join(turns)),
            )
        )
    return dialogues


_APOSTROPHE = re.compile(r"(\w) ' (\w)")


@functools.lru_cache(maxsize=1)
def _moses_detokenizer():
    from sacremoses import MosesDetokenizer

    return MosesDetokenizer(lang="en")


def detokenize_dailydialog(turn: str) -> str:
    """``Oh , it ’ s great !`` -> ``Oh, it's great!``: what people type, and what the
    chat user's input will look like, so training text and chat input agree."""
    text = _APOSTROPHE.sub(r"\1'\2", turn.replace("’", "'"))
    return _moses_detokenizer().detokenize(text.split())


def read_topical_chat(path: Path) -> list[Dialogue]:
    """Conversations of a Topical-Chat JSON file (``.json`` or ``.json.gz``)."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise DataError(f"file not found: {path}") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: invalid JSON at line {err.lineno}: {err.msg}") from None
    except (OSError, EOFError, UnicodeDecodeError) as err:
        raise DataError(f"cannot read {path}: {err}") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected an object of conversation id -> conversation")
    dialogues = []
    for conv_id, conv in data.items():
        content = conv.get("content") if isinstance(conv, dict) else None
        if not isinstance(content, list):
            raise DataError(f"{path}: conversation {conv_id}: no 'content' list of turns")
        turns = []
        for index, turn in enumerate(content):
            message = turn.get("message") if isinstance(turn, dict) else None
            if not isinstance(message, str):
                raise DataError(
                    f"{path}: conversation {conv_id}, turn {index}: no 'message' string"
                )
            turns.append(" ".join(message.split()))
        dialogues.append(Dialogue(id=str(conv_id), turns=tuple(turns), split_key=str(conv_id)))
    return dialogues


def read_chatterbot(path: Path) -> list[Dialogue]:
    """Conversations of one chatterbot-corpus YAML file.

    Many conversations share their opening line with different answers
    (``What's up?`` has five), so the split key is the normalised first turn:
    a question and all its answers stay in one split. A conversation written
    as a bare string (``trivia.yml`` has one, a missing dash upstream) is a
    single turn, which yields no pair; anything else that is not a list of
    text turns is an error.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"file not found: {path}") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 ({err.reason} at byte {err.start})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise DataError(f"{path}{where}: invalid YAML ({getattr(err, 'problem', err)})") from None
    convs = data.get("conversations") if isinstance(data, dict) else None
    if not isinstance(convs, list):
        raise DataError(f"{path}: expected a 'conversations' list")
    dialogues = []
    for index, conv in enumerate(convs):
        if isinstance(conv, str):
            conv = [conv]
        if not isinstance(conv, list) or not all(isinstance(t, str | int | float) for t in conv):
            raise DataError(f"{path}: conversation {index} is not a list of text turns")
        turns = tuple(" ".join(str(t).split()) for t in conv)
        if not turns:
            continue
        dialogues.append(
            Dialogue(id=f"{path.name}:{index}", turns=turns, split_key=_normalized(turns[0]))
        )
    return dialogues


# ---------------------------------------------------------------- splitting


def _normalized(text: str) -> str:
    """Case and spacing do not make two dialogues different."""
    return "".join(text.lower().split())


def split_of(key: str) -> str:
    """Split of a dialogue by the sha256 of its key: 10 % test, 5 % valid, 85 % train.

    Keys: DailyDialog, the dialogue's normalised text; Topical-Chat, the
    conversation id; chatterbot-corpus, the normalised opening turn. Repeated
    dialogues are dropped first (:func:`unique_dialogues`). Resulting sizes,
    train / valid / test, dialogues then pairs:

    ================  =====================  ========================
    dailydialog       2,492 / 150 / 292      16,824 / 972 / 1,951
    topical-chat      1,830 / 113 / 213      37,976 / 2,363 / 4,408
    chatterbot-corpus 768 / 35 / 96          1,014 / 38 / 127
    ================  =====================  ========================
    """
    value = int(hashlib.sha256(key.encode("utf-8")).hexdigest(), 16) % 100
    return "test" if value < 10 else "valid" if value < 15 else "train"


def split_dialogues(dialogues: Iterable[Dialogue]) -> dict[str, list[Dialogue]]:
    splits: dict[str, list[Dialogue]] = {name: [] for name in SPLITS}
    for dialogue in dialogues:
        splits[split_of(dialogue.split_key)].append(dialogue)
    return splits


# -------------------------------------------------------------------- pairs


def join_turns(turns: Sequence[str], separator: str) -> str:
    """The text a model reads for a context: turns in order, separator between."""
    return f" {separator} ".join(turns)


def dialogue_pairs(
    dialogues: Iterable[Dialogue], context_turns: int = 1, separator: str = "<sep>"
) -> list[Pair]:
    """(context, response) for every turn after the first, in dialogue order."""
    if context_turns < 1:
        raise DataError(f"context_turns must be at least 1, got {context_turns}")
    pairs = []
    for dialogue in dialogues:
        turns = dialogue.turns
        for i in range(1, len(turns)):
            context = turns[max(0, i - context_turns) : i]
            pairs.append((join_turns(context, separator), turns[i]))
    return pairs


# ------------------------------------------------------------------ loading


def _read_all(name: str, folder: Path) -> list[Dialogue]:
    if name == DAILYDIALOG:
        found = [d for f in _DAILYDIALOG_FILES for d in read_dailydialog(folder / f)]
    elif name == TOPICAL_CHAT:
        found = [d for f in _TOPICAL_FILES for d in read_topical_chat(folder / f)]
    else:
        files = sorted((folder / _CHATTERBOT_DIR).glob("*.yml"))
        if not files:
            raise DataError(f"{folder / _CHATTERBOT_DIR}: no .yml files")
        found = [d for f in files for d in read_chatterbot(f)]
    return unique_dialogues(found)


def unique_dialogues(dialogues: Iterable[Dialogue]) -> list[Dialogue]:
    """Drop repeats of a dialogue (same turns up to case and spacing), keeping the first.

    DailyDialog's three files share 57 dialogues, chatterbot-corpus's
    ``tech_support.yml`` is 1,050 copies of 10; a repeat in test data would
    count one conversation many times, and one across splits would leak.
    """
    seen: set[tuple[str, ...]] = set()
    kept = []
    for dialogue in dialogues:
        key = tuple(_normalized(t) for t in dialogue.turns)
        if key not in seen:
            seen.add(key)
            kept.append(dialogue)
    return kept


@functools.lru_cache(maxsize=4)
def _splits(name: str, folder: str) -> dict[str, tuple[Dialogue, ...]]:
    return {k: tuple(v) for k, v in split_dialogues(_read_all(name, Path(folder))).items()}


def load_dialogues(name: str, split: str, mirror: str | None = None) -> list[Dialogue]:
    """The dialogues of one split of a registry dialogue data set (checksum-verified)."""
    if name not in DIALOGUE_DATASETS:
        raise DataError(
            f"{name!r} is not a dialogue data set; choose one of {', '.join(DIALOGUE_DATASETS)}"
        )
    if split not in SPLITS:
        raise DataError(f"{name}: unknown split {split!r}; valid: {', '.join(SPLITS)}")
    folder = prepare(name, mirror=mirror, progress=False)
    return list(_splits(name, str(folder))[split])


def load_dialogue_pairs(
    name: str,
    split: str,
    context_turns: int = 1,
    separator: str = "<sep>",
    mirror: str | None = None,
) -> list[Pair]:
    """(context, response) pairs of one split, in file order."""
    return dialogue_pairs(load_dialogues(name, split, mirror), context_turns, separator)
