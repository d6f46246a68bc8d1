"""Pharaoh and gold alignment files, and AER, on the real WPT 2003 gold file."""

from __future__ import annotations

from pathlib import Path

import pytest

from attnseq.alignment.aer import alignment_scores
from attnseq.alignment.files import (
    GoldLinks,
    check_ranges,
    format_links,
    parse_links,
    read_gold,
    read_line_pairs,
    read_pharaoh,
    reverse_links,
)
from attnseq.cli.main import main
from attnseq.errors import DataError


@pytest.fixture(scope="module")
def wpt(mirror) -> dict[str, Path]:
    folder = mirror / "alignment" / "enfr_wpt03"
    return {"en": folder / "enfr.src", "fr": folder / "enfr.tgt", "gold": folder / "enfr.talp"}


def test_real_gold_file(wpt):
    gold = read_gold(wpt["gold"])  # .talp: 1-based
    en, fr = read_line_pairs(wpt["en"], wpt["fr"])
    assert len(gold) == len(en) == len(fr) == 447
    # The published test set: 4,038 sure links, 17,438 links in all (sure or possible).
    assert sum(len(g.sure) for g in gold) == 4038
    assert sum(len(g.possible) for g in gold) == 17438
    for number, (g, e, f) in enumerate(zip(gold, en, fr, strict=True), 1):
        assert g.sure <= g.possible
        check_ranges(g.possible, len(e.split()), len(f.split()), f"line {number}")
    # Line 20: "in view of this , ..." / "pour cette raison , ..."; talp 10-11 is sure.
    assert (9, 10) in gold[19].sure and (8, 5) in gold[19].possible - gold[19].sure
    # Line 1: "2 ." / "2 ." aligned to itself.
    assert gold[0] == GoldLinks({(0, 0), (1, 1)}, {(0, 0), (1, 1)})


def test_aer_on_a_hand_checked_example(tmp_path):
    # Pair 1: S={0-0, 1-1}, P=S+{1-2}, A={0-0, 1-2, 2-2}: |A&S|=1, |A&P|=2.
    # Pair 2: S=P={0-0}, A={0-0}.
    # Corpus: |A|=4, |S|=3, |A&S|=2, |A&P|=3 -> AER = 1 - 5/7, P = 3/4, R = 2/3.
    gold = tmp_path / "gold.txt"
    gold.write_text("0-0 1-1 1p2\n0-0\n")
    hyp = tmp_path / "hyp.txt"
    hyp.write_text("0-0 1-2 2-2\n0-0\n")
    scores = alignment_scores(read_pharaoh(hyp), read_gold(gold))
    assert scores.aer == pytest.approx(2 / 7)
    assert scores.precision == pytest.approx(3 / 4)
    assert scores.recall == pytest.approx(2 / 3)
    first = alignment_scores(read_pharaoh(hyp)[:1], read_gold(gold)[:1])
    assert first.aer == pytest.approx(0.4)


def test_gold_scores_itself_perfectly_and_reversal_matters(wpt, tmp_path, capsys):
    gold = read_gold(wpt["gold"])
    hyp = tmp_path / "sure.align"
    hyp.write_text("".join(format_links(g.sure) + "\n" for g in gold))
    perfect = alignment_scores(read_pharaoh(hyp), gold)
    assert perfect.aer == 0.0 and perfect.precision == 1.0 and perfect.recall == 1.0
    flipped = [reverse_links(links) for links in read_pharaoh(hyp)]
    assert alignment_scores(flipped, gold).aer > 0.5
    assert main(["evaluate-alignment", str(hyp), str(wpt["gold"]), "--json"]) == 0
    assert '"aer": 0.0' in capsys.readouterr().out


def test_pharaoh_round_trip_and_errors(tmp_path):
    links = {(3, 0), (0, 1), (1, 1)}
    line = format_links(links)
    assert line == "3-0 0-1 1-1"
    assert parse_links(line).sure == links
    assert parse_links("1-1 2p3", one_based=True) == GoldLinks({(0, 0)}, {(0, 0), (1, 2)})
    bad = tmp_path / "bad.align"
    bad.write_text("0-0\n0-0 1:2\n")
    with pytest.raises(DataError, match=r"bad.align, line 2: '1:2'"):
        read_pharaoh(bad)
    zero = tmp_path / "zero.talp"
    zero.write_text("0-1\n")
    with pytest.raises(DataError, match="index 0 in a 1-based file"):
        read_gold(zero)
    with pytest.raises(DataError, match="link 5-0 is outside"):
        check_ranges({(5, 0)}, 3, 3, "pair 1")
    with pytest.raises(DataError, match="hypothesis alignments but"):
        alignment_scores([set()], [])


def test_evaluate_alignment_cli_names_the_bad_line(tmp_path, capsys):
    gold = tmp_path / "g.txt"
    gold.write_text("0-0\n")
    hyp = tmp_path / "h.txt"
    hyp.write_text("0-x\n")
    assert main(["evaluate-alignment", str(hyp), str(gold)]) == 2
    assert "h.txt, line 1" in capsys.readouterr().err
