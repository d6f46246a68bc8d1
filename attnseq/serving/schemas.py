"""Request and response bodies of the HTTP API.

Request models are built from the server's :class:`Limits`, so the limits are
enforced by validation (a 422 naming the field) and written into the OpenAPI
document, where clients and schema-driven fuzzers can see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)

from attnseq.serving.limits import Limits

# Tags of the ``text`` union; validation errors name the field without them.
UNION_TAGS = ("sentence", "sentences")


def _text_shape(value: object) -> str:
    """Validate a list as sentences and anything else as one sentence, so an
    error speaks of the shape the client meant instead of both shapes."""
    return "sentences" if isinstance(value, list) else "sentence"


def _check_text(text: str) -> str:
    """JSON may carry lone surrogates, which no tokenizer can read."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid Unicode (it holds a lone surrogate)") from None
    if not text.strip():
        raise ValueError("must not be blank")
    return text


class Timing(BaseModel):
    queue_ms: float = Field(description="waiting for the model (and for the batch to fill)")
    compute_ms: float = Field(description="the model call, shared by the whole batch")
    total_ms: float = Field(description="from the request's arrival to its answer")
    batch_items: int = Field(description="inputs decoded together in that call")


class TranslationOut(BaseModel):
    source: str
    translation: str
    score: float | None = Field(description="length-normalised log-probability")
    src_tokens: list[str] = Field(description="what the model read: the heatmap's columns")
    out_tokens: list[str] = Field(description="what it wrote: the heatmap's rows")
    attention: list[list[float]] = Field(description="[len(out_tokens)][len(src_tokens)]")


class TranslateResponse(BaseModel):
    model: str
    translations: list[TranslationOut]
    timing: Timing


class ChatResponse(BaseModel):
    model: str
    reply: str
    score: float | None
    src_tokens: list[str] = Field(description="the context the model read")
    out_tokens: list[str]
    attention: list[list[float]] = Field(description="[len(out_tokens)][len(src_tokens)]")
    timing: Timing


class CaptionResponse(BaseModel):
    model: str
    caption: str
    score: float | None
    out_tokens: list[str]
    attention: list[list[float]] = Field(description="[len(out_tokens)][grid_h * grid_w]")
    grid: list[int] = Field(description="[grid_h, grid_w]: the image regions attended over")
    image: dict[str, int] = Field(description="width and height of the uploaded image")
    timing: Timing


class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    task: str


class ModelsResponse(BaseModel):
    models: list[ModelInfo]
    defaults: dict[str, str] = Field(description="the model used for each task when none is named")
    limits: dict


class Health(BaseModel):
    status: str
    models: int


class ErrorResponse(BaseModel):
    error: str
    status: int
    details: list | None = None


@dataclass
class RequestModels:
    translate: type[BaseModel]
    chat: type[BaseModel]


def request_models(limits: Limits) -> RequestModels:
    Text = Annotated[
        str,
        StringConstraints(min_length=1, max_length=limits.max_chars),
        AfterValidator(_check_text),
    ]
    Beam = Annotated[int, Field(ge=1, le=limits.max_beam, description="beam size; 1 is greedy")]
    ModelName = Annotated[
        str | None, Field(max_length=200, description="a name from /v1/models; default: the first")
    ]

    class TranslateRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        text: Annotated[
            Annotated[Text, Tag("sentence")]
            | Annotated[
                list[Text],
                Field(min_length=1, max_length=limits.max_sentences),
                Tag("sentences"),
            ],
            Discriminator(_text_shape),
        ] = Field(description="one sentence, or a list of sentences")
        beam: Beam = limits.default_beam
        model: ModelName = None

    class ChatRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")
        history: Annotated[list[Text], Field(min_length=1, max_length=limits.max_turns)] = Field(
            description="the conversation so far, oldest turn first; the last is the user's"
        )
        beam: Beam = limits.default_beam
        model: ModelName = None

    return RequestModels(TranslateRequest, ChatRequest)
