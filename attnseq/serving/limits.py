"""How much one request may ask of the server.

A public model endpoint is only as robust as its worst request: a megabyte of
text or a 30,000-pixel-wide image would hold the model for everyone else. The
limits are checked before any model work starts and are published in
``GET /v1/models`` so clients (and the web page) can respect them up front.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from attnseq.errors import ConfigError

IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")


@dataclass(frozen=True)
class Limits:
    max_chars: int = 500  # characters in one sentence or chat turn
    max_sentences: int = 32  # sentences in one translation request
    max_turns: int = 16  # turns of chat history
    max_beam: int = 10
    default_beam: int = 5
    max_body_bytes: int = 256 * 1024  # a JSON request body
    max_image_bytes: int = 5 * 1024 * 1024  # one uploaded image file
    max_image_pixels: int = 4096 * 4096

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if getattr(self, f.name) < 1:
                raise ConfigError(
                    f"serve limit {f.name}: must be positive, got {getattr(self, f.name)}"
                )
        if self.default_beam > self.max_beam:
            raise ConfigError(
                f"serve limit default_beam ({self.default_beam}) exceeds max_beam ({self.max_beam})"
            )

    @property
    def max_upload_bytes(self) -> int:
        """A multipart body holds the image plus form fields and boundaries."""
        return self.max_image_bytes + 64 * 1024

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "image_formats": list(IMAGE_FORMATS)}
