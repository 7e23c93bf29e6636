"""WSGI middleware that checks every request's token with a :class:`tokenward.Guard`, for
Flask, Django and any WSGI app.

::

    from tokenward import Guard
    from tokenward.wsgi import GuardMiddleware

    guard = Guard.from_file("guard.toml", key=key)
    app.wsgi_app = GuardMiddleware(app.wsgi_app, guard, exempt_paths=["/health"])  # Flask
    application = GuardMiddleware(get_wsgi_application(), guard)                    # Django

The rules are those of :mod:`tokenward.asgi` (the same core gate serves both): the token
from ``Authorization: Bearer`` or the configured ``header``, ``cookie`` or ``query_param``;
the client IP from ``REMOTE_ADDR``, with ``X-Forwarded-For`` (or ``Forwarded``) believed
only from ``trusted_proxies``; the country from a trusted ``country_header`` or
``country_lookup(ip)``; ``exempt_paths`` in the policy's pattern syntax; ``401`` with
``WWW-Authenticate``, ``403``, ``429`` with ``Retry-After`` and ``400`` answered here with a
JSON body that never echoes the token.

An allowed request's :class:`~tokenward.Verdict` is in ``environ["tokenward.verdict"]``
(Flask: ``request.environ``; Django: ``request.META``), and the status the app passes to
``start_response`` is fed back to the Guard (a ``500`` when the app raises before it starts
a response). Events are drained after each request to the ``tokenward.audit`` logger and
``on_events``, as in the ASGI middleware.

The path: WSGI gives the decoded ``PATH_INFO``, so the raw target is taken from
``REQUEST_URI`` (waitress, uWSGI, mod_wsgi, werkzeug) or ``RAW_URI`` (gunicorn) when the
server sets one. Under a server that sets neither, the decoded path is re-encoded: an
escape such as ``%2F`` is then seen as the ``/`` it stands for, which can make a path match
an endpoint pattern it would not match raw. Headers come from the ``HTTP_*`` keys; gunicorn
and waitress drop headers with ``_`` in their names, which would otherwise alias ``-``
(``X_Forwarded_For``): behind another server, make sure it does too.

Run the server with its own proxy handling off (gunicorn's ``forwarded_allow_ips`` empty,
waitress without ``trusted_proxy``) so that ``REMOTE_ADDR`` is the connection's peer and
``trusted_proxies`` is the one rule.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, Callable, Dict, Iterable, List, Tuple

from tokenward._middleware import Front
from tokenward._native import Guard, Verdict

__all__ = ["GuardMiddleware"]

_STATUS_LINES = {status: f"{status} {HTTPStatus(status).phrase}" for status in (400, 401, 403, 429)}

Environ = Dict[str, Any]
Headers = List[Tuple[str, str]]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class GuardMiddleware(Front[WSGIApp]):
    """Checks each request's token with ``guard`` before ``app`` sees it (see the module
    documentation for the rules). A bad option raises :class:`~tokenward.ConfigError` naming
    it."""

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        passage = self.gate.check_environ(environ, country=self.country_lookup)
        if passage is None:
            return self.app(environ, start_response)
        if not isinstance(passage, Verdict):
            status = _STATUS_LINES.get(passage.status) or f"{passage.status} Denied"
            body = passage.body
            headers = list(passage.headers)
            headers.append(("content-length", str(len(body))))
            start_response(status, headers)
            self.events.emit()
            return [body]
        environ["tokenward.verdict"] = passage
        recorder = _Recorder(self.gate.record_outcome, passage, start_response)
        try:
            result = self.app(environ, recorder)
        except BaseException:
            recorder.record(500)
            self.events.emit()
            raise
        try:
            self.events.emit()
        except BaseException:
            # The app's iterable is never handed over: close it here, as PEP 3333 asks.
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise
        return result


class _Recorder:
    """``start_response`` that feeds the first status back to the Guard, once."""

    __slots__ = ("_record", "_verdict", "_start_response", "_done")

    def __init__(self, record: Callable[..., object], verdict: Verdict, start_response: StartResponse) -> None:
        self._record = record
        self._verdict = verdict
        self._start_response = start_response
        self._done = False

    def __call__(self, status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], object]:
        try:
            code = int(status[:3])
        except ValueError:
            code = 0
        self.record(code)
        if exc_info is not None:
            return self._start_response(status, headers, exc_info)
        return self._start_response(status, headers)

    def record(self, status: int) -> None:
        if not self._done:
            self._done = True
            self._record(self._verdict, status)


