"""Real servers on loopback for the middleware tests: uvicorn (ASGI) and waitress (WSGI), each
in a thread of the test process (so the test and the app share one Guard), on a free port."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import uvicorn
import waitress
from waitress import wasyncore


class Uvicorn:
    """uvicorn on 127.0.0.1. Its own X-Forwarded-For handling (on by default, trusting
    127.0.0.1) is off: the middleware's rules are under test."""

    def __init__(self, asgi: Any, **options: Any) -> None:
        settings = {"log_level": "warning", "lifespan": "auto", "proxy_headers": False, **options}
        config = uvicorn.Config(asgi, host="127.0.0.1", port=0, **settings)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert self.thread.is_alive(), "uvicorn stopped"
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


class Waitress:
    """waitress on 127.0.0.1 with 8 threads. Its own proxy-header clearing is off, so the
    middleware sees X-Forwarded-For and decides itself whom to believe."""

    def __init__(self, wsgi: Any) -> None:
        self.server: Any = waitress.create_server(
            wsgi,
            host="127.0.0.1",
            port=0,
            threads=8,
            clear_untrusted_proxy_headers=False,
            asyncore_loop_timeout=0.1,
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        self.port = self.server.effective_port
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        # Closed from inside the server's loop (a trigger runs it there), which then ends.
        server = self.server
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        self.thread.join(10)
        server.task_dispatcher.shutdown()
