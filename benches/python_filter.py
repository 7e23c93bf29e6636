"""Cost per log record of tokenward's RedactingFilter against no filter and a pure-`re` filter.

Run after building the Python package (`bash bindings/python/test.sh` builds it into
target/py-venv):

    target/py-venv/bin/python benches/python_filter.py [--records 20000] [--runs 9]

Variants, each a logging.Filter on the handler of a logger writing to a null stream:

- none:      no filter (the baseline);
- tokenward: tokenward.logging.RedactingFilter;
- re-each:   the same work in pure Python with `re`: as many patterns as the tokenward rule
             set has rules, typical secret regexes, applied one after another with `sub`;
- re-union:  the same patterns joined into one alternation, one `sub` per record (the
             usual optimisation of re-each).

The records are realistic: mostly clean request/worker lines with %-style arguments, one in
twenty carrying a secret (a GitHub token, an AWS key, a password). Two measurements per
variant, each the median of several runs, in the same process:

- filter():   the filter's `filter(record)` on fresh records (the pure added cost);
- logger.info: a whole `logger.info(...)` call through the handler (record creation,
              filter, formatting, write), so "added" is its difference from `none`.
"""

from __future__ import annotations

import argparse
import gc
import io
import logging
import re
import statistics
import sys
import time
from typing import Any, Callable, List, Optional, Sequence, Tuple

import tokenward
from tokenward.logging import RedactingFilter

# Typical secret regexes as hand-written redaction filters carry them (gitleaks-style).
# The benchmark takes as many as the tokenward rule set has rules.
SECRET_PATTERNS = [
    r"\bghp_[A-Za-z0-9]{36}\b",
    r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
    r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
    r"(?i)\b(?:password|passwd|pwd|secret)\s*[:=]\s*['\"]?[^\s'\"]{6,}",
    r"\bgho_[A-Za-z0-9]{36}\b",
    r"\bghu_[A-Za-z0-9]{36}\b",
    r"\bghs_[A-Za-z0-9]{36}\b",
    r"\bghr_[A-Za-z0-9]{36}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{82}\b",
    r"(?i)aws_?secret_?(?:access_?)?key\s*[:=]\s*['\"]?[A-Za-z0-9/+=]{40}",
    r"\bxox[baprs]-[0-9A-Za-z-]{10,72}",
    r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{24}",
    r"\b[rs]k_(?:live|test)_[0-9a-zA-Z]{24,99}",
    r"\bAIza[0-9A-Za-z_-]{35}",
    r"\bGOCSPX-[A-Za-z0-9_-]{28}",
    r"-----BEGIN (?:RSA |EC |OPENSSH |DSA |PGP )?PRIVATE KEY(?: BLOCK)?-----",
    r"\bglpat-[0-9A-Za-z_-]{20}",
    r"\bnpm_[A-Za-z0-9]{36}",
    r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
    r"\bSK[0-9a-fA-F]{32}\b",
    r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
    r"\bkey-[0-9a-f]{32}\b",
    r"\b[0-9a-f]{32}-us[0-9]{1,2}\b",
    r"(?i)heroku.{0,20}[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}",
    r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
    r"\bdop_v1_[a-f0-9]{64}",
    r"\bdp\.pt\.[A-Za-z0-9]{43}",
    r"\bhvs\.[A-Za-z0-9_-]{90,}",
    r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}",
    r"(?i)AccountKey=[A-Za-z0-9+/=]{88}",
    r"(?i)\bsig=[A-Za-z0-9%]{43,}",
    r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}",
    r"\bsk-ant-(?:api|admin)0\d-[A-Za-z0-9_-]{80,}",
    r"\bhf_[A-Za-z0-9]{34}\b",
    r"\bdapi[a-f0-9]{32}\b",
    r"\b[MN][A-Za-z\d]{23}\.[\w-]{6}\.[\w-]{27}",
    r"https://discord(?:app)?\.com/api/webhooks/\d+/[\w-]+",
    r"\b\d{8,10}:AA[0-9A-Za-z_-]{33}",
    r"\bsq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}",
    r"access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}",
    r"\bATATT3[A-Za-z0-9_=-]{186}",
    r"\blin_api_[A-Za-z0-9]{40}",
    r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}",
    r"\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
    r"\bglc_[A-Za-z0-9+/]{32,}={0,2}",
    r"\bNRAK-[A-Z0-9]{27}",
    r"\bsntrys_[A-Za-z0-9+/=_]{60,}",
    r"(?i)dd_?api_?key\s*[:=]\s*['\"]?[a-f0-9]{32}",
    r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s:@]+@[^\s/]+",
    r"(?i)authorization:\s*bearer\s+[A-Za-z0-9._~+/-]{16,}=*",
    r"(?i)authorization:\s*basic\s+[A-Za-z0-9+/]{8,}=*",
    r"(?i)\b(?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token)\s*[:=]\s*['\"]?[\w-]{16,}",
    r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
    r"\bfo1_[\w-]{43}",
    r"(?i)fastly.{0,20}[A-Za-z0-9_-]{32}",
    r"(?i)cloudflare.{0,20}[A-Za-z0-9_-]{40}",
    r"\bLTAI[A-Za-z0-9]{20}\b",
    r"\bsl\.[A-Za-z0-9_-]{130,152}",
    r"\b[0-9]/[0-9]{16}:[A-Za-z0-9]{32}",
    r"\b00[A-Za-z0-9_-]{40}\b",
    r"(?i)twitch.{0,20}[a-z0-9]{30}",
    r"\bnfp_[A-Za-z0-9]{36}",
    r"(?i)vercel.{0,20}[A-Za-z0-9]{24}",
    r"\bsbp_[a-f0-9]{40}",
    r"\bpscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,64}",
    r"\brubygems_[a-f0-9]{48}",
    r"\bdckr_pat_[A-Za-z0-9_-]{27}",
    r"\bpul-[a-f0-9]{40}",
    r"\bAKC[a-zA-Z0-9]{10,}",
    r"\bCFPAT-[A-Za-z0-9_-]{43}",
    r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}",
    r"\bsecret_[A-Za-z0-9]{43}",
    r"\bAAAA[A-Za-z0-9_-]{7}:[A-Za-z0-9_-]{140}",
    r"\bshippo_(?:live|test)_[a-f0-9]{40}",
    r"\baccess-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    r"mongodb(?:\+srv)?://[^\s:@/]+:[^\s@/]+@",
    r"postgres(?:ql)?://[^\s:@/]+:[^\s@/]+@",
    r"rediss?://[^\s:@/]*:[^\s@/]+@",
    r"(?i)\b(?:session|sessionid|sid)=[A-Za-z0-9%._-]{16,}",
    r"\bssh-(?:rsa|ed25519) AAAA[0-9A-Za-z+/]{60,}",
]


def required_literal(pattern: str) -> Optional[str]:
    """The longest run (3+ characters) of literal characters outside groups and classes that
    every match of `pattern` contains, used as a tokenward keyword; None if there is none."""
    runs, run, i = [], "", 0
    if pattern.startswith("(?i)"):
        i = 4
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern) and pattern[i + 1] in ".-$/+_:":
                run += pattern[i + 1]
            else:  # a class such as \b, \d or \s
                runs.append(run)
                run = ""
            i += 2
        elif c.isalnum() or c in "_-:/=@ ":
            run, i = run + c, i + 1
        else:
            if c in "?*{" and run:  # the last character is optional or repeated
                run = run[:-1]
            runs.append(run)
            run = ""
            if c in "[(":  # skip the class or group: nothing inside is required
                close, depth = {"[": "]", "(": ")"}[c], 0
                while i < len(pattern):
                    if pattern[i] == "\\":
                        i += 2
                        continue
                    depth += pattern[i] == c
                    depth -= pattern[i] == close
                    i += 1
                    if depth == 0:
                        break
            elif c == "{":
                i = pattern.index("}", i) + 1
            else:
                i += 1
    runs.append(run)
    best = max(runs, key=len)
    return best if len(best) >= 3 else None


def redactor_with(patterns: Sequence[str]) -> tokenward.Redactor:
    """The built-in rules plus one user rule per pattern, keyed by its required literal."""
    rules = []
    for index, pattern in enumerate(patterns):
        literal = required_literal(pattern)
        rules.append(
            {"id": f"bench_{index}", "pattern": pattern, "keywords": [literal] if literal else []}
        )
    return tokenward.Redactor(config={"rules": rules})


class ReFilter(logging.Filter):
    """RedactingFilter's work done with Python's `re`: same record handling, regex matching."""

    def __init__(self, patterns: Sequence[str], union: bool) -> None:
        super().__init__()
        compiled = [re.compile(p) for p in patterns]
        if union:
            compiled = [re.compile("|".join(_scoped(p) for p in patterns))]
        self.patterns = compiled

    def redact(self, text: str) -> str:
        for pattern in self.patterns:
            text = pattern.sub("[REDACTED]", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        message = msg if isinstance(msg, str) and not record.args else record.getMessage()
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _scoped(pattern: str) -> str:
    """A pattern as one branch of an alternation (a leading `(?i)` becomes `(?i:...)`)."""
    if pattern.startswith("(?i)"):
        return f"(?i:{pattern[4:]})"
    return f"(?:{pattern})"


# CPU time of this thread by default: on a shared, loaded machine wall time mostly measures
# waiting for a core. --wall switches to wall-clock time.
CLOCK = time.thread_time_ns

GH = "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"
AWS = "AKIA7QX2M4RB5KQ3YHV6"

Call = Tuple[str, Tuple[Any, ...]]


def make_calls(count: int) -> List[Call]:
    """Log calls (template, args) as an application makes them; one in 20 holds a secret."""
    clean: List[Callable[[int], Call]] = [
        lambda i: ("GET /api/v1/users/%d 200 %.1fms", (i, i % 97 / 3)),
        lambda i: ("user %s logged in from %s", (f"user{i % 1000}", f"10.0.{i % 256}.{i % 200}")),
        lambda i: ("cache miss for key %s", (f"session:{i:08x}:profile",)),
        lambda i: ("processed batch %d of %d (%d items)", (i % 50, 50, 128)),
        lambda i: ("connecting to db host=%s port=%d pool=%d", ("db-primary.internal", 5432, 10)),
        lambda i: ("health check ok", ()),
        lambda i: (
            "request completed: method=%s path=%s status=%d bytes=%d agent=%r",
            ("POST", f"/orders/{i}/items", 201, 512 + i % 4096, "Mozilla/5.0 (X11; Linux x86_64)"),
        ),
        lambda i: ("job %s finished in %.2fs, next run at %s", (f"sync-{i % 13}", i % 7 / 3, "02:00")),
    ]
    secret: List[Callable[[int], Call]] = [
        lambda i: ("calling GitHub with token %s", (GH,)),
        lambda i: ("retrying upload with key %s (attempt %d)", (AWS, i % 3)),
        lambda i: ("config loaded: password=%s", ("Tr0ub4dor3&horse",)),
    ]
    calls = []
    for i in range(count):
        pool = secret if i % 20 == 7 else clean
        calls.append(pool[i % len(pool)](i))
    return calls


class NullStream(io.TextIOBase):
    def write(self, s: str) -> int:
        return len(s)


def make_logger(name: str, filt: Optional[logging.Filter]) -> logging.Logger:
    logger = logging.getLogger(f"bench.{name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(NullStream())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    if filt is not None:
        handler.addFilter(filt)
    logger.addHandler(handler)
    return logger


class _no_gc:
    """The cyclic garbage collector off while timing, as `timeit` does: otherwise a collection
    of whatever the process holds (compiled patterns, earlier records) lands in a random
    variant's timing."""

    def __enter__(self) -> None:
        gc.collect()
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            gc.enable()


def time_filter(filt: Optional[logging.Filter], calls: List[Call]) -> float:
    """ns per record of filt.filter(record) on fresh records."""
    records = [logging.LogRecord("bench", logging.INFO, __file__, 1, m, a, None) for m, a in calls]
    if filt is None:
        return 0.0
    f = filt.filter
    with _no_gc():
        start = CLOCK()
        for record in records:
            f(record)
        return (CLOCK() - start) / len(records)


def time_logger(logger: logging.Logger, calls: List[Call]) -> float:
    """ns per record of logger.info(...) through a formatting handler."""
    info = logger.info
    with _no_gc():
        start = CLOCK()
        for msg, args in calls:
            info(msg, *args)
        return (CLOCK() - start) / len(calls)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--wall", action="store_true", help="time wall clock, not thread CPU")
    parser.add_argument(
        "--rules",
        type=int,
        default=0,
        help="compare at this many rules: tokenward gets user rules made of the extra re "
        "patterns (with their literal prefixes as keywords); default: the built-in count",
    )
    options = parser.parse_args()
    global CLOCK
    if options.wall:
        CLOCK = time.perf_counter_ns

    builtin = len(tokenward.Redactor().rules)
    rules = max(builtin, options.rules)
    # `re` gets as many patterns as there are, at most as many as tokenward has rules: when
    # the catalogue outgrows SECRET_PATTERNS, re does less work and the ratio is a floor.
    patterns = SECRET_PATTERNS[: min(rules, len(SECRET_PATTERNS))]
    extra = rules - builtin
    if extra > len(SECRET_PATTERNS):
        print(f"--rules {rules} needs {extra} extra patterns, have {len(SECRET_PATTERNS)}")
        return 1
    redactor = redactor_with(SECRET_PATTERNS[:extra])
    assert len(redactor.rules) == rules
    filters = {
        "none": None,
        "tokenward": RedactingFilter(redactor),
        "re-each": ReFilter(patterns, union=False),
        "re-union": ReFilter(patterns, union=True),
    }
    calls = make_calls(options.records)

    # The filters agree on what they catch in this corpus.
    for name in ("tokenward", "re-each"):
        record = logging.LogRecord("b", logging.INFO, "", 1, "token %s key %s", (GH, AWS), None)
        filters[name].filter(record)  # type: ignore[union-attr]
        assert GH not in record.getMessage() and AWS not in record.getMessage(), name

    loggers = {name: make_logger(name, f) for name, f in filters.items()}
    for name in filters:  # warm up
        time_filter(filters[name], calls[:2000])
        time_logger(loggers[name], calls[:2000])

    filter_ns: dict[str, List[float]] = {name: [] for name in filters}
    logger_ns: dict[str, List[float]] = {name: [] for name in filters}
    for _ in range(options.runs):  # interleaved, so drift affects every variant alike
        for name in filters:
            filter_ns[name].append(time_filter(filters[name], calls))
            logger_ns[name].append(time_logger(loggers[name], calls))

    f_med = {name: statistics.median(v) for name, v in filter_ns.items()}
    l_med = {name: statistics.median(v) for name, v in logger_ns.items()}
    base = l_med["none"]
    print(
        f"python {sys.version.split()[0]}, tokenward {tokenward.__version__}, {rules} rules "
        f"({builtin} built-in) / {len(patterns)} re patterns, {options.records} records (5% with secrets), "
        f"median of {options.runs} runs, {'wall' if options.wall else 'thread CPU'} time\n"
    )
    print(f"{'variant':<10} {'filter() ns/rec':>16} {'logger.info ns/rec':>19} {'added ns/rec':>13}")
    for name in filters:
        added = l_med[name] - base
        print(f"{name:<10} {f_med[name]:>16.0f} {l_med[name]:>19.0f} {added:>13.0f}")
    tw = f_med["tokenward"]
    print()
    print(f"tokenward filter(): {tw / 1000:.2f} us/record (target <= 1.5 us)")
    for name in ("re-each", "re-union"):
        print(f"{name} / tokenward, filter(): {f_med[name] / tw:.1f}x (target >= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
