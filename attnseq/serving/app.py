"""The FastAPI application: routes, error shapes and the web page.

Every error, whether raised by validation, a limit, an unknown model or the
model itself, leaves as ``{"error": message, "status": code}`` so a client
needs one code path. Model work runs on one worker thread per model through
the micro-batcher; the event loop only parses, validates and answers.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route
# annotations at definition time, and the request models are built per app.

import logging
import math
import time
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import attnseq
from attnseq.errors import AttnseqError
from attnseq.serving.batcher import MicroBatcher, QueueFull
from attnseq.serving.body_limit import BodyLimitMiddleware
from attnseq.serving.images import ImageRejected, open_image
from attnseq.serving.limits import Limits
from attnseq.serving.registry import TASKS, ServedModel
from attnseq.serving.schemas import (
    UNION_TAGS,
    CaptionResponse,
    ChatResponse,
    ErrorResponse,
    Health,
    ModelsResponse,
    Timing,
    TranslateResponse,
    TranslationOut,
    request_models,
)

STATIC = Path(__file__).parent / "static"
PAGE_HEADERS = {
    # The page loads nothing from elsewhere and runs no inline script.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'",
    "X-Content-Type-Options": "nosniff",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        404: "no such model, or no model of this task is served",
        413: "request body or image too large",
        422: "invalid request: the message names the field",
        503: "too many requests are waiting",
    }.items()
}
log = logging.getLogger("attnseq.serve")


class Server:
    """The served models, their batchers and defaults."""

    def __init__(
        self, models: list[ServedModel], batching: bool, max_batch: int, max_wait_ms: float
    ):
        self.models = {m.name: m for m in models}
        self.defaults: dict[str, ServedModel] = {}
        for m in models:
            self.defaults.setdefault(m.task, m)
        self.executors = {m.name: ThreadPoolExecutor(1, thread_name_prefix=m.name) for m in models}
        self.batchers = {
            m.name: MicroBatcher(
                m.run_batch,
                self.executors[m.name],
                max_batch=max_batch if batching else 1,
                max_wait_ms=max_wait_ms if batching else 0.0,
            )
            for m in models
        }

    def pick(self, task: str, name: str | None) -> ServedModel:
        if name is None:
            if task not in self.defaults:
                raise HTTPException(404, f"no {task} model loaded")
            return self.defaults[task]
        model = self.models.get(name)
        if model is None:
            served = ", ".join(sorted(self.models)) or "none"
            raise HTTPException(404, f"unknown model {name!r}; served: {served}")
        if model.task != task:
            raise HTTPException(404, f"model {name!r} is a {model.task} model, not {task}")
        return model

    async def run(self, model: ServedModel, items: list[Any], options: Hashable):
        """Results and timing, with model failures turned into this request's error only."""
        arrived = time.perf_counter()
        try:
            done = await self.batchers[model.name].submit(items, options)
        except QueueFull as err:
            raise HTTPException(503, f"server busy: {err}; retry shortly") from None
        except AttnseqError as err:
            raise HTTPException(422, str(err)) from None
        except Exception:
            log.exception("model %s failed on a request", model.name)
            raise HTTPException(500, f"model {model.name!r} failed on this input") from None
        timing = Timing(
            queue_ms=round(done.queue_ms, 2),
            compute_ms=round(done.compute_ms, 2),
            total_ms=round((time.perf_counter() - arrived) * 1000, 2),
            batch_items=done.batch_items,
        )
        return done.results, timing

    async def close(self) -> None:
        for batcher in self.batchers.values():
            await batcher.close()
        for executor in self.executors.values():
            executor.shutdown(wait=False, cancel_futures=True)


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _matrix(rows: Any) -> list[list[float]]:
    rows = rows.tolist() if hasattr(rows, "tolist") else rows
    return [[round(float(w), 5) for w in row] for row in rows]


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc[1:] if loc and loc[0] in ("body", "query", "path") else loc:
        if part in UNION_TAGS:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _detail(error: dict) -> dict:
    if error.get("type") == "json_invalid":
        reason = error.get("ctx", {}).get("error", "")
        return {"field": "body", "message": f"not valid JSON ({reason})"}
    return {"field": _field_path(tuple(error.get("loc", ()))), "message": error.get("msg", "")}


def _install_error_handlers(app: FastAPI) -> None:
    def error(status: int, message: str, details: list | None = None) -> JSONResponse:
        body = {"error": message, "status": status}
        if details:
            body["details"] = details
        return JSONResponse(body, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        details = [_detail(e) for e in exc.errors()]
        message = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return error(422, message or "invalid request", details)

    @app.exception_handler(Exception)
    async def crashed(_request: Request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        return error(500, "internal server error; the server log has the details")


def create_app(
    models: list[ServedModel],
    limits: Limits | None = None,
    batching: bool = True,
    max_batch: int = 32,
    max_wait_ms: float = 5.0,
) -> FastAPI:
    """The application serving ``models``; see ``attnseq serve --help`` for the knobs."""
    limits = limits or Limits()
    server = Server(models, batching, max_batch, max_wait_ms)
    schemas = request_models(limits)
    TranslateRequest, ChatRequest = schemas.translate, schemas.chat

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await server.close()

    app = FastAPI(
        title="attnseq",
        version=attnseq.__version__,
        description="Attention-based sequence-to-sequence models: every answer carries "
        "the attention weights that produced it.",
        lifespan=lifespan,
    )
    app.state.server = server
    app.state.limits = limits
    _install_error_handlers(app)

    def body_limit(path: str) -> int:
        return limits.max_upload_bytes if path == "/v1/caption" else limits.max_body_bytes

    app.add_middleware(BodyLimitMiddleware, limit_for=body_limit)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    @app.get("/healthz", response_model=Health)
    async def healthz():
        return Health(status="ok", models=len(server.models))

    @app.get("/v1/models", response_model=ModelsResponse)
    async def list_models():
        return ModelsResponse(
            models=[m.describe() for m in server.models.values()],
            defaults={task: m.name for task, m in server.defaults.items()},
            limits={**limits.to_dict(), "tasks": list(TASKS)},
        )

    @app.post("/v1/translate", response_model=TranslateResponse, responses=ERRORS)
    async def translate(request: TranslateRequest):
        """Translate one sentence or a list; each comes with its attention matrix."""
        model = server.pick("translation", request.model)
        texts = [request.text] if isinstance(request.text, str) else request.text
        results, timing = await server.run(model, texts, (request.beam,))
        out = []
        for result in results:
            d = result.to_dict()
            d["score"] = _finite(d["score"])
            out.append(TranslationOut(**d))
        return TranslateResponse(model=model.name, translations=out, timing=timing)

    @app.post("/v1/chat", response_model=ChatResponse, responses=ERRORS)
    async def chat(request: ChatRequest):
        """Reply to a conversation; the attention runs over the context tokens."""
        model = server.pick("chat", request.model)
        (result,), timing = await server.run(model, [list(request.history)], (request.beam,))
        return ChatResponse(
            model=model.name,
            reply=result.text,
            score=_finite(result.score),
            src_tokens=list(result.src_tokens),
            out_tokens=list(result.out_tokens),
            attention=_matrix(result.attention),
            timing=timing,
        )

    @app.post("/v1/caption", response_model=CaptionResponse, responses=ERRORS)
    async def caption(
        image: Annotated[UploadFile, File(description="PNG, JPEG, WebP, GIF or BMP")],
        beam: Annotated[int, Form(ge=1, le=limits.max_beam)] = limits.default_beam,
        model: Annotated[str | None, Form(max_length=200)] = None,
    ):
        """Describe an uploaded image; the attention runs over a grid of image regions."""
        data = await image.read(limits.max_image_bytes + 1)
        try:
            picture = await run_in_threadpool(open_image, data, limits)
        except ImageRejected as err:
            raise HTTPException(err.status, str(err)) from None
        served = server.pick("caption", model)
        (result,), timing = await server.run(served, [picture], (beam,))
        return CaptionResponse(
            model=served.name,
            caption=result.text,
            score=_finite(result.score),
            out_tokens=list(result.out_tokens),
            attention=_matrix(result.attention),
            grid=[int(g) for g in result.grid],
            image={"width": picture.width, "height": picture.height},
            timing=timing,
        )

    return app
