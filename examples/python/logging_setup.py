"""Keep secrets out of Python logs with tokenward.

Run it (after `bash bindings/python/test.sh`, or `pip install` of the package):

    target/py-venv/bin/python examples/python/logging_setup.py

Every line it prints has its secrets redacted: a token passed as a log argument, an AWS key
inside an exception's traceback, and a token logged by a child logger that propagates to the
root's handler.
"""

import logging
import sys

import tokenward.logging

# Configure handlers as usual, then put the filter on every handler of the root logger.
logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
tokenward.logging.install()

log = logging.getLogger("billing.sync")

# A secret passed as an argument: the rendered message is redacted.
log.info("calling GitHub with token %s", "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")

# A secret inside an exception message: the traceback is redacted too.
try:
    raise PermissionError("access denied for key AKIA7QX2M4RB5KQ3YHV6")
except PermissionError:
    log.exception("upload failed")

# Clean lines pass through untouched.
log.info("synced %d invoices", 42)
