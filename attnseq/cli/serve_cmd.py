"""``attnseq serve``: an HTTP API and a web page for trained run folders."""

from __future__ import annotations

import ipaddress

from attnseq.cli.common import add_command, add_device_option, decode_device


def register(subparsers) -> None:
    p = add_command(
        subparsers,
        "serve",
        "Serve run folders over HTTP, with a page at / that shows the attention.",
        "attnseq serve runs/tatoeba-fr-en          # then open http://127.0.0.1:8000/\n"
        "  attnseq serve fr-en=runs/fr-en de-en=runs/de-en --port 9000",
    )
    p.add_argument(
        "run_dirs",
        nargs="+",
        metavar="RUN_DIR",
        help="trained run folder, or NAME=RUN_DIR; its config's task (translation, chat, "
        "caption) decides which route serves it; the first of each task is the default",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--threads", type=int, help="torch threads for the model (default: torch's)")
    add_device_option(p)
    batching = p.add_argument_group("server-side batching")
    batching.add_argument(
        "--max-batch", type=int, default=32, help="inputs decoded together at most (default 32)"
    )
    batching.add_argument(
        "--batch-wait-ms",
        type=float,
        default=5.0,
        help="how long the first request of a batch waits for others (default 5)",
    )
    batching.add_argument("--no-batching", action="store_true", help="run every request on its own")
    limits = p.add_argument_group("request limits (413 or 422 beyond them)")
    limits.add_argument("--max-chars", type=int, default=500, help="per sentence (default 500)")
    limits.add_argument(
        "--max-sentences", type=int, default=32, help="per translation request (default 32)"
    )
    limits.add_argument("--max-beam", type=int, default=10, help="(default 10)")
    limits.add_argument(
        "--beam", type=int, default=5, help="beam when a request names none (default 5)"
    )
    limits.add_argument(
        "--max-body-kb", type=int, default=256, help="JSON request body (default 256)"
    )
    limits.add_argument(
        "--max-image-mb", type=float, default=5.0, help="uploaded image file (default 5)"
    )
    limits.add_argument(
        "--max-image-pixels",
        type=int,
        default=4096 * 4096,
        help="width x height of an uploaded image (default 4096x4096)",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(func=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args) -> int:
    from attnseq.errors import AttnseqError

    try:
        import uvicorn

        from attnseq.serving.app import create_app
    except ImportError as err:
        raise AttnseqError(
            f"serving needs the serve extra ({err.name} is missing): pip install 'attnseq[serve]'"
        ) from None
    import torch

    from attnseq.serving.limits import Limits
    from attnseq.serving.registry import load_models

    if not 0 < args.port < 65536:
        raise AttnseqError(f"--port {args.port}: must be between 1 and 65535")
    if args.max_batch < 1 or args.batch_wait_ms < 0:
        raise AttnseqError("--max-batch must be at least 1 and --batch-wait-ms not negative")
    if args.threads is not None:
        if args.threads < 1:
            raise AttnseqError(f"--threads {args.threads}: must be at least 1")
        torch.set_num_threads(args.threads)
    limits = Limits(
        max_chars=args.max_chars,
        max_sentences=args.max_sentences,
        max_beam=args.max_beam,
        default_beam=args.beam,
        max_body_bytes=args.max_body_kb * 1024,
        max_image_bytes=int(args.max_image_mb * 1024 * 1024),
        max_image_pixels=args.max_image_pixels,
    )
    models = load_models(args.run_dirs, decode_device(args))
    app = create_app(
        models,
        limits,
        batching=not args.no_batching,
        max_batch=args.max_batch,
        max_wait_ms=args.batch_wait_ms,
    )
    for model in models:
        print(f"serving {model.name} ({model.task}) from {model.run_dir}", flush=True)
    if not _is_loopback(args.host):
        print(
            f"warning: listening on {args.host}, reachable from other machines; "
            "the API has no authentication",
            flush=True,
        )
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"open http://{shown}:{args.port}/ (API document: /docs, /openapi.json)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
