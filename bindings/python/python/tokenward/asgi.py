"""ASGI middleware that checks every request's token with a :class:`tokenward.Guard`.

::

    from tokenward import Guard
    from tokenward.asgi import GuardMiddleware

    guard = Guard.from_file("guard.toml", key=key)
    app = GuardMiddleware(app, guard, trusted_proxies=["10.0.0.0/8"], exempt_paths=["/health"])

For each HTTP request (and WebSocket handshake) one native call does what the core's
:class:`~tokenward.Gate` defines, the same in every tokenward middleware:

- the token from ``Authorization: Bearer <token>``, or from the configured ``header`` (its
  whole value), ``cookie`` or ``query_param``, tried in that order. Two credentials, or one
  with spaces, is ``400`` (servers behind the app might pick a different one);
- the client IP from the connection; the ``forwarded_header`` (``"x-forwarded-for"``, the
  default, or RFC 7239 ``"forwarded"``) is read only when the peer is inside
  ``trusted_proxies`` (CIDRs), and then the client is the rightmost address that is not
  itself a trusted proxy (what a client wrote further left is never believed). An entry that
  is no address leaves the IP unknown, which a policy with ``allow_ips`` denies.
  Servers may already have replaced ``scope["client"]`` from that header (uvicorn does by
  default for connections from 127.0.0.1): run them with proxy headers off (uvicorn
  ``--no-proxy-headers``, ``proxy_headers=False``) so that ``trusted_proxies`` is the one
  rule;
- the country from ``country_header`` (``cf-ipcountry``, ``cloudfront-viewer-country``) under
  the same trust rule, else from ``country_lookup(ip)`` if given;
- the **raw** request path (``scope["raw_path"]``) and the method; the core canonicalises the
  path and denies what has no canonical form (``invalid_path``);
- ``exempt_paths`` pass unchecked: patterns in the policy syntax (``/health``,
  ``/static/**``, ``GET /metrics``) matched against the canonical path;
- a denial is answered here, with a JSON body ``{"error": ..., "reasons": [...]}`` that
  never echoes the token: ``401`` with ``WWW-Authenticate: Bearer`` when the token is
  missing, unknown or no longer valid (revoked, expired, rotated, idle, not yet valid);
  ``429`` with ``Retry-After`` (seconds) when the rate limit is the only reason; ``403`` for
  every other policy or anomaly denial. A denied WebSocket handshake is closed with 1008;
- otherwise the :class:`~tokenward.Verdict` goes to the app in ``scope["state"]["tokenward"]``
  (Starlette and FastAPI: ``request.state.tokenward``) and the response status is fed back
  to the Guard by the verdict's token id.

After each request the Guard's events are drained (unless ``drain_events=False``: the host
drains them itself): each is logged on the ``tokenward.audit`` logger and the list is passed
to ``on_events`` when given (an exception it raises is logged on ``tokenward.audit``, never
turned into an error response). An app that raises before it starts a response is counted
as a ``500``. Lifespan events pass through.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping

from tokenward._middleware import Front
from tokenward._native import Denial, Gate, Guard, Verdict, encode_path

__all__ = ["GuardMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class GuardMiddleware(Front[ASGIApp]):
    """Checks each request's token with ``guard`` before ``app`` sees it (see the module
    documentation for the rules). A bad option raises :class:`~tokenward.ConfigError` naming
    it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        passage = self.gate.check(
            scope.get("method", "GET"),
            _target(scope),
            scope.get("headers", ()),
            client[0] if client else None,
            country=self.country_lookup,
        )
        if passage is None:
            await self.app(scope, receive, send)
        elif isinstance(passage, Verdict):
            scope.setdefault("state", {})["tokenward"] = passage
            recording = _RecordingSend(send, self.gate, passage)
            try:
                await self.app(scope, receive, recording)
            except BaseException:
                # The server answers 500 for an app that raised before its response started:
                # count it so (as the WSGI and tower middlewares do).
                recording.record(500)
                raise
            finally:
                self.events.emit()
        else:
            await _deny(scope, send, passage)
            self.events.emit()


class _RecordingSend:
    """``send`` that feeds the response status back to the Guard. A plain callable returning
    the server's own awaitable: no coroutine of its own per message."""

    __slots__ = ("_send", "_gate", "_verdict", "_done")

    def __init__(self, send: Send, gate: Gate, verdict: Verdict) -> None:
        self._send = send
        self._gate = gate
        self._verdict = verdict
        self._done = False

    def __call__(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start":
            self.record(int(message.get("status", 0)))
        return self._send(message)

    def record(self, status: int) -> None:
        """Feeds ``status`` back, once: the first response start (or the failure) counts."""
        if not self._done:
            self._done = True
            self._gate.record_outcome(self._verdict, status)


async def _deny(scope: Scope, send: Send, denial: Denial) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": denial.error})
        return
    body = denial.body
    headers = [(name.encode(), value.encode("latin-1")) for name, value in denial.headers]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": denial.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _target(scope: Scope) -> Any:
    """The request target as received: ``raw_path`` with the query string. Servers that omit
    ``raw_path`` give only the decoded path, re-encoded here (UTF-8): an encoded ``/`` it held
    cannot be seen any more."""
    raw = scope.get("raw_path")
    if raw is None:
        path = scope.get("root_path", "") + scope.get("path", "/")
        # The one re-encoding rule, shared with the WSGI middleware.
        raw = encode_path(path.encode("utf-8", "surrogateescape")).encode("ascii")
    query = scope.get("query_string")
    return raw + b"?" + query if query else raw
