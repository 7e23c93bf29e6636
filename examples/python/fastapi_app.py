"""A FastAPI service whose API tokens are checked by tokenward.

    pip install ./bindings/python fastapi uvicorn
    python examples/python/fastapi_app.py            # serves on 127.0.0.1:8000
    curl -H "Authorization: Bearer <the printed token>" http://127.0.0.1:8000/orders/7

Every request but /health needs a token the Guard knows; the policy lets it read orders
only, 60 times a minute. The app sees the check's verdict in ``request.state.tokenward``.
"""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn
from fastapi import FastAPI, Request

import tokenward
import tokenward.logging
from tokenward.asgi import GuardMiddleware

CONFIG = """
[policies.orders-reader]
endpoints = ["GET /orders/*"]
rate_limit = { requests = 60, window = "1m" }

[usage]                      # usage statistics and anomaly detectors

[[respond]]                  # a token suddenly used from many places is stopped
on = ["ip_fanout", "impossible_travel"]
min_severity = "high"
action = "quarantine"
"""

# The key fingerprints tokens; keep it secret (a KMS, a secret manager). This default is a demo.
KEY = os.environ.get("TOKENWARD_KEY", "demo key: replace me with 32 random bytes").encode()

guard = tokenward.Guard(CONFIG, key=KEY)
app = FastAPI()
app.add_middleware(
    GuardMiddleware,
    guard=guard,
    exempt_paths=["/health"],
    trusted_proxies=[],          # the CIDRs of your load balancers, if any
)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/orders/{order_id}")
def order(order_id: int, request: Request) -> dict[str, object]:
    verdict: tokenward.Verdict = request.state.tokenward
    return {"order": order_id, "token_id": verdict.token_id}


@app.get("/admin")
def admin() -> dict[str, str]:
    return {"never": "reached with an orders-reader token"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    port = parser.parse_args().port
    logging.basicConfig(level=logging.INFO)
    tokenward.logging.install()  # no token in any log line, uvicorn's own included
    minted = guard.mint(owner="demo", policy="orders-reader")
    print(f"token: {minted.token}", flush=True)  # shown once, for you to try
    # proxy_headers=False: GuardMiddleware decides whom to believe (trusted_proxies).
    uvicorn.run(app, host="127.0.0.1", port=port, proxy_headers=False)


if __name__ == "__main__":
    main()
