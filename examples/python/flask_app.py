"""A Flask service whose API tokens are checked by tokenward.

    pip install ./bindings/python flask
    python examples/python/flask_app.py              # serves on 127.0.0.1:8000
    curl -H "Authorization: Bearer <the printed token>" http://127.0.0.1:8000/orders/7

Every request but /health needs a token the Guard knows; the policy lets it read orders
only, 60 times a minute. The view sees the check's verdict in
``request.environ["tokenward.verdict"]``. Flask's own server is for trying it out; in
production run ``app`` under gunicorn or waitress (they give the raw request path too).
"""

from __future__ import annotations

import argparse
import logging
import os

from flask import Flask, jsonify, request

import tokenward
import tokenward.logging
from tokenward.wsgi import GuardMiddleware

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
app = Flask(__name__)
app.wsgi_app = GuardMiddleware(  # type: ignore[method-assign]
    app.wsgi_app,
    guard,
    exempt_paths=["/health"],
    trusted_proxies=[],          # the CIDRs of your load balancers, if any
)


@app.get("/health")
def health() -> object:
    return jsonify(status="ok")


@app.get("/orders/<int:order_id>")
def order(order_id: int) -> object:
    verdict: tokenward.Verdict = request.environ["tokenward.verdict"]
    return jsonify(order=order_id, token_id=verdict.token_id)


@app.get("/admin")
def admin() -> object:
    return jsonify(never="reached with an orders-reader token")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    port = parser.parse_args().port
    logging.basicConfig(level=logging.INFO)
    tokenward.logging.install()  # no token in any log line, werkzeug's own included
    minted = guard.mint(owner="demo", policy="orders-reader")
    print(f"token: {minted.token}", flush=True)  # shown once, for you to try
    app.run(host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
