"""Check an uploaded image before it reaches a model.

Pillow reads only the header to learn the format and size, so a tiny file that
claims to be 50,000 pixels wide (a decompression bomb) is refused before it is
decoded; our pixel limit is far below Pillow's own bomb threshold. Only a few common formats are accepted.
"""

from __future__ import annotations

import io

from PIL import Image

from attnseq.serving.limits import IMAGE_FORMATS, Limits


class ImageRejected(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def open_image(data: bytes, limits: Limits) -> Image.Image:
    """An RGB image, or ImageRejected with 413 (too big) or 422 (not an image we read)."""
    if not data:
        raise ImageRejected(422, "image: the uploaded file is empty")
    if len(data) > limits.max_image_bytes:
        raise ImageRejected(
            413, f"image: {len(data)} bytes; the limit is {limits.max_image_bytes} bytes"
        )
    accepted = ", ".join(IMAGE_FORMATS)
    try:
        image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    except Image.DecompressionBombError:
        raise ImageRejected(413, "image: too many pixels") from None
    except Exception:
        raise ImageRejected(422, f"image: not an image of a supported type ({accepted})") from None
    width, height = image.size
    if width * height > limits.max_image_pixels:
        raise ImageRejected(
            413,
            f"image: {width}x{height} pixels; the limit is {limits.max_image_pixels} pixels",
        )
    try:
        image.load()
        return image.convert("RGB")
    except Exception as err:
        raise ImageRejected(422, f"image: cannot decode the {image.format} file ({err})") from None
