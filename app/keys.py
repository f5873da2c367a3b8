"""Optional API keys: on a shared deployment, only the apps given a key call the API.

Set `VQADEMO_API_KEYS` (comma-separated keys) or `VQADEMO_API_KEYS_FILE` (one sha256 hex
digest of a key per line, so the server never holds the keys themselves; `#` starts a
comment). Then every `/api/*` and `/v2/*` route needs `Authorization: Bearer <key>`, and
answers 401 with a JSON error otherwise; health, readiness, metrics and the page stay
open (probes and people use them).

The page keeps working for people: loading it sets a same-origin cookie (HttpOnly,
SameSite=Strict) that the page's own calls carry, so a person needs no key. Anyone can
load the page too, so a determined script can get that cookie: keys keep other apps
from calling the API casually and name who calls, and the fair share per client
(`app.fairness`) bounds what anyone gets. The cookie's value is derived from the key
digests, so every worker and replica with the same keys accepts it.

Keys are compared as sha256 digests with `hmac.compare_digest`, against every digest
(no early exit), and never logged: the settings hold them as secrets.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import error_response

API_PREFIXES = ("/api/", "/v2/")  # what keys protect and the fair share counts
COOKIE = "vqademo_page"


def digest(key: str | bytes) -> str:
    return hashlib.sha256(key.encode() if isinstance(key, str) else key).hexdigest()


def bearer(headers: dict[bytes, bytes]) -> bytes | None:
    """The key of an `Authorization: Bearer <key>` header, or None."""
    auth = headers.get(b"authorization", b"")
    if auth[:7].lower() != b"bearer ":
        return None
    return auth[7:].strip() or None


def key_digests(keys: str, keys_file: Path | None) -> list[str]:
    """The digests of the configured keys: plain keys hashed, the file's digests as written."""
    found = [digest(k.strip()) for k in keys.split(",") if k.strip()]
    if keys_file is not None:
        for line in keys_file.read_text().splitlines():
            line = line.split("#", 1)[0].strip().lower()
            if line:
                if len(line) != 64 or any(c not in "0123456789abcdef" for c in line):
                    raise ValueError(f"{keys_file}: each line must be a sha256 hex digest of a key")
                found.append(line)
    return found


class ApiKeys:
    """Pure ASGI: a valid key (or the page's cookie) on the API and V2 routes."""

    def __init__(self, app: ASGIApp, digests: list[str]) -> None:
        self.app = app
        self.digests = [d.encode() for d in digests]
        self.page_token = hmac.new(b"".join(sorted(self.digests)), b"page", hashlib.sha256).hexdigest().encode()

    def _allowed(self, scope: Scope) -> bool:
        headers = dict(scope["headers"])  # the last of a repeated header, as Starlette reads it
        key = bearer(headers)
        if key is not None:
            given = digest(key).encode()
            matched = False
            for known in self.digests:  # every one, so the time does not say which matched
                matched |= hmac.compare_digest(given, known)
            return matched
        return hmac.compare_digest(_cookie(headers.get(b"cookie", b""), COOKIE), self.page_token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.startswith(API_PREFIXES) and not self._allowed(scope):
            message = "this server needs an API key: send Authorization: Bearer <key>"
            await error_response(401, message, {"WWW-Authenticate": "Bearer"})(scope, receive, send)
            return
        if path != "/":
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{COOKIE}={self.page_token.decode()}; Path=/; HttpOnly; SameSite=Strict".encode()
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie(header: bytes, name: str) -> bytes:
    for part in header.split(b";"):
        key, _, value = part.strip().partition(b"=")
        if key == name.encode():
            return value
    return b""
