"""Who may talk to the studio: ASGI middleware that answers before the app sees a request.

- :class:`HostCheck`: only known ``Host`` names (a loopback studio refuses
  others, against DNS rebinding) -> 421.
- :class:`OriginCheck`: a state-changing request (POST, PUT, PATCH, DELETE)
  from a browser must come from the studio's own page -> 403 otherwise.
  Refused: an ``Origin`` that is not the studio's own (scheme, host and
  port of the request's ``Host``), a ``Sec-Fetch-Site`` other than
  ``same-origin`` or ``none``, and a browser request (one with ``Origin``
  or any ``Sec-Fetch-*`` header) without the page's token in
  :data:`TOKEN_HEADER`. The page gets the token in a ``<meta>`` tag; a web
  page elsewhere cannot read it (same-origin policy), nor send a custom
  header to the studio without a CORS preflight the studio never grants.
  A request with none of these headers does not come from a web page
  (curl, a script): it is taken without a token, as anything running on
  the machine can already read and write the user's files.
- :class:`BodyLimit`: request bodies are counted as they stream in -> 413.

Every refusal is JSON ``{"error": "..."}`` (:func:`send_json`).

Contents
--------
HostCheck, OriginCheck, BodyLimit, send_json, same_origin, LOOPBACK_HOSTS, TOKEN_HEADER
"""

from __future__ import annotations

import hmac
import json
from urllib.parse import urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
#: The header the studio's page sends its token in.
TOKEN_HEADER = "X-See2Sound-Token"
STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
OTHER_BODY_LIMIT = 16 * 1024 * 1024  # a long video's scene, with its trajectories
MULTIPART_SLACK = 64 * 1024  # the form's own bytes around the file
DEFAULT_PORTS = {"http": 80, "https": 443}


async def send_json(send, status: int, body: dict, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            (b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"), *headers]})
    await send({"type": "http.response.body", "body": data})


def _headers(scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope["headers"]}


class HostCheck:
    """Only the given Host names (against DNS rebinding of a loopback server)."""

    def __init__(self, app, hosts: tuple[str, ...]):
        self.app, self.hosts = app, {h.lower() for h in hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            host = _headers(scope).get(b"host", b"").decode("latin-1").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.hosts:
                return await send_json(send, 421, {"error": f"unexpected host {host[:100]!r}"})
        return await self.app(scope, receive, send)


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin such as ``http://127.0.0.1:7860``; None if it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.scheme, parts.hostname.lower(), port


def same_origin(origin: str, scheme: str, host: str) -> bool:
    """Whether the ``Origin`` header names the server reached as ``scheme://host``."""
    theirs, ours = _origin(origin), _origin(f"{scheme}://{host}")
    return theirs is not None and theirs == ours


class OriginCheck:
    """State-changing requests from a browser only from the studio's own page, with its token."""

    def __init__(self, app, token: str):
        self.app, self.token = app, token.encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING:
            refusal = self.refusal(scope)
            if refusal:
                return await send_json(send, 403, {"error": refusal})
        return await self.app(scope, receive, send)

    def refusal(self, scope) -> str | None:
        """Why this request is refused, or None."""
        headers = _headers(scope)
        site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
        if site and site not in ("same-origin", "none"):
            return f"{site} request refused: the studio takes changes only from its own page"
        origin = headers.get(b"origin")
        if origin is not None:
            origin_text = origin.decode("latin-1")
            host = headers.get(b"host", b"").decode("latin-1")
            if not same_origin(origin_text, scope.get("scheme", "http"), host):
                return (f"cross-origin request refused: {origin_text[:100]!r} is not this studio's page "
                        f"({scope.get('scheme', 'http')}://{host[:100]})")
        from_browser = origin is not None or any(name.startswith(b"sec-fetch-") for name in headers)
        if from_browser and not hmac.compare_digest(headers.get(TOKEN_HEADER.lower().encode(), b""), self.token):
            return f"missing or wrong {TOKEN_HEADER}: reload the studio's page"
        return None


class BodyLimit:
    """413 once a request body passes its limit (uploads ``upload_limit`` bytes; others 16 MB)."""

    def __init__(self, app, upload_limit: int):
        self.app, self.upload_limit = app, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        limit = self.upload_limit + MULTIPART_SLACK if scope["path"] == "/api/jobs" else OTHER_BODY_LIMIT
        too_large = {"error": f"too large: at most {limit // (1024 * 1024)} MB"}
        declared = _headers(scope).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await send_json(send, 413, too_large)
        seen = 0
        exceeded = answered = False

        async def counted():
            # Past the limit the app sees the client go away; whatever it answers is replaced by a 413.
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def watched(message):
            nonlocal answered
            if exceeded:
                if not answered:
                    answered = True
                    await send_json(send, 413, too_large)
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not answered:
            await send_json(send, 413, too_large)
