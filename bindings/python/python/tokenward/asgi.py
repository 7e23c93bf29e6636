"""ASGI middleware that checks every request's token with a :class:`tokenward.Guard`.

::

    from tokenward import Guard
    from tokenward.asgi import GuardMiddleware

    guard = Guard.from_file("guard.toml", key=key)
    app = GuardMiddleware(app, guard, trusted_proxies=["10.0.0.0/8"], exempt_paths=["/health"])

For each HTTP request (and WebSocket handshake) the middleware:

- takes the token from ``Authorization: Bearer <token>``, or from the configured ``header``
  (its whole value), ``cookie`` or ``query_param``, tried in that order;
- takes the client IP from the connection; ``X-Forwarded-For`` is read only when the peer is
  inside ``trusted_proxies``, and then the client is the rightmost address that is not itself
  a trusted proxy (an address a client wrote further left is not believed). An entry that is
  no address leaves the IP unknown, which a policy with ``allow_ips`` denies;
  Servers may already have replaced ``scope["client"]`` from that header (uvicorn does by
  default for connections from 127.0.0.1): run them with proxy headers off (uvicorn
  ``--no-proxy-headers``) so that ``trusted_proxies`` is the one rule;
- takes the country from ``country_header`` under the same trust rule, else from
  ``country_lookup(ip)`` if given;
- passes the **raw** request path (``scope["raw_path"]``, non-ASCII bytes percent-encoded),
  so the core canonicalises it and denies what has no canonical form (``invalid_path``);
- answers a denial itself, with a JSON body ``{"error": ..., "reasons": [...]}`` that never
  echoes the token: ``401`` with ``WWW-Authenticate: Bearer`` when the token is missing,
  unknown or no longer valid (revoked, expired, rotated, idle, not yet valid); ``429`` with
  ``Retry-After`` (seconds, rounded up) when the rate limit is the only reason; ``403`` for
  every other policy or anomaly denial. A denied WebSocket handshake is closed with 1008;
- otherwise hands the :class:`~tokenward.Verdict` to the app in
  ``scope["state"]["tokenward"]`` and feeds the response status back to
  :meth:`Guard.record_outcome`.

Paths in ``exempt_paths`` (exact matches of the decoded ``scope["path"]``, the path the app
routes on) pass unchecked. Lifespan events pass through. ``on_events``, when given, receives
the Guard's drained events after each request; leave it out when the host drains them itself.
"""

from __future__ import annotations

import ipaddress
import json
import math
from http.cookies import CookieError, SimpleCookie
from typing import Any, Awaitable, Callable, Dict, Iterable, List, MutableMapping, Optional, Tuple, Union
from urllib.parse import parse_qsl

from tokenward._native import Guard, Verdict

__all__ = ["GuardMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# Reasons that say the token itself is no good (RFC 6750 `invalid_token`): 401.
_INVALID_TOKEN = frozenset(
    {"unknown_token", "revoked", "expired", "rotated", "idle_expired", "not_yet_valid"}
)


class GuardMiddleware:
    """Checks each request's token with ``guard`` before ``app`` sees it (see the module
    documentation for the rules)."""

    def __init__(
        self,
        app: ASGIApp,
        guard: Guard,
        *,
        header: str = "authorization",
        cookie: Optional[str] = None,
        query_param: Optional[str] = None,
        trusted_proxies: Iterable[str] = (),
        country_header: Optional[str] = None,
        country_lookup: Optional[Callable[[Optional[str]], Optional[str]]] = None,
        exempt_paths: Iterable[str] = (),
        realm: str = "api",
        on_events: Optional[Callable[[List[Dict[str, Any]]], None]] = None,
    ) -> None:
        self.app = app
        self.guard = guard
        self.header = header.lower().encode("latin-1")
        self.bearer = self.header == b"authorization"
        self.cookie = cookie
        self.query_param = query_param
        self.trusted: Tuple[Network, ...] = tuple(
            ipaddress.ip_network(cidr, strict=False) for cidr in trusted_proxies
        )
        self.country_header = country_header.lower().encode("latin-1") if country_header else None
        self.country_lookup = country_lookup
        self.exempt = frozenset(exempt_paths)
        self.challenge = f'Bearer realm="{realm}"'
        self.on_events = on_events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket") or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        token = self._token(scope, headers)
        if token is None:
            await self._deny(scope, send, 401, "missing_token", [], None)
            return
        ip = self._client_ip(scope, headers)
        verdict = self.guard.check(
            token,
            ip=ip,
            country=self._country(scope, headers, ip),
            method=scope.get("method", "GET"),
            path=_raw_path(scope),
            user_agent=_text(headers.get(b"user-agent")),
        )
        scope.setdefault("state", {})["tokenward"] = verdict
        if not verdict.allowed:
            await self._reject(scope, send, verdict)
        else:
            await self.app(scope, receive, self._recording(send, token))
        self._emit_events()

    def _token(self, scope: Scope, headers: Dict[bytes, bytes]) -> Optional[str]:
        value = headers.get(self.header)
        if value is not None:
            text = _text(value) or ""
            if self.bearer:
                scheme, _, credentials = text.strip().partition(" ")
                text = credentials if scheme.lower() == "bearer" else ""
            if text.strip():
                return text.strip()
        if self.cookie and b"cookie" in headers:
            try:
                jar = SimpleCookie(_text(headers[b"cookie"]) or "")
            except CookieError:
                jar = SimpleCookie()
            if self.cookie in jar and jar[self.cookie].value:
                return jar[self.cookie].value
        if self.query_param:
            query = scope.get("query_string", b"").decode("latin-1")
            for name, value_text in parse_qsl(query, keep_blank_values=False):
                if name == self.query_param and value_text:
                    return str(value_text)
        return None

    def _peer(self, scope: Scope) -> Optional[IPAddress]:
        """The address of the connection's other end (None for a Unix socket)."""
        client = scope.get("client")
        if not client:
            return None
        try:
            return ipaddress.ip_address(client[0])
        except ValueError:
            return None

    def _is_trusted(self, ip: IPAddress) -> bool:
        return any(ip in network for network in self.trusted)

    def _client_ip(self, scope: Scope, headers: Dict[bytes, bytes]) -> Optional[str]:
        peer = self._peer(scope)
        if peer is None:
            return None
        forwarded = headers.get(b"x-forwarded-for")
        if not self._is_trusted(peer) or forwarded is None:
            return str(peer)
        hops = [hop.strip() for hop in (_text(forwarded) or "").split(",")]
        client = peer
        for hop in reversed(hops):
            try:
                client = ipaddress.ip_address(hop)
            except ValueError:
                return None  # unreadable: unknown, which allow_ips denies
            if not self._is_trusted(client):
                break
        return str(client)

    def _country(
        self, scope: Scope, headers: Dict[bytes, bytes], ip: Optional[str]
    ) -> Optional[str]:
        if self.country_header is not None:
            peer = self._peer(scope)
            value = headers.get(self.country_header)
            if value is not None and peer is not None and self._is_trusted(peer):
                return _text(value)
        if self.country_lookup is not None:
            return self.country_lookup(ip)
        return None

    def _recording(self, send: Send, token: str) -> Send:
        guard = self.guard

        async def recording_send(message: Message) -> None:
            if message.get("type") == "http.response.start":
                guard.record_outcome(token, int(message.get("status", 0)))
            await send(message)

        return recording_send

    async def _reject(self, scope: Scope, send: Send, verdict: Verdict) -> None:
        reasons = verdict.reasons
        if _INVALID_TOKEN.intersection(reasons):
            await self._deny(scope, send, 401, "invalid_token", reasons, None, error="invalid_token")
        elif reasons == ["rate_exceeded"]:
            retry = math.ceil((verdict.retry_after_ms or 1000) / 1000)
            await self._deny(scope, send, 429, "rate_limited", reasons, retry)
        else:
            await self._deny(scope, send, 403, "forbidden", reasons, None)

    async def _deny(
        self,
        scope: Scope,
        send: Send,
        status: int,
        code: str,
        reasons: List[str],
        retry_after: Optional[int],
        error: Optional[str] = None,
    ) -> None:
        if scope.get("type") == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": code})
            return
        body = json.dumps({"error": code, "reasons": reasons}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if status == 401:
            challenge = self.challenge + (f', error="{error}"' if error else "")
            headers.append((b"www-authenticate", challenge.encode("latin-1")))
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _emit_events(self) -> None:
        if self.on_events is not None:
            events = self.guard.drain_events()
            if events:
                self.on_events(events)


def _headers(scope: Scope) -> Dict[bytes, bytes]:
    """Header names lowercased; repeated headers joined with ", " (as HTTP allows for lists)."""
    out: Dict[bytes, bytes] = {}
    for name, value in scope.get("headers", []):
        name = bytes(name).lower()
        out[name] = out[name] + b", " + bytes(value) if name in out else bytes(value)
    return out


def _text(value: Optional[bytes]) -> Optional[str]:
    return None if value is None else value.decode("latin-1")


def _raw_path(scope: Scope) -> str:
    """The path as received, undecoded; bytes outside ASCII percent-encoded (the same URL).
    Servers that omit ``raw_path`` give only the decoded path, re-encoded here: an encoded
    ``/`` it held cannot be seen any more."""
    raw = scope.get("raw_path")
    if raw is None:
        raw = (scope.get("root_path", "") + scope.get("path", "/")).encode("utf-8", "surrogateescape")
    raw = bytes(raw).split(b"?", 1)[0]
    return "".join(chr(b) if b < 0x80 else f"%{b:02X}" for b in raw)
