"""Every limit gives a clear JSON error (413 or 422), and the server keeps working."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from serve_helpers import LIMIT_FLAGS, png_bytes

MAX_CHARS = LIMIT_FLAGS["--max-chars"]
MAX_SENTENCES = LIMIT_FLAGS["--max-sentences"]
MAX_BODY = LIMIT_FLAGS["--max-body-kb"] * 1024
MAX_IMAGE = int(LIMIT_FLAGS["--max-image-mb"] * 1024 * 1024)


def error_of(response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status and isinstance(body["error"], str) and body["error"]
    return body["error"]


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"text": "a" * (MAX_CHARS + 1)}, "text", f"at most {MAX_CHARS} characters"),
        ({"text": ["ok", "b" * (MAX_CHARS + 1)]}, "text[1]", f"at most {MAX_CHARS} characters"),
        ({"text": ["Bonjour."] * (MAX_SENTENCES + 1)}, "text", f"at most {MAX_SENTENCES} items"),
        ({"text": []}, "text", "at least 1 item"),
        ({"text": ""}, "text", "at least 1 character"),
        ({"text": "   "}, "text", "blank"),
        ({"text": 42}, "text", "valid string"),
        ({"text": "Bonjour.", "beam": 0}, "beam", "greater than or equal to 1"),
        ({"text": "Bonjour.", "beam": LIMIT_FLAGS["--max-beam"] + 1}, "beam", "less than or equal"),
        ({"text": "Bonjour.", "beam": "wide"}, "beam", "valid integer"),
        ({"text": "Bonjour.", "nbest": 2}, "nbest", "Extra inputs"),
        ({}, "text", "Field required"),
    ],
)
def test_translate_field_limits(client, body, field, words):
    message = error_of(client.post("/v1/translate", json=body), 422)
    assert message.startswith(f"{field}: "), message
    assert words in message


def test_lone_surrogate_is_rejected(client):
    raw = b'{"text": "abc\\ud800"}'
    message = error_of(
        client.post("/v1/translate", content=raw, headers={"content-type": "application/json"}),
        422,
    )
    assert message.startswith("text: ")


def test_invalid_json(client):
    response = client.post(
        "/v1/translate", content=b'{"text": "a"', headers={"content-type": "application/json"}
    )
    assert error_of(response, 422).startswith("body: not valid JSON")


def test_chat_limits(client):
    turns = ["Salut."] * (LIMIT_FLAGS["--max-sentences"] * 3)
    assert "history" in error_of(client.post("/v1/chat", json={"history": turns}), 422)
    assert "history" in error_of(client.post("/v1/chat", json={"history": []}), 422)
    long_turn = {"history": ["x" * (MAX_CHARS + 1)]}
    assert error_of(client.post("/v1/chat", json=long_turn), 422).startswith("history[0]")


def test_body_too_large_by_content_length(client):
    body = b'{"text": "' + b"a" * MAX_BODY + b'"}'
    message = error_of(
        client.post("/v1/translate", content=body, headers={"content-type": "application/json"}),
        413,
    )
    assert str(MAX_BODY) in message


def test_body_too_large_when_chunked(client):
    """A chunked upload declares no length: it is counted and cut off."""

    def chunks():
        yield b'{"text": "'
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"a" * 1024
        yield b'"}'

    response = client.post(
        "/v1/translate", content=chunks(), headers={"content-type": "application/json"}
    )
    error_of(response, 413)


def upload(client, data: bytes, name: str = "picture.png", kind: str = "image/png", **form):
    return client.post("/v1/caption", files={"image": (name, data, kind)}, data=form)


def test_image_file_too_large(client):
    noise = Image.effect_noise((200, 200), 100).convert("RGB")  # incompressible
    buffer = io.BytesIO()
    noise.save(buffer, format="PNG")
    assert MAX_IMAGE < len(buffer.getvalue()) < MAX_IMAGE + 64 * 1024
    assert "bytes" in error_of(upload(client, buffer.getvalue()), 413)


def test_upload_body_too_large(client):
    assert "request body too large" in error_of(upload(client, b"\0" * (MAX_IMAGE * 3)), 413)


def test_image_with_too_many_pixels(client):
    data = png_bytes((1200, 1000), mode="1")  # a small file, 1.2 million pixels
    assert len(data) < MAX_IMAGE
    assert "1200x1000 pixels" in error_of(upload(client, data), 413)


@pytest.mark.parametrize(
    "data, name, words",
    [
        (b"", "empty.png", "empty"),
        (b"%PDF-1.4 not an image", "doc.pdf", "not an image of a supported type"),
        (png_bytes()[:60], "cut.png", "cannot decode"),
    ],
)
def test_image_type_and_content(client, data, name, words):
    assert words in error_of(upload(client, data, name), 422)


def test_image_format_outside_the_list(client):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="TIFF")
    message = error_of(upload(client, buffer.getvalue(), "a.tiff", "image/tiff"), 422)
    assert "PNG, JPEG" in message


def test_caption_form_fields(client):
    assert "image" in error_of(client.post("/v1/caption", data={"beam": "2"}), 422)
    assert error_of(upload(client, png_bytes(), beam="0"), 422).startswith("beam")


def test_unknown_route_and_method(client):
    assert error_of(client.get("/v1/nothing"), 404)
    assert error_of(client.get("/v1/translate"), 405)


def test_server_still_serves_after_bad_requests(client):
    response = client.post("/v1/translate", json={"text": "Bonjour."})
    assert response.status_code == 200 and response.json()["translations"][0]["out_tokens"]
