"""Refuse oversized request bodies before they are read into memory.

Content-Length is checked first, but a chunked upload has none, so the bytes
are also counted as they arrive: past the limit the client gets its 413 at once
and the application is told the client left, so it stops reading. The
answer is a 413 in the same JSON shape as every other error.
"""

from __future__ import annotations

import json
from collections.abc import Callable


def error_body(status: int, message: str) -> bytes:
    return json.dumps({"error": message, "status": status}).encode()


class BodyLimitMiddleware:
    """ASGI middleware; ``limit_for(path)`` gives the byte limit for that path."""

    def __init__(self, app, limit_for: Callable[[str], int]):
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        message = f"request body too large: the limit for {scope['path']} is {limit} bytes"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _send_413(send, message)
            return

        received = 0
        started = rejected = False

        async def counting_receive():
            # Past the limit, answer 413 at once and tell the app the client left.
            nonlocal received, rejected
            if rejected:
                return {"type": "http.disconnect"}
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    rejected = True
                    if not started:
                        await _send_413(send, message)
                    return {"type": "http.disconnect"}
            return event

        async def tracking_send(event):
            nonlocal started
            if rejected:
                return  # the 413 is out; whatever the app answers is dropped
            if event["type"] == "http.response.start":
                started = True
            await send(event)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception:
            if not rejected:
                raise


async def _send_413(send, message: str) -> None:
    body = error_body(413, message)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
