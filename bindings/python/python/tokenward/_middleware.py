"""What the ASGI and WSGI middleware share: their options and the native gate built from them, and the
events after each request (to the ``tokenward.audit`` logger and the host's callback)."""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Dict, Generic, Iterable, List, Optional, TypeVar

from tokenward._native import Gate, Guard

Events = List[Dict[str, Any]]
EventCallback = Callable[[Events], None]
CountryLookup = Callable[[Optional[str]], Optional[str]]

AUDIT = logging.getLogger("tokenward.audit")


AppT = TypeVar("AppT")


class Front(Generic[AppT]):
    """The options and state the ASGI and WSGI ``GuardMiddleware`` share: the wrapped app, the
    core's gate built from the options (a ``ConfigError`` names a bad one), the country lookup
    and the event sink."""

    def __init__(
        self,
        app: AppT,
        guard: Guard,
        *,
        header: str = "authorization",
        cookie: Optional[str] = None,
        query_param: Optional[str] = None,
        trusted_proxies: Iterable[str] = (),
        forwarded_header: str = "x-forwarded-for",
        country_header: Optional[str] = None,
        country_lookup: Optional[CountryLookup] = None,
        exempt_paths: Iterable[str] = (),
        realm: str = "api",
        on_events: Optional[EventCallback] = None,
        drain_events: bool = True,
    ) -> None:
        self.app = app
        self.guard = guard
        self.gate = Gate(
            guard,
            header=header,
            cookie=cookie,
            query_param=query_param,
            trusted_proxies=_listed(trusted_proxies),
            forwarded_header=forwarded_header,
            country_header=country_header,
            exempt_paths=_listed(exempt_paths),
            realm=realm,
        )
        self.country_lookup = country_lookup
        self.events = EventSink(guard, on_events, drain_events)


def _listed(items: Iterable[str]) -> Any:
    # A lone str is passed as it is, for the core to refuse by name (not split into letters).
    return items if isinstance(items, str) else list(items)


class EventSink:
    """Drains the Guard's events after a request: each goes to the ``tokenward.audit`` logger
    (alerts at WARNING, the rest at INFO; the message is the kind and the event's JSON, the
    event dict is also ``record.tokenward_event``), then the list to ``on_events``. With
    ``drain`` false the host drains them itself and nothing happens here.

    Events never hold a token. A :class:`~tokenward.logging.RedactingFilter` on the handlers
    still masks the ``"token": "tid_..."`` pairs of the message's JSON (its generic
    ``secret_assignment`` rule reads them as assignments); ``record.tokenward_event`` keeps
    them, and ``on_events`` gets the events as they are."""

    def __init__(self, guard: Guard, on_events: Optional[EventCallback], drain: bool) -> None:
        self.guard = guard
        self.on_events = on_events
        self.drain = drain

    def emit(self) -> None:
        if not self.drain:
            return
        events = self.guard.drain_events()
        if not events:
            return
        for event in events:
            kind = _kind(event)
            level = logging.WARNING if kind == "alert" else logging.INFO
            if AUDIT.isEnabledFor(level):
                AUDIT.log(
                    level,
                    "%s %s",
                    kind,
                    json.dumps(event, sort_keys=True),
                    extra={"tokenward_event": event},
                )
        if self.on_events is not None:
            try:
                self.on_events(events)
            except Exception:
                # The response is the app's: a failing callback must not turn a sent answer
                # into a 500 nor keep the app's iterable from being closed. Logged instead.
                AUDIT.exception("on_events raised")


def _kind(event: Dict[str, Any]) -> str:
    """The event's kind: ``{"kind": {"denied": {...}}}`` is ``denied``."""
    kind = event.get("kind")
    if isinstance(kind, dict):
        return str(next(iter(kind), "event"))
    return str(kind)
