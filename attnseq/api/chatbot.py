"""Talk to a trained chat run: the API the terminal chat and the server share.

::

    from attnseq.api.chatbot import Chatbot

    bot = Chatbot.load("runs/chat-dailydialog")
    history = ["Hi, how are you?"]
    answer = bot.reply(history)          # an attnseq.api.translator.Translation
    history.append(answer.text)

A chat model is the translation model trained on (context, response) pairs:
the context is the last ``data.context_turns`` turns joined by the
separator token, exactly as in training. ``answer.source`` is that joined
context and ``answer.attention`` is over its tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from attnseq.api.translator import Translation, Translator
from attnseq.data.dialogue import join_turns
from attnseq.errors import AttnseqError, CheckpointError

# What suits conversation unless the caller says otherwise: beam search that
# never repeats a trigram within an answer (plain beam search loops) and
# penalises its first words by what it would say to anything (MMI-antiLM;
# weight chosen on DailyDialog's validation dialogues, docs/results.md).
CHAT_DEFAULTS = {"beam": 5, "no_repeat_ngram": 3, "anti_lm": 0.7}


class Chatbot:
    def __init__(self, translator: Translator):
        if translator.cfg.task != "chat":
            where = translator.run_dir or "this model"
            raise CheckpointError(
                f"{where}: trained for task {translator.cfg.task!r}, not a chat model (task: chat)"
            )
        self.translator = translator
        self.context_turns = translator.cfg.data.context_turns
        self.separator = translator.cfg.data.turn_separator

    @classmethod
    def load(cls, run_dir: str | Path, device: str = "cpu") -> Chatbot:
        return cls(Translator.load(run_dir, device=device))

    @property
    def has_attention(self) -> bool:
        return self.translator.has_attention

    def context(self, history: Sequence[str]) -> str:
        """The text the model reads for the next answer: the last turns, joined.

        A separator typed inside a turn would fake a turn boundary, so it is
        replaced by a space.
        """
        turns = [" ".join(t.replace(self.separator, " ").split()) for t in history]
        turns = [t for t in turns if t]
        if not turns:
            raise AttnseqError("the conversation is empty: say something first")
        return join_turns(turns[-self.context_turns :], self.separator)

    def reply(self, history: Sequence[str], **search_options) -> Translation:
        """The answer to the last turn of ``history`` (turns in order, any speaker).

        ``search_options`` are those of :meth:`Translator.translate` (``beam``,
        ``no_repeat_ngram``, ``sample``, ``top_p``, ``seed``, ...), defaulting
        to :data:`CHAT_DEFAULTS`.
        """
        options = {**CHAT_DEFAULTS, **search_options}
        return self.translator.translate([self.context(history)], **options)[0]
