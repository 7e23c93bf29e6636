#!/usr/bin/env python3
"""Score tokenward's anomaly detectors against labelled traffic.

Reads the incident labels written by traffic_gen.py and a per-request decision stream (JSON
lines `{"line": n, "alerts": [{"kind", "severity", "evidence"}], ...}`, as printed by
`tokenward replay --json` or by the `usage_replay` example), and reports:

* detection rate per incident kind (by any alert, and by the kinds meant for it),
* requests until detection (1-based index of the incident's first request carrying an alert),
* false alerts per 100k normal requests, by kind and severity.

An alert is a true one when it is on an incident's request, or on the incident's token between
the incident's start and an hour after its end or the owner's first request after it,
whichever is later (the owner's return after an attacker's requests is what looks impossible
then). Every other alert is false.

One run, files already made:

    python3 benches/anomaly_eval.py --labels l.json --traffic t.jsonl --decisions d.jsonl

Several seeds end to end (generate, replay with the usage_replay example, score):

    python3 benches/anomaly_eval.py --seeds 1,2,3,4,5 --workdir /tmp/tw-eval

The same through the whole Guard (`tokenward replay --json`, a config registering every token
with a policy binding it to its subject):

    python3 benches/anomaly_eval.py --seeds 1,2,3,4,5 --workdir /tmp/tw-eval --replay

Generated traffic is kept in --workdir and reused (--fresh regenerates it).

Exit status 1 when a target is missed: an incident not detected within 20 of its requests, or
more than one false alert per 100k normal requests.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOUR = 3_600_000

EXPECTED = {
    "leaked_new_country": {"new_country", "impossible_travel", "new_network", "new_user_agent"},
    "botnet_fanout": {"ip_fanout"},
    "rate_spike": {"rate_spike"},
    "endpoint_scan": {"endpoint_out_of_scope", "error_burst"},
    "error_burst": {"error_burst"},
    "impossible_travel": {"impossible_travel"},
    "repeated_denials": {"repeated_denials"},
    "dormant_wakeup": {"dormant_wakeup"},
}
WITHIN = 20
MAX_FALSE_PER_100K = 1.0


def load_decisions(path):
    alerts = {}
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            raw = raw.strip()
            if not raw:
                continue
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: not JSON: {e}")
            if rec.get("alerts"):
                alerts[rec["line"]] = rec["alerts"]
    return alerts


def line_facts(traffic, wanted, incidents, incident_lines):
    """Token and timestamp of the wanted line numbers; and, per incident, the time of its
    token's first ordinary request after the incident ended (the owner's return, which may be
    what looks impossible next to the attacker's requests)."""
    facts = {}
    pending = defaultdict(list)
    for inc in incidents:
        pending[inc["token"]].append(inc)
    returns = {}
    with open(traffic) as f:
        for n, raw in enumerate(f, 1):
            hit = n in wanted
            if not hit and not any(t in raw for t in pending):
                continue
            rec = json.loads(raw)
            if hit:
                facts[n] = (rec["token"], rec["ts"])
            for inc in pending.get(rec["token"], []):
                if inc["id"] not in returns and rec["ts"] > inc["end"] and n not in incident_lines:
                    returns[inc["id"]] = rec["ts"]
    return facts, returns


def score(labels_path, traffic, decisions_path):
    labels = json.load(open(labels_path))
    alerts = load_decisions(decisions_path)
    incidents = labels["incidents"]
    incident_line = {}
    for inc in incidents:
        for i, line in enumerate(inc["lines"]):
            incident_line[line] = (inc["id"], i)
    facts, returns = line_facts(traffic, set(alerts), incidents, incident_line)
    spans = defaultdict(list)
    for inc in incidents:
        until = max(inc["attributable_until"], returns.get(inc["id"], 0))
        spans[inc["token"]].append((inc["start"], until))

    per_kind = defaultdict(list)
    for inc in incidents:
        first_any = first_expected = None
        for i, line in enumerate(inc["lines"], 1):
            kinds = {a["kind"] for a in alerts.get(line, [])}
            if kinds and first_any is None:
                first_any = i
            if kinds & EXPECTED[inc["kind"]] and first_expected is None:
                first_expected = i
        per_kind[inc["kind"]].append({"id": inc["id"], "requests": len(inc["lines"]),
                                      "first_any": first_any, "first_expected": first_expected})

    false = []
    for line, line_alerts in alerts.items():
        if line in incident_line:
            continue
        token, ts = facts[line]
        if any(s <= ts <= e for s, e in spans.get(token, [])):
            continue
        for a in line_alerts:
            false.append((line, token, a))
    normal = labels["requests"] - len(incident_line)
    return per_kind, false, normal, labels


def report(per_kind, false, normal, labels, out=sys.stdout):
    ok = True
    p = lambda *a: print(*a, file=out)
    p(f"requests: {labels['requests']}, normal: {normal}, incidents: {len(labels['incidents'])}")
    p(f"{'incident':<20} {'n':>3} {'detected':>9} {'by kind':>8} {'<=20 req':>8} "
      f"{'median':>7} {'max':>5}")
    for kind in sorted(per_kind):
        rows = per_kind[kind]
        firsts = [r["first_any"] for r in rows if r["first_any"] is not None]
        within = sum(1 for r in rows if r["first_any"] is not None
                     and r["first_any"] <= min(WITHIN, r["requests"]))
        by_kind = sum(1 for r in rows if r["first_expected"] is not None)
        if within < len(rows):
            ok = False
        p(f"{kind:<20} {len(rows):>3} {len(firsts):>4}/{len(rows):<4} {by_kind:>4}/{len(rows):<3} "
          f"{within:>4}/{len(rows):<3} {statistics.median(firsts) if firsts else '-':>7} "
          f"{max(firsts) if firsts else '-':>5}")
        for r in rows:
            if r["first_any"] is None or r["first_any"] > WITHIN:
                p(f"    missed: incident {r['id']} ({r['requests']} requests, first alert at "
                  f"{r['first_any']})")
    rate = len(false) / normal * 100_000 if normal else 0.0
    if rate > MAX_FALSE_PER_100K:
        ok = False
    p(f"false alerts: {len(false)} = {rate:.2f} per 100k normal requests "
      f"(target <= {MAX_FALSE_PER_100K})")
    order = ["low", "medium", "high", "critical"]
    for floor in order[1:3]:
        n = sum(1 for _, _, a in false if order.index(a["severity"]) >= order.index(floor))
        p(f"    of which severity >= {floor}: {n} = {n / max(normal, 1) * 100_000:.2f} per 100k")
    by = Counter((a["kind"], a["severity"]) for _, _, a in false)
    for (kind, sev), n in by.most_common():
        p(f"    {kind} ({sev}): {n}")
    for line, token, a in false[:10]:
        p(f"    line {line} {token}: {a['kind']} {json.dumps(a.get('evidence'))}")
    return ok


def replay_config(traffic, path):
    """A `tokenward replay` config for generated traffic: usage tracking with default
    detectors, no response rules (alerts only, so they do not change later traffic), and
    every token registered with a policy binding it to its subject (its first request's)."""
    subjects = {}
    with open(traffic) as f:
        for raw in f:
            rec = json.loads(raw)
            subjects.setdefault(rec["token"], rec.get("subject"))
    with open(path, "w") as out:
        out.write("event_capacity = 16\n[usage]\n")
        for token, subject in subjects.items():
            out.write(f"\n[[tokens]]\ntoken = {json.dumps(token)}\n")
            if subject:
                out.write(f"policy = {{ subjects = [{json.dumps(subject)}] }}\n")


def run_seed(seed, workdir, extra_gen, driver, replay):
    traffic = os.path.join(workdir, f"traffic-{seed}.jsonl")
    labels = os.path.join(workdir, f"labels-{seed}.json")
    decisions = os.path.join(workdir, f"decisions-{seed}.jsonl")
    if not os.path.exists(labels):
        subprocess.run([sys.executable, os.path.join(HERE, "traffic_gen.py"), "--seed", str(seed),
                        "--out", traffic, "--labels", labels] + extra_gen, check=True)
    if replay:
        config = os.path.join(workdir, f"guard-{seed}.toml")
        replay_config(traffic, config)
        command = driver + ["replay", "--config", config, "--json", "--only-flagged", traffic]
    else:
        command = driver + ["--alerts-only", traffic]
    with open(decisions, "w") as out:
        subprocess.run(command, stdout=out, check=True)
    return score(labels, traffic, decisions)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--labels")
    ap.add_argument("--traffic")
    ap.add_argument("--decisions")
    ap.add_argument("--seeds", help="comma-separated seeds: generate, replay and score each")
    ap.add_argument("--workdir", default="/tmp/tokenward-eval")
    ap.add_argument("--tokens", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--driver", help="command printing decisions (default: the usage_replay "
                    "example, built with --release)")
    ap.add_argument("--replay", action="store_true",
                    help="replay through the whole Guard with `tokenward replay --json` (built "
                    "with --release): policies bind each token to its subject, so the repeated "
                    "denials incidents are real subject_mismatch denials")
    ap.add_argument("--fresh", action="store_true", help="regenerate traffic already in --workdir")
    a = ap.parse_args()
    if a.seeds:
        os.makedirs(a.workdir, exist_ok=True)
        extra = []
        if a.tokens:
            extra += ["--tokens", str(a.tokens)]
        if a.days:
            extra += ["--days", str(a.days)]
        if a.fresh:
            for seed in a.seeds.split(","):
                for name in (f"labels-{seed}.json", f"traffic-{seed}.jsonl"):
                    if os.path.exists(os.path.join(a.workdir, name)):
                        os.remove(os.path.join(a.workdir, name))
        if a.driver:
            driver = a.driver.split()
        elif a.replay:
            subprocess.run(["cargo", "build", "--release", "-q", "-p", "tokenward-cli"],
                           cwd=ROOT, check=True)
            driver = [os.path.join(ROOT, "target", "release", "tokenward")]
        else:
            subprocess.run(["cargo", "build", "--release", "-q", "-p", "tokenward", "--example",
                            "usage_replay"], cwd=ROOT, check=True)
            driver = [os.path.join(ROOT, "target", "release", "examples", "usage_replay")]
        ok = True
        for seed in a.seeds.split(","):
            print(f"== seed {seed}")
            per_kind, false, normal, labels = run_seed(int(seed), a.workdir, extra, driver,
                                                       a.replay)
            print(f"params: {json.dumps(labels['params'])}")
            ok &= report(per_kind, false, normal, labels)
        sys.exit(0 if ok else 1)
    if not (a.labels and a.traffic and a.decisions):
        ap.error("give --labels, --traffic and --decisions, or --seeds")
    per_kind, false, normal, labels = score(a.labels, a.traffic, a.decisions)
    sys.exit(0 if report(per_kind, false, normal, labels) else 1)


if __name__ == "__main__":
    main()
