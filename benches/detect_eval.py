#!/usr/bin/env python3
"""Evaluate detection and response end to end, as an operator would deploy them.

For each seed, generates four days of traffic with the noise of real fleets
(`traffic_gen.py --real-world`: team tokens in two countries, CI in two clouds, VPN users, mobile
apps, prefixed ids / slugs / versions / object keys in paths, honest error bursts and
backfills, token groups: service replicas, rotations, per-market or per-install app tokens, a
token per team office), registers every token from its registry metadata (owner, service,
environment, tags; a policy binding it to its subject; the tokens of one group share their
owner and service), takes `[usage]` and `[[respond]]` from
`examples/guard.toml` unchanged, replays everything through `tokenward replay --json`, and
reports per seed and per incident kind:

* detect@10 / detect@20: share of incidents with an alert within their first 10 / 20 requests
  (an alert on the owner's own request while the incident goes on counts at the incident's
  next request);
* false alerts per 100k normal requests (alerts not attributable to an incident);
* legitimate tokens quarantined (or revoked) by a false alert;
* normal requests denied by the responses (share of non-incident requests denied with
  `anomaly_denied`, or `quarantined` / `revoked` after a rule stopped the token); requests the
  policy refused by itself are shown apart (`policy denied %`: paths that have no canonical
  form; object keys with `%2F` are accepted, since these policies have no endpoint scopes);
* attacker requests denied after the first alert (share of an incident's requests after the
  request that raised its first alert);
* false alerts on grouped tokens by their part in the group (replica, scale_out,
  second_region, successor, rotated_out, market, install, office, primary): a successor,
  scaled-out replica or new install is learning and its group's places are not new to it; a
  replica started in a second region is legitimately new to its group.

Incident kinds include `fresh_token_leak`: a successor token minted for a rotation is used from
another country with another client before or among the owner's first requests; and
`fresh_token_leak_owner_client`, the same with the owner's own client (a quarter of them).

Tuning seeds (the ones the detectors and rules were tuned on) and held-out seeds (never
looked at while tuning) are reported side by side. One command:

    python3 benches/detect_eval.py

Options: --tuning 1,2 --held-out 41,42 --tokens 200 --days 4 --workdir /tmp/tokenward-detect
--config examples/guard.toml --bin PATH (default: builds the release CLI) --fresh --check
(exit 1 when a held-out seed misses a goal).
"""

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
HOUR = 3_600_000
GOALS = {"detect@10": 0.90, "detect@20": 1.00, "false/100k": 1.0, "legit quarantined": 0,
         "normal denied %": 0.1, "attacker denied": 0.95}


def generate(seed, a):
    traffic = os.path.join(a.workdir, f"traffic-{seed}.jsonl")
    labels = os.path.join(a.workdir, f"labels-{seed}.json")
    if a.fresh or not os.path.exists(labels):
        subprocess.run([sys.executable, os.path.join(HERE, "traffic_gen.py"), "--seed",
                        str(seed), "--tokens", str(a.tokens), "--days", str(a.days),
                        "--real-world", "--out", traffic, "--labels", labels],
                       check=True, stdout=subprocess.DEVNULL)
    return traffic, labels


def registry_config(traffic, labels_path, shipped, path):
    """A replay config as a user writes one from a token registry, with the shipped detector
    settings and response rules. Tokens of one group (replicas, a rotation, an app's tokens, a
    team's offices) share their owner and service, as a registry records them."""
    groups = json.load(open(labels_path)).get("groups", {})
    tokens = {}
    with open(traffic) as f:
        for raw in f:
            rec = json.loads(raw)
            tokens.setdefault(rec["token"], rec.get("subject"))
    entries = []
    for token, subject in tokens.items():
        kind = token.split("_")[1]
        entry = {"token": token, "owner": f"owner-{token.split('_')[2]}"}
        if kind in ("service", "cron", "mobile"):
            entry.update(service=f"{kind}-{token.split('_')[2]}", environment="prod")
        if token in groups:
            entry.update(owner=f"owner-{groups[token]}", service=groups[token])
        entry["tags"] = [kind]
        if subject:
            entry["policy"] = {"subjects": [subject]}
        entries.append(entry)
    config = {"event_capacity": 1024, "usage": shipped.get("usage", {}),
              "respond": shipped.get("respond", []), "tokens": entries}
    with open(path, "w") as out:
        json.dump(config, out)


def replay(binary, config, traffic, decisions):
    with open(decisions, "w") as out:
        subprocess.run([binary, "replay", "--config", config, "--json", traffic], stdout=out,
                       stderr=subprocess.DEVNULL, check=True)


def score(traffic, labels_path, decisions):
    labels = json.load(open(labels_path))
    incidents = labels["incidents"]
    incident_of = {}
    for inc in incidents:
        for i, line in enumerate(inc["lines"]):
            incident_of[line] = (inc["id"], i)
    # The owner's first ordinary request after an incident may be what looks wrong next to
    # the attacker's: alerts up to then are attributable to the incident.
    spans = defaultdict(list)
    returns = {}
    by_token = defaultdict(list)
    for inc in incidents:
        by_token[inc["token"]].append(inc)
    tokens, times = {}, {}
    with open(traffic) as f:
        for n, raw in enumerate(f, 1):
            rec = json.loads(raw)
            tokens[n], times[n] = rec["token"], rec["ts"]
            for inc in by_token.get(rec["token"], []):
                if inc["id"] not in returns and rec["ts"] > inc["end"] and n not in incident_of:
                    returns[inc["id"]] = rec["ts"]
    for inc in incidents:
        spans[inc["token"]].append((inc["start"], max(inc["attributable_until"],
                                                      returns.get(inc["id"], 0))))
    attributable = lambda n: n in incident_of or any(
        s <= times[n] <= e for s, e in spans.get(tokens[n], []))

    first_alert = {}
    seen = defaultdict(int)  # an incident's requests so far
    denied_after = defaultdict(lambda: [0, 0])
    false_alerts, legit_stopped = [], set()
    normal = normal_denied = normal_policy_denied = 0
    with open(decisions) as f:
        for raw in f:
            d = json.loads(raw)
            n = d["line"]
            alerts = d.get("alerts") or []
            denied = d["decision"] == "deny"
            if n in incident_of:
                inc, i = incident_of[n]
                seen[inc] = i + 1
                if inc in first_alert and i > first_alert[inc]:
                    denied_after[inc][0] += denied
                    denied_after[inc][1] += 1
                if alerts and inc not in first_alert:
                    first_alert[inc] = i
                continue
            # An alert on the owner's own request while an incident on the token goes on (a
            # rate over the bar counts the attacker's requests too) detects the incident: it
            # is counted at the incident's next request, the first one the host can act on.
            if alerts:
                for inc in by_token.get(tokens[n], []):
                    if (inc["id"] not in first_alert and seen[inc["id"]]
                            and times[n] <= inc["end"]):
                        first_alert[inc["id"]] = seen[inc["id"]]
            normal += 1
            # Denied by a response to an alert (anomaly_denied, or a token stopped by a rule),
            # apart from what the policy refused by itself (paths with no canonical form).
            responded = any(r in ("anomaly_denied", "quarantined", "revoked")
                            for r in d["reasons"])
            normal_denied += responded
            normal_policy_denied += denied and not responded
            if alerts and not attributable(n):
                false_alerts.extend((n, a) for a in alerts)
                stops = {x["on"] for x in d.get("actions") or []
                         if x["action"] in ("quarantine", "revoke")}
                if stops:
                    legit_stopped.add(tokens[n])
    kinds = defaultdict(list)
    for inc in incidents:
        first = first_alert.get(inc["id"])
        d, t = denied_after[inc["id"]]
        kinds[inc["kind"]].append({"first": None if first is None else first + 1,
                                   "requests": len(inc["lines"]), "denied": d, "after": t})
    roles = labels.get("roles", {})
    by_role = defaultdict(int)
    for n, _ in false_alerts:
        if tokens[n] in roles:
            by_role[roles[tokens[n]]] += 1
    return {"kinds": kinds, "false": false_alerts, "normal": normal,
            "normal_denied": normal_denied, "policy_denied": normal_policy_denied,
            "legit_stopped": legit_stopped, "false_by_role": by_role}


def within(rows, k):
    return sum(1 for r in rows if r["first"] is not None and r["first"] <= min(k, r["requests"]))


def summary(result):
    rows = [r for rs in result["kinds"].values() for r in rs]
    after = sum(r["after"] for r in rows)
    return {
        "incidents": len(rows),
        "detect@10": within(rows, 10) / max(len(rows), 1),
        "detect@20": within(rows, 20) / max(len(rows), 1),
        "false/100k": len(result["false"]) / max(result["normal"], 1) * 100_000,
        "legit quarantined": len(result["legit_stopped"]),
        "normal denied %": result["normal_denied"] / max(result["normal"], 1) * 100,
        "attacker denied": sum(r["denied"] for r in rows) / after if after else 1.0,
        "policy denied %": result["policy_denied"] / max(result["normal"], 1) * 100,
    }


def print_seed(seed, group, result, out=sys.stdout):
    p = lambda *x: print(*x, file=out)
    s = summary(result)
    p(f"\n== seed {seed} ({group}): {s['incidents']} incidents, {result['normal']} normal requests")
    p(f"  {'incident kind':<20} {'n':>3} {'det@10':>7} {'det@20':>7} {'median':>7} "
      f"{'att.denied':>10}")
    for kind in sorted(result["kinds"]):
        rows = result["kinds"][kind]
        firsts = sorted(r["first"] for r in rows if r["first"] is not None)
        after = sum(r["after"] for r in rows)
        denied = sum(r["denied"] for r in rows) / after if after else float("nan")
        med = firsts[len(firsts) // 2] if firsts else "-"
        p(f"  {kind:<20} {len(rows):>3} {within(rows, 10):>3}/{len(rows):<3} "
          f"{within(rows, 20):>3}/{len(rows):<3} {med:>7} {denied:>10.2f}")
    p("  " + ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                       for k, v in s.items() if k != "incidents"))
    by = defaultdict(int)
    for _, a in result["false"]:
        by[(a["kind"], a["severity"])] += 1
    if by:
        p("  false alerts: " + ", ".join(f"{k}/{s_}: {n}" for (k, s_), n in sorted(by.items())))
    if result["false_by_role"]:
        p("  of which on grouped tokens: " + ", ".join(
            f"{r}: {n}" for r, n in sorted(result["false_by_role"].items())))
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tuning", default="1,2")
    ap.add_argument("--held-out", default="41,42")
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--workdir", default="/tmp/tokenward-detect")
    ap.add_argument("--config", default=os.path.join(ROOT, "examples", "guard.toml"))
    ap.add_argument("--bin", help="tokenward binary (default: build the release CLI)")
    ap.add_argument("--fresh", action="store_true", help="regenerate traffic")
    ap.add_argument("--check", action="store_true", help="exit 1 when a held-out seed misses a goal")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    binary = a.bin
    if not binary:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "tokenward-cli"], cwd=ROOT,
                       check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        binary = os.path.join(target, "release", "tokenward")
    with open(a.config, "rb") as f:
        shipped = tomllib.load(f)
    table = {}
    for group, seeds in (("tuning", a.tuning), ("held-out", a.held_out)):
        for seed in filter(None, seeds.split(",")):
            traffic, labels = generate(seed, a)
            config = os.path.join(a.workdir, f"config-{seed}.json")
            decisions = os.path.join(a.workdir, f"decisions-{seed}.jsonl")
            registry_config(traffic, labels, shipped, config)
            replay(binary, config, traffic, decisions)
            table[(group, seed)] = print_seed(seed, group, score(traffic, labels, decisions))
    print("\n== side by side")
    cols = list(GOALS) + ["policy denied %"]
    print(f"  {'seed':<14}" + "".join(f"{c:>19}" for c in cols))
    for (group, seed), s in table.items():
        print(f"  {group + ' ' + seed:<14}" + "".join(
            f"{s[c]:>19.3f}" if isinstance(s[c], float) else f"{s[c]:>19}" for c in cols))
    print(f"  {'goal':<14}" + "".join(f"{GOALS.get(c, '-'):>19}" for c in cols))
    if a.check:
        ok = all(s["detect@10"] >= GOALS["detect@10"] and s["detect@20"] >= GOALS["detect@20"]
                 and s["false/100k"] <= GOALS["false/100k"]
                 and s["legit quarantined"] <= GOALS["legit quarantined"]
                 and s["normal denied %"] <= GOALS["normal denied %"]
                 and s["attacker denied"] >= GOALS["attacker denied"]
                 for (g, _), s in table.items() if g == "held-out")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
