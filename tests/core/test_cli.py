"""The command line end to end on a tiny real config: train, translate, evaluate, draw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from attnseq.cli.main import main

REPO = Path(__file__).resolve().parents[2]
TINY = str(REPO / "configs" / "tiny.yaml")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    assert main(["train", TINY, "--out", str(out), "--quiet", "--set", "train.max_steps=30"]) == 0
    return out


def attnseq(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the real command in a fresh process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "attnseq", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ},
        timeout=300,
    )


def test_run_folder_contents(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {
        "config.yaml",
        "tokenizer.json",
        "model.safetensors",
        "last.safetensors",
        "metrics.jsonl",
        "train.log",
        "attention",
    } <= names
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [20, 30]
    assert all(r["valid_ppl"] > 1 and 0 <= r["valid_bleu"] <= 100 for r in records)
    assert list((run_dir / "attention").glob("step-*.png"))
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]


def test_translate_arguments_and_stdin(run_dir):
    result = attnseq("translate", str(run_dir), "Je suis content.", "Il fait froid.", "--beam", "3")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    piped = attnseq(
        "translate", str(run_dir), "--beam", "1", stdin="Bonjour.\nMerci.\nJe t'aime.\n"
    )
    assert piped.returncode == 0, piped.stderr
    assert len(piped.stdout.splitlines()) == 3


def test_nbest_lists(run_dir, capsys):
    assert main(["translate", str(run_dir), "Bonjour.", "--beam", "4", "--nbest", "3"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 3 and {r[0] for r in rows} == {"0"}
    scores = [float(r[1]) for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_attention_png_svg_json(run_dir, tmp_path, capsys):
    png = tmp_path / "heat.png"
    assert main(["attention", str(run_dir), "Je suis très content.", "-o", str(png)]) == 0
    with Image.open(png) as image:
        assert image.format == "PNG" and image.width >= 200 and image.height >= 150
    js = tmp_path / "heat.json"
    assert main(["attention", str(run_dir), "Je suis très content.", "-o", str(js)]) == 0
    doc = json.loads(js.read_text())
    weights = doc["attention"]
    assert len(weights) == len(doc["out_tokens"]) and all(
        len(r) == len(doc["src_tokens"]) for r in weights
    )
    assert doc["src_tokens"][-1] == "</s>"
    assert all(abs(sum(r) - 1) < 1e-3 for r in weights)
    svg = tmp_path / "heat.svg"
    assert main(["attention", str(run_dir), "Bonjour.", "-o", str(svg)]) == 0
    assert svg.read_text().lstrip().startswith("<?xml")


def test_evaluate_with_files(run_dir, tmp_path, capsys):
    src, ref, hyp = tmp_path / "t.fr", tmp_path / "t.en", tmp_path / "t.hyp"
    src.write_text("Je suis content.\nIl fait froid.\n")
    ref.write_text("I'm happy.\nIt's cold.\n")
    assert (
        main(
            [
                "evaluate",
                str(run_dir),
                "--src",
                str(src),
                "--ref",
                str(ref),
                "--beam",
                "2",
                "--out",
                str(hyp),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "BLEU = " in out and "nrefs:1|case:mixed" in out and "chrF = " in out
    assert "perplexity = " in out
    assert len(hyp.read_text().splitlines()) == 2


def test_evaluate_on_registry_split(run_dir, capsys):
    args = ["evaluate", str(run_dir), "--data", "tatoeba-fra-eng:test", "--beam", "1"]
    assert main([*args, "--tokenized", "--detokenized"]) == 0
    out = capsys.readouterr().out
    assert "1,342 sentences" in out
    assert "tok:none" in out and "references tokenized like the output" in out
    assert "[BLEU_13a: detokenized output, raw references]" in out
    assert "case:lc|eff:no|tok:13a" in out and "[chrF_detok:" in out


def test_tokenized_bleu_does_not_tokenize_tokenized_output():
    from attnseq.cli.evaluate_cmd import detokenized_output, tokenized_output
    from attnseq.config import config_from_dict

    data = {"dataset": "multi30k", "src_lang": "en", "tgt_lang": "fr"}
    raw = config_from_dict({"data": data})
    tok = config_from_dict({"data": {**data, "variant": "tok"}})
    assert tokenized_output(raw, ["L'herbe verte."]) == ["l&apos; herbe verte ."]
    assert tokenized_output(tok, ["l&apos; herbe verte ."]) == ["l&apos; herbe verte ."]
    assert detokenized_output(tok, ["l&apos; herbe verte ."]) == ["l'herbe verte."]
    assert detokenized_output(raw, ["L'herbe verte."]) == ["L'herbe verte."]


def test_python_api(run_dir):
    import attnseq

    out = attnseq.load(run_dir).translate(["Je suis content.", "Merci."], beam=2)
    assert len(out) == 2
    assert out[0].attention.shape == (len(out[0].out_tokens), len(out[0].src_tokens))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["translate", "no/such/run", "x"], "no/such/run: run folder not found"),
        (["train", "no-such.yaml"], "no-such.yaml: no such config file"),
        (
            ["train", TINY, "--set", "model.encoder.hiden_size=3"],
            "unknown key model.encoder.hiden_size",
        ),
        (["evaluate", "RUN", "--data", "tatoeba-fra-eng"], "expected NAME:SPLIT"),
        (["evaluate", "RUN", "--data", "tatoeba-fra-eng:nope"], "nope"),
        (["attention", "RUN", "x", "-o", "out.gif"], "unknown format"),
        (
            ["translate", "RUN", "x", "--beam", "2", "--nbest", "3"],
            "--nbest (3) must be between 1 and --beam (2)",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(run_dir, args, message, capsys):
    args = [str(run_dir) if a == "RUN" else a for a in args]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err


def test_unequal_and_invalid_user_files(tmp_path, capsys):
    src, tgt = tmp_path / "train.fr", tmp_path / "train.en"
    src.write_text("a\nb\nc\n")
    tgt.write_text("x\ny\n")
    args = [
        "train",
        TINY,
        "--out",
        str(tmp_path / "r"),
        "--quiet",
        "--set",
        f"data.train={{src: {src}, tgt: {tgt}}}",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "train.fr" in err and "train.en" in err and "3" in err and "2" in err
    tgt.write_bytes(b"x\ny\n\xff\xfe bad\n")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "train.en" in err and "line 3" in err


def test_existing_run_is_not_overwritten(run_dir, capsys):
    before = (run_dir / "model.safetensors").read_bytes()
    assert main(["train", TINY, "--out", str(run_dir), "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (run_dir / "model.safetensors").read_bytes() == before


def test_help_has_examples():
    for command in ["train", "translate", "evaluate", "attention", "data"]:
        result = attnseq(command, "--help")
        assert result.returncode == 0 and "example" in result.stdout.lower(), command


def test_translate_and_evaluate_quantized(run_dir, capsys):
    fp32 = attnseq("translate", str(run_dir), "Je suis content.", "Merci.", "--beam", "2")
    int8 = attnseq(
        "translate", str(run_dir), "Je suis content.", "Merci.", "--beam", "2", "--quantize", "int8"
    )
    assert fp32.returncode == 0 and int8.returncode == 0, int8.stderr
    assert len(int8.stdout.splitlines()) == 2
    assert "Warning" not in int8.stderr  # the deprecation noise of torch.ao stays hidden
    args = ["evaluate", str(run_dir), "--data", "tatoeba-fra-eng:test", "--beam", "1"]
    assert main([*args, "--quantize", "int8"]) == 0
    assert "1,342 sentences" in capsys.readouterr().out
