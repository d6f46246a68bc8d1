"""Old import paths of moved modules still work, and say where the names went."""

from __future__ import annotations

import importlib

import pytest

MOVED = [
    ("attnseq.inference", "Translator", "attnseq.api.translator"),
    ("attnseq.inference", "load_run", "attnseq.runs"),
    ("attnseq.conversation", "Chatbot", "attnseq.api.chatbot"),
    ("attnseq.captioning", "Captioner", "attnseq.api.captioner"),
    ("attnseq.aligner", "Aligner", "attnseq.api.aligner"),
    ("attnseq.unk_replace", "replace_all", "attnseq.api.unk_replace"),
    ("attnseq.word_alignment", "symmetrize", "attnseq.alignment.extract"),
    ("attnseq.data.alignments", "read_gold", "attnseq.alignment.files"),
    ("attnseq.evaluation.alignment", "alignment_scores", "attnseq.alignment.aer"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED)
def test_old_path_gives_the_same_object_with_a_warning_naming_the_new_one(old, name, new):
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"moved to {new}\.{name}"):
        found = getattr(module, name)
    assert found is getattr(importlib.import_module(new), name)


def test_a_name_that_never_existed_is_an_attribute_error():
    module = importlib.import_module("attnseq.inference")
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        module.Nope  # noqa: B018
