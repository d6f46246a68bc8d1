"""``attnseq chat``: talk to a chat run in the terminal (or through a pipe)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from attnseq.cli.common import add_command, decode_device
from attnseq.cli.translate_cmd import add_search_options, search_kwargs

HELP = """commands:
  /reset           forget the conversation so far
  /context         show what the model reads for its next answer
  /attention [F]   where the last answer looked in its context (F: save a .png/.svg/.json)
  /help            this text
  /quit            leave (so does end of input)"""


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "chat",
        "Chat with a trained chat run; keeps the conversation's context.",
        "attnseq chat runs/chat-dailydialog\n"
        "  attnseq chat runs/chat-dailydialog --sample --top-p 0.9 --seed 1\n"
        "  printf 'Hi!\\n/reset\\nHow are you?\\n' | attnseq chat runs/chat-dailydialog",
    )
    p.add_argument("run_dir", help="trained chat run folder (task: chat)")
    add_search_options(p, chat=True)
    p.set_defaults(func=run)


def _read_lines(interactive: bool) -> Iterator[str]:
    """Lines typed at a prompt, or read from a pipe as UTF-8."""
    if interactive:
        while True:
            try:
                yield input("you> ")
            except EOFError:
                print()
                return
    from attnseq.errors import AttnseqError

    for number, raw in enumerate(sys.stdin.buffer, 1):
        try:
            yield raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as err:
            raise AttnseqError(f"stdin: line {number} is not valid UTF-8 ({err.reason})") from None


def attention_lines(answer, top: int = 3) -> list[str]:
    """Each answer token with the context tokens it attended to most.

    Sentencepiece's word-start mark is shown as a leading underscore, so
    ``_the`` (a word) and ``re`` (the rest of one) stay distinguishable.
    """
    src = [t.replace("\u2581", "_") for t in answer.src_tokens]
    out = [t.replace("\u2581", "_") for t in answer.out_tokens]
    width = max(len(t) for t in out)
    lines = []
    for token, row in zip(out, answer.attention, strict=True):
        weights, index = row.topk(min(top, row.numel()))
        looked = "  ".join(
            f"{src[int(i)]} {float(w):.2f}" for w, i in zip(weights, index, strict=True)
        )
        lines.append(f"  {token.ljust(width)}  <- {looked}")
    return lines


def _show_attention(bot, answer, argument: str) -> list[str]:
    if answer is None:
        return ["(no answer yet)"]
    if not bot.has_attention:
        return ["(this model has no attention: model.decoder.attention is none)"]
    if argument:
        from attnseq.visualisation.heatmap import save_heatmap

        try:
            save_heatmap(
                argument,
                answer.src_tokens,
                answer.out_tokens,
                answer.attention.numpy(),
                title=answer.text,
            )
        except (ValueError, OSError) as err:
            return [f"(cannot save {argument}: {err})"]
        return [f"attention heatmap: {argument}"]
    return [f"context: {answer.source}", *attention_lines(answer)]


def run(args) -> int:
    from attnseq.api.chatbot import Chatbot

    bot = Chatbot.load(args.run_dir, device=decode_device(args))
    options = search_kwargs(args)
    options.pop("batch_size")
    interactive = sys.stdin.isatty()
    if interactive:
        print(
            f"chatting with {args.run_dir} (context: last {bot.context_turns} turns); "
            "/help for commands, /quit to leave"
        )
    history: list[str] = []
    answer = None
    turn = 0
    for line in _read_lines(interactive):
        text = line.strip()
        if not text:
            continue
        command, _, argument = text.partition(" ")
        if command == "/quit":
            break
        if command == "/reset":
            history, answer = [], None
            out = ["(conversation reset)"]
        elif command == "/context":
            out = [f"context: {bot.context(history) if history else '(empty)'}"]
        elif command == "/attention":
            out = _show_attention(bot, answer, argument.strip())
        elif command == "/help":
            out = [HELP]
        elif command.startswith("/") and len(command) > 1:
            out = [f"(unknown command {command}; /help lists them)"]
        else:
            history.append(text)
            seed = None if args.seed is None else args.seed + turn
            answer = bot.reply(history, **{**options, "seed": seed})
            history.append(answer.text)
            turn += 1
            out = [f"bot> {answer.text}" if interactive else answer.text]
        print("\n".join(out), flush=True)
    return 0
