"""Property-based tests: arbitrary text through readers, tokenizers and batching.

Whatever the bytes (any Unicode, control characters, NUL, CR, BOMs, invalid
UTF-8, empty or long lines, files of unequal length), every function either
returns the right answer or raises a DataError naming the file and line:
never another exception, never a hang. Examples are derandomized so every run
tests the same cases; the counts are in the README's Reliability section.
"""

from __future__ import annotations

import faulthandler
import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attnseq.data.batching import batch_indices, collate
from attnseq.data.pipeline import encode_pairs
from attnseq.data.readers import read_lines, read_parallel, read_tsv
from attnseq.data.tokenizers import (
    BOS,
    EOS,
    PAD,
    SPECIALS,
    Vocab,
    WordTokenizer,
    decode,
    encode,
    load_tokenizers,
)
from attnseq.errors import DataError

FUZZ = settings(
    derandomize=True,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HANG_LIMIT = 600  # seconds per test; only a hang gets near it, and then the suite dies loudly


@pytest.fixture(autouse=True)
def no_hangs():
    """A hanging example ends the run with every thread's traceback instead of stalling CI."""
    faulthandler.dump_traceback_later(HANG_LIMIT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


# Any text, control characters included; lone surrogates only where a str can carry them.
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
ANY_STR = st.text(  # what a str can hold: lone surrogates come from argv bytes and JSON
    st.one_of(st.characters(exclude_categories=()), st.characters(categories=["Cs", "Cc"])),
    max_size=60,
)
LINE_BYTES = st.one_of(
    TEXT.map(lambda s: s.encode("utf-8")),
    st.binary(max_size=40),  # mostly invalid UTF-8
    st.sampled_from([b"", b"\r", b"\xef\xbb\xbf", b"\x00", b"\t", b" \t \r"]),
)


def expected_lines(data: bytes) -> list[str] | None:
    """The reader's contract: lines end at b"\\n"; a trailing CR goes; a leading BOM goes;
    None when some line is not UTF-8."""
    raw = data.split(b"\n")
    if raw[-1] == b"":
        raw.pop()
    try:
        lines = [line.decode("utf-8") for line in raw]
    except UnicodeDecodeError:
        return None
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    return [line.rstrip("\r\n") for line in lines]


def first_bad_line(data: bytes) -> int:
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    raise AssertionError("all lines decode")


@FUZZ
@given(lines=st.lists(LINE_BYTES, max_size=12), gz=st.booleans(), newline=st.booleans())
def test_read_lines(tmp_path, lines, gz, newline):
    data = b"\n".join(lines) + (b"\n" if newline and lines else b"")
    path = tmp_path / ("f.txt.gz" if gz else "f.txt")
    path.write_bytes(gzip.compress(data) if gz else data)
    want = expected_lines(data)
    if want is None:
        with pytest.raises(DataError, match=rf"{path}, line {first_bad_line(data)}: invalid UTF-8"):
            read_lines(path)
    else:
        assert read_lines(path) == want


@FUZZ
@given(garbage=st.binary(max_size=200))
def test_corrupt_gzip_is_a_data_error(tmp_path, garbage):
    path = tmp_path / "f.txt.gz"
    path.write_bytes(gzip.compress(b"hello\n")[:10] + garbage)
    try:
        lines = read_lines(path)
    except DataError as err:
        assert str(path) in str(err)
    else:
        assert all(isinstance(line, str) for line in lines)


def _strip_pairs(src: list[str], tgt: list[str]) -> tuple[list[tuple[str, str]], int]:
    pairs = [(a.strip(), b.strip()) for a, b in zip(src, tgt, strict=True)]
    kept = [(a, b) for a, b in pairs if a and b]
    return kept, len(pairs) - len(kept)


@FUZZ
@given(src=st.lists(TEXT, max_size=10), tgt=st.lists(TEXT, max_size=10))
def test_read_parallel(tmp_path, src, tgt):
    src = [line.replace("\n", " ") for line in src]
    tgt = [line.replace("\n", " ") for line in tgt]
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes("".join(line + "\n" for line in src).encode("utf-8"))
    b.write_bytes("".join(line + "\n" for line in tgt).encode("utf-8"))
    want_src, want_tgt = expected_lines(a.read_bytes()), expected_lines(b.read_bytes())
    if len(want_src) != len(want_tgt):
        with pytest.raises(DataError) as caught:
            read_parallel(a, b)
        message = str(caught.value)
        assert f"{a} has {len(want_src)} lines" in message
        assert f"{b} has {len(want_tgt)} lines" in message
        return
    text = read_parallel(a, b)
    assert (text.pairs, text.dropped_empty) == _strip_pairs(want_src, want_tgt)


@FUZZ
@given(
    lines=st.lists(TEXT.map(lambda s: s.replace("\n", " ")), max_size=10),
    columns=st.tuples(st.integers(0, 3), st.integers(0, 3)),
)
def test_read_tsv(tmp_path, lines, columns):
    path = tmp_path / "f.tsv"
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8"))
    decoded = expected_lines(path.read_bytes())
    needed = max(columns) + 1
    short = [
        n for n, line in enumerate(decoded, 1) if line.strip() and len(line.split("\t")) < needed
    ]
    if short:
        with pytest.raises(DataError, match=rf"{path}, line {short[0]}: expected at least"):
            read_tsv(path, *columns)
        return
    rows = [line.split("\t") if line.strip() else ["", "", "", ""] for line in decoded]
    text = read_tsv(path, *columns)
    src = [row[columns[0]] for row in rows]
    tgt = [row[columns[1]] for row in rows]
    assert (text.pairs, text.dropped_empty) == _strip_pairs(src, tgt)


def test_huge_and_empty_lines(tmp_path):
    """A line of 5 MB and runs of empty lines: read whole, dropped and counted."""
    big = "mot " * 1_250_000
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(f"\n\n{big}\nBonjour.\n\n", encoding="utf-8")
    b.write_text(f"x\n\n{big}\nHello.\n\n", encoding="utf-8")
    text = read_parallel(a, b)
    assert text.pairs == [(big.strip(), big.strip()), ("Bonjour.", "Hello.")]
    assert text.dropped_empty == 3


# ---------------------------------------------------------------- tokenizers


@pytest.fixture(scope="module")
def tokenizers(trained_run):
    """The sentencepiece tokenizers of a run trained on real Tatoeba pairs."""
    return load_tokenizers(trained_run)


# Text that spells the specials, between arbitrary strings.
SPELLED = st.lists(st.one_of(st.sampled_from([*SPECIALS, "le", "chat"]), ANY_STR), max_size=8).map(
    " ".join
)


WORD = {
    "moses": WordTokenizer(
        Vocab([*SPECIALS, "le", "chat", ".", "&", "<", "s", ">"]), "fr", True, False
    ),
    "whitespace": WordTokenizer(Vocab([*SPECIALS, "le", "chat", "</s>x"]), "fr", False, True),
}


def _check_round_trip(tokenizer, text: str) -> None:
    ids = encode(tokenizer, text)
    assert all(isinstance(i, int) and 0 <= i < len(tokenizer.vocab) for i in ids)
    assert not {PAD, BOS, EOS} & set(ids), "text must never become structure tokens"
    assert isinstance(decode(tokenizer, ids), str)


@FUZZ
@given(text=st.one_of(ANY_STR, SPELLED))
def test_sentencepiece_takes_any_string(tokenizers, text):
    for tokenizer in tokenizers:
        _check_round_trip(tokenizer, text)


@FUZZ
@given(text=SPELLED, kind=st.sampled_from(sorted(WORD)))
def test_word_tokenizers_take_any_string(text, kind):
    _check_round_trip(WORD[kind], text)


@FUZZ
@given(ids=st.lists(st.integers(0, 10**6), max_size=40))
def test_any_ids_decode(tokenizers, ids):
    for tokenizer in tokenizers:
        assert isinstance(decode(tokenizer, [i % len(tokenizer.vocab) for i in ids]), str)


@settings(FUZZ, max_examples=100)
@given(
    pairs=st.lists(st.tuples(ANY_STR, ANY_STR), max_size=8),
    max_len=st.one_of(st.none(), st.integers(1, 30)),
)
def test_encoding_pairs_keeps_or_counts_every_pair(tokenizers, pairs, max_len):
    src, tgt = tokenizers
    out = encode_pairs(pairs, src, tgt, max_len)
    assert len(out.examples) + out.dropped_empty + out.dropped_long == len(pairs)
    assert len(out.pairs) == len(out.examples)
    for s, t in out.examples:
        assert s and t
        assert max_len is None or (len(s) <= max_len and len(t) <= max_len)


# ---------------------------------------------------------------- batching


LENGTHS = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), max_size=200)


@settings(FUZZ, max_examples=300)
@given(
    lengths=LENGTHS,
    budget=st.integers(1, 5000),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**31),
    epoch=st.integers(0, 1000),
)
def test_batches_cover_every_example_once_within_budget(lengths, budget, shuffle, seed, epoch):
    batches = batch_indices(lengths, budget, shuffle=shuffle, seed=seed, epoch=epoch)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(batches)
    for batch in batches:
        cost = len(batch) * (max(max(lengths[i]) for i in batch) + 1)
        assert cost <= budget or len(batch) == 1, "only a lone over-long example may exceed"
    assert batches == batch_indices(lengths, budget, shuffle=shuffle, seed=seed, epoch=epoch)


@FUZZ
@given(
    examples=st.lists(
        st.tuples(
            st.lists(st.integers(4, 99), max_size=12), st.lists(st.integers(4, 99), max_size=12)
        ),
        min_size=1,
        max_size=10,
    ),
)
def test_collate_any_examples(examples):
    batch = collate(examples, list(range(len(examples))))
    assert batch.num_tokens == sum(len(t) + 1 for _, t in examples)
    for row, (src, tgt) in enumerate(examples):
        assert int(batch.src_lengths[row]) == len(src) + 1
        assert batch.src[row, : len(src) + 1].tolist() == [*src, EOS]
        assert batch.tgt_in[row, : len(tgt) + 1].tolist() == [BOS, *tgt]
        assert batch.tgt_out[row, : len(tgt) + 1].tolist() == [*tgt, EOS]
        assert (batch.tgt_out[row, len(tgt) + 1 :] == PAD).all()


def test_one_sentence_over_any_budget_gets_a_batch_alone():
    batches = batch_indices([(2, 3), (500, 400), (1, 1)], 50, shuffle=False)
    assert [1] in batches and sorted(map(len, batches)) == [1, 2]


def test_path_arguments_are_data_errors(tmp_path: Path):
    with pytest.raises(DataError, match="file not found"):
        read_lines(tmp_path)  # a folder, not a file
    with pytest.raises(DataError, match="file not found"):
        read_parallel(tmp_path / "missing.fr", tmp_path / "missing.en")
