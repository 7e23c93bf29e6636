#!/usr/bin/env python3
"""Generate a realistic multi-day JSON-lines traffic stream for many tokens, with injected and
labelled incidents, to evaluate tokenward's usage anomaly detectors.

    python3 benches/traffic_gen.py --seed 1 --out /tmp/traffic.jsonl --labels /tmp/labels.json

Normal traffic comes from four kinds of token, each with stable habits and realistic noise:

* service: a backend calling an API from 1-3 datacenter IPs, steady rate with a mild daily
  swing, a fixed client, a fixed set of endpoints; now and then a redeploy moves it to a new IP
  in the same range.
* personal: a developer's CLI token, used in sessions during local office hours on weekdays
  (some weekend use), from home and office networks, some from a mobile carrier whose CGNAT
  address changes every session; client version bumps; occasional travel abroad (a flight of
  realistic duration, a few days away, hotel networks, then home).
* ci: build pipelines, bursts of requests from ephemeral cloud runners whose IPs come from a
  large pool spanning many ranges, 1-3 parallel jobs.
* cron: a nightly job, a handful of requests a day from one IP.

Some tokens send latitude/longitude with every request (precise geolocation), the rest only a
country. A few tokens have a long-past history and then go silent (for the dormant incident).

Incidents (labels written to --labels): leaked_new_country, botnet_fanout, rate_spike,
dormant_wakeup, endpoint_scan, error_burst, impossible_travel, repeated_denials. Each label
holds the incident's kind, token, the line numbers of its requests in order, and the span
during which the token's alerts are attributable to it.

With --real-world, the noise of real fleets is added (team tokens in two countries, CI in two
clouds, VPN users, mobile apps, rich paths, honest error bursts and backfills), and token
groups, several tokens of one owner and service as registries hold them: service replicas
(some scaled out mid-stream, a few of those in a second region), rotations (a successor token
with the same places and client, the old one stopping within an hour of the successor's first
request), an app's per-market or per-install tokens, a token per team office. The labels add
`groups` (token -> group name) and `roles` (token -> its part in the group); none of this is
an incident. Two more incident kinds: reconnaissance, and fresh_token_leak (a rotation's
successor leaks: another country and client, before or among the owner's first requests;
fresh_token_leak_owner_client when the attacker runs the owner's own client, a quarter of
them).

Generator parameters (rates, token mix, churn, travel, attacker speeds, warm-up) are drawn from
the seed, so different seeds exercise different populations, not just different noise. The
`params` object in the labels file records what was drawn.

With --example DIR it writes the shipped example instead: DIR/traffic.jsonl (four days of 50
tokens, the last day with four incidents: a leaked token used from a new country, a botnet
fan-out, a dormant token waking, an endpoint scan), DIR/guard.toml (the replay config: rules,
policies and the 50 tokens) and DIR/traffic.labels.json. It is seeded and reproducible:

    python3 benches/traffic_gen.py --example examples
"""

import argparse
import datetime
import json
import math
import os
import random

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z, a Thursday

# Country: (latitude, longitude, UTC offset hours) of a representative city.
COUNTRIES = {
    "US": (40.7, -74.0, -5), "CA": (43.7, -79.4, -5), "BR": (-23.5, -46.6, -3),
    "MX": (19.4, -99.1, -6), "GB": (51.5, -0.1, 0), "IE": (53.3, -6.3, 0),
    "DE": (52.5, 13.4, 1), "FR": (48.9, 2.35, 1), "NL": (52.4, 4.9, 1),
    "ES": (40.4, -3.7, 1), "IT": (41.9, 12.5, 1), "PL": (52.2, 21.0, 1),
    "SE": (59.3, 18.1, 1), "AT": (48.2, 16.4, 1), "CH": (47.4, 8.5, 1),
    "IN": (19.1, 72.9, 5.5), "SG": (1.35, 103.8, 8), "JP": (35.7, 139.7, 9),
    "KR": (37.6, 127.0, 9), "AU": (-33.9, 151.2, 10), "ZA": (-26.2, 28.0, 2),
    "NG": (6.5, 3.4, 1), "RU": (55.8, 37.6, 3), "CN": (31.2, 121.5, 8),
    "VN": (21.0, 105.8, 7), "UA": (50.4, 30.5, 2), "TR": (41.0, 29.0, 3),
    "AR": (-34.6, -58.4, -3), "ID": (-6.2, 106.8, 7), "IL": (32.1, 34.8, 2),
}
HOME_COUNTRIES = ["US", "US", "US", "DE", "GB", "FR", "NL", "IN", "BR", "CA", "JP", "AU",
                  "ES", "SE", "PL", "IE", "SG", "CH", "IT", "KR"]
ATTACKER_COUNTRIES = ["RU", "CN", "NG", "VN", "UA", "BR", "ID", "TR", "IN", "US", "NL", "DE"]

SERVICE_AGENTS = ["Go-http-client/1.1", "python-requests/2.31.0", "okhttp/4.12.0",
                  "billing-svc/3.4.1", "axios/1.6.2", "Apache-HttpClient/5.2.1",
                  "aws-sdk-go/1.50.3", "node-fetch/1.0"]
PERSONAL_AGENTS = ["gh/2.40.1 (linux)", "tw-cli/0.9.3 (darwin; arm64)", "curl/8.4.0",
                   "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 Safari/605.1.15",
                   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.6099.109 Safari/537.36",
                   "HTTPie/3.2.2", "Postman/10.21.0", "insomnia/8.4.5"]
ATTACKER_AGENTS = ["python-requests/2.28.1", "curl/7.68.0", "Go-http-client/2.0",
                   "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
                   "aiohttp/3.9.1", "Wget/1.21.2", "masscan/1.3", "nuclei/3.1.0"]

# A team member at the other office uses their own office's token there: sessions a day, as a
# share of the office's own.
VISIT_SHARE = 0.03
# Regions a service owner runs a second deployment in.
CLOUD_REGIONS = ("US", "IE", "DE", "SG", "JP")

RESOURCES = ["repos", "issues", "builds", "artifacts", "deployments", "users", "orders",
             "invoices", "customers", "projects", "releases", "metrics", "events", "keys",
             "webhooks", "teams", "jobs", "reports", "tickets", "products", "payments",
             "sessions", "files", "secrets", "audit", "config", "search", "billing"]
SCAN_PATHS = ["/admin", "/admin/users", "/.env", "/.git/config", "/api/v1/keys",
              "/api/internal/debug", "/actuator/env", "/wp-login.php", "/server-status",
              "/api/v2/users/export", "/graphql", "/api/admin/tokens", "/backup.zip",
              "/config.json", "/api/v1/secrets", "/console", "/phpmyadmin", "/.aws/credentials",
              "/api/v1/billing/export", "/internal/metrics", "/debug/pprof", "/api/v1/orgs",
              "/api/v1/audit/logs", "/swagger.json", "/api/v1/roles", "/api/v1/sso/config"]


class Net:
    """Synthetic address plan: disjoint /16s handed out to countries and providers."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def wide(self):
        while True:
            a = self.rng.randint(11, 223)
            b = self.rng.randint(0, 255)
            if a in (127, 169, 172, 192, 10, 100) or (a, b) in self.used:
                continue
            self.used.add((a, b))
            return (a, b)

    def ip_in(self, wide, c=None):
        c = self.rng.randint(0, 255) if c is None else c
        return f"{wide[0]}.{wide[1]}.{c}.{self.rng.randint(1, 254)}"


def endpoint_set(rng, n):
    out = []
    for _ in range(n):
        r = rng.choice(RESOURCES)
        shape = rng.random()
        if shape < 0.4:
            out.append(("GET", f"/v1/{r}", False))
        elif shape < 0.7:
            out.append(("GET", f"/v1/{r}/{{id}}", True))
        elif shape < 0.85:
            out.append(("POST", f"/v1/{r}", False))
        else:
            sub = rng.choice(RESOURCES)
            out.append((rng.choice(["GET", "PUT"]), f"/v1/{r}/{{id}}/{sub}", True))
    return list(dict.fromkeys(out))


WORDS = ["acme", "widget", "service", "platform", "mobile", "web", "billing", "data", "core",
         "north", "blue", "river", "quick", "start", "guide", "release", "notes", "team",
         "alpha", "beta", "reset", "password", "how", "to", "setup", "sso", "export"]
ID_PREFIXES = ["cus", "sub", "inv", "pi", "acct", "prod", "price", "evt", "ch", "txn"]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def rich_endpoint_set(rng, n):
    """Endpoints as real APIs shape them: prefixed ids, slugs, versions, object keys."""
    out = []
    for _ in range(n):
        r = rng.choice(RESOURCES)
        shape = rng.random()
        if shape < 0.25:
            out.append(("GET", f"/v1/{r}/{{pid}}", True))
        elif shape < 0.4:
            out.append((rng.choice(["GET", "PATCH"]), f"/v1/projects/{{slug}}/{r}", True))
        elif shape < 0.5:
            out.append(("GET", f"/v1/releases/{{ver}}/{r}", True))
        elif shape < 0.6:
            out.append((rng.choice(["GET", "PUT"]), "/v1/objects/{key}", True))
        elif shape < 0.7:
            out.append(("GET", "/repos/{org}/{slug}/" + r, True))
        elif shape < 0.8:
            out.append(("GET", f"/v1/docs/{{slug}}", True))
        else:
            out.append(("GET", f"/v1/{r}", False))
    return list(dict.fromkeys(out))


def render(rng, ep, orgs=("acme",)):
    method, path, _ = ep
    while "{id}" in path:
        path = path.replace("{id}", str(rng.randint(1, 99999)), 1)
    while "{pid}" in path:
        body = "".join(rng.choice(B62) for _ in range(rng.randint(8, 24)))
        path = path.replace("{pid}", f"{rng.choice(ID_PREFIXES)}_{body}", 1)
    while "{slug}" in path:
        slug = "-".join(rng.sample(WORDS, rng.choice([1, 2, 2, 3, 4])))
        path = path.replace("{slug}", slug, 1)
    while "{ver}" in path:
        ver = rng.choice([f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 20)}",
                          f"v{rng.randint(1, 5)}.{rng.randint(0, 12)}",
                          f"{rng.randint(2019, 2026)}.{rng.randint(1, 12):02d}"])
        path = path.replace("{ver}", ver, 1)
    while "{key}" in path:
        key = f"{rng.choice(['reports', 'exports', 'uploads'])}%2F{rng.randint(2020, 2026)}%2F" \
              f"{rng.choice(WORDS)}-{rng.randint(1, 999)}.{rng.choice(['csv', 'pdf', 'json'])}"
        path = path.replace("{key}", key, 1)
    while "{org}" in path:
        path = path.replace("{org}", rng.choice(orgs), 1)
    if rng.random() < 0.1:
        path += f"?page={rng.randint(1, 9)}"
    return method, path


def zipf_pick(rng, items, s=1.1):
    weights = [1.0 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights)[0]


class Gen:
    def __init__(self, seed, tokens, days, noise=False):
        self.rng = random.Random(seed)
        self.seed = seed
        rng = self.rng
        self.noise = noise
        self.net = Net(rng)
        self.days = days
        # Per-seed population parameters: vary the world, not just the noise.
        self.p = {
            "tokens": tokens,
            "days": days,
            "mix": {
                "service": rng.uniform(0.2, 0.4),
                "personal": rng.uniform(0.3, 0.5),
                "ci": rng.uniform(0.08, 0.2),
                "cron": rng.uniform(0.05, 0.15),
            },
            "service_rate_per_min": [rng.uniform(0.05, 0.3), rng.uniform(1.5, 6.0)],
            "diurnal_amplitude": rng.uniform(0.2, 0.8),
            "mobile_share": rng.uniform(0.1, 0.5),
            "travel_share": rng.uniform(0.03, 0.12),
            "precise_location_share": rng.uniform(0.1, 0.4),
            "weekend_share": rng.uniform(0.05, 0.3),
            "redeploy_share": rng.uniform(0.05, 0.3),
            "ci_parallel_max": rng.randint(1, 3),
            "warmup_days": rng.randint(4, 6),
            "attacker_speed": rng.uniform(0.5, 3.0),
        }
        if noise:
            # How real fleets differ from the tidy model above (see REAL_WORLD in the module
            # docs): drawn per seed like the rest.
            self.p["mix"].update({"team": rng.uniform(0.05, 0.12), "mobile": rng.uniform(0.03, 0.08)})
            self.p.update({
                "ci_two_clouds_share": rng.uniform(0.2, 0.5),
                "vpn_share": rng.uniform(0.1, 0.3),
                "rich_paths_share": rng.uniform(0.3, 0.6),
                "error_noise_per_day": rng.uniform(0.05, 0.2),
                "backfill_per_day": rng.uniform(0.02, 0.08),
                # Token groups: several tokens of one owner and service (see group_tokens).
                "rotation_share": rng.uniform(0.1, 0.2),
                "replica_share": rng.uniform(0.1, 0.25),
                "scale_out_share": rng.uniform(0.2, 0.4),
                "second_region_share": rng.uniform(0.1, 0.3),  # of the scaled-out replicas
                "mobile_split_share": rng.uniform(0.3, 0.6),
                "team_split_share": rng.uniform(0.3, 0.6),
            })
        self.groups = {}  # token -> group name: tokens sharing an owner and service
        self.roles = {}  # token -> its part in its group (replica, successor, install, ...)
        self.events = []  # (ts, seq, record, incident or None)
        self.labels = []
        self.seq = 0
        self.cloud_pool = [self.net.wide() for _ in range(40)]
        self.country_nets = {c: [self.net.wide() for _ in range(8)] for c in COUNTRIES}
        self.dc_nets = {c: [self.net.wide() for _ in range(2)] for c in COUNTRIES}

    # --- records ---------------------------------------------------------------------------

    def emit(self, tok, ts, ip, country, agent, ep=None, status=200, incident=None,
             method_path=None, denied=False, loc=None):
        if method_path is None:
            method, path = render(self.rng, ep, tok.get("orgs", ("acme",)))
        else:
            method, path = method_path
        rec = {"ts": int(ts), "token": tok["token"], "ip": ip, "country": country,
               "method": method, "path": path, "user_agent": agent, "status": status,
               "subject": tok["subject"]}
        if denied:
            # Someone else holds the token: a policy binding it to its subject denies them
            # (`subject_mismatch` in a Guard); `denied` tells drivers without a Guard.
            rec["subject"] = "unknown-client"
            rec["denied"] = True
        if tok["precise"]:
            lat, lon = loc if loc else tok["home_point"]
            rec["lat"] = round(lat + self.rng.uniform(-0.02, 0.02), 4)
            rec["lon"] = round(lon + self.rng.uniform(-0.02, 0.02), 4)
        self.seq += 1
        self.events.append((int(ts), self.seq, rec, incident))

    # --- tokens ----------------------------------------------------------------------------

    def make_token(self, i, kind):
        rng = self.rng
        home = rng.choice(HOME_COUNTRIES)
        lat, lon, tz = COUNTRIES[home]
        tok = {
            "token": f"tw_{kind}_{i:04d}_{rng.getrandbits(64):016x}",
            "subject": f"{kind}-{i}",
            "kind": kind,
            "home": home,
            "tz": tz,
            "precise": kind == "personal" and rng.random() < self.p["precise_location_share"],
            "home_point": (lat + rng.uniform(-1, 1), lon + rng.uniform(-1, 1)),
            "endpoints": endpoint_set(rng, rng.randint(3, 14)),
            "dormant": False,
        }
        if kind == "service":
            dc = rng.choice(self.dc_nets[home])
            c = rng.randint(0, 255)
            tok["ips"] = [self.net.ip_in(dc, c) for _ in range(rng.randint(1, 3))]
            tok["dc"] = dc
            tok["agent"] = rng.choice(SERVICE_AGENTS)
            lo, hi = self.p["service_rate_per_min"]
            tok["rate"] = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        elif kind == "personal":
            nets = self.country_nets[home]
            tok["home_ip"] = self.net.ip_in(rng.choice(nets))
            tok["office_ip"] = self.net.ip_in(rng.choice(nets))
            tok["mobile"] = rng.random() < self.p["mobile_share"]
            tok["carrier"] = rng.sample(nets, 2)
            tok["agents"] = rng.sample(PERSONAL_AGENTS, rng.randint(1, 2))
            tok["sessions_per_day"] = rng.uniform(0.5, 4)
        elif kind == "ci":
            tok["agent"] = rng.choice(["ci-runner/2.311.0", "gitlab-runner/16.6.1", "buildkite-agent/3.59"])
            tok["builds_per_day"] = rng.uniform(2, 30)
            tok["country"] = home
        elif kind == "cron":
            tok["ip"] = self.net.ip_in(rng.choice(self.dc_nets[home]))
            tok["agent"] = rng.choice(SERVICE_AGENTS)
            tok["hour"] = rng.randint(0, 23)
        elif kind == "team":
            # One token shared by a team with offices in two countries, each at its own hours.
            other = rng.choice([c for c in HOME_COUNTRIES if c != home])
            tok["sites"] = [(c, COUNTRIES[c][2], self.net.ip_in(rng.choice(self.country_nets[c])),
                             [self.net.ip_in(rng.choice(self.country_nets[c])) for _ in range(4)])
                            for c in (home, other)]
            tok["agents"] = rng.sample(PERSONAL_AGENTS, rng.randint(2, 4))
            tok["sessions_per_day"] = rng.uniform(3, 10)
        else:  # mobile: an app's token, used by its installs from carriers in 1-3 countries
            tok["markets"] = [home] + rng.sample([c for c in HOME_COUNTRIES if c != home],
                                                 rng.randint(0, 2))
            tok["agents"] = [f"{rng.choice(['AcmeApp', 'ShopKit', 'FitTrack'])}/{v}.{m} "
                             f"({os_})" for v in (4, 5) for m in range(3)
                             for os_ in ("iOS 17.2", "Android 14")]
            tok["rate"] = rng.uniform(0.5, 4)
        if self.noise and kind in ("service", "ci", "team", "mobile", "personal") \
                and rng.random() < self.p["rich_paths_share"]:
            tok["endpoints"] = rich_endpoint_set(rng, rng.randint(3, 12)) + tok["endpoints"][:4]
            tok["orgs"] = tuple(rng.sample(WORDS, rng.randint(1, 3)))
        if self.noise and kind == "ci" and rng.random() < self.p["ci_two_clouds_share"]:
            # Runners in two clouds or regions (say us-east and eu-west).
            tok["regions"] = [home, rng.choice([c for c in ("US", "IE", "DE", "SG", "JP")
                                                if c != home])]
        if self.noise and kind == "personal" and rng.random() < self.p["vpn_share"]:
            # A corporate VPN whose exit is in another country, on in some sessions.
            exit_c = rng.choice([c for c in ("NL", "US", "DE", "GB", "SG", "CH") if c != home])
            tok["vpn"] = (exit_c, self.net.ip_in(self.dc_nets[exit_c][0]))
        return tok

    def local_hour(self, tok, ts):
        return ((ts / HOUR) + tok["tz"]) % 24

    def weekday(self, tok, ts):
        day = int((ts + tok["tz"] * HOUR) // DAY)
        return (day + 3) % 7  # 2026-01-01 is a Thursday: 0 = Monday

    # --- normal traffic -----------------------------------------------------------------------

    def service_traffic(self, tok, start, end):
        rng = self.rng
        ts = start + rng.uniform(0, 10 * MIN)
        amp = self.p["diurnal_amplitude"]
        redeploy_at = start + rng.uniform(0.3, 0.9) * (end - start) \
            if rng.random() < self.p["redeploy_share"] else None
        ips = list(tok["ips"])
        peak = tok["rate"] * (1 + amp)
        while ts < end:
            # Thinning: a Poisson process with a daily swing.
            ts += rng.expovariate(peak / MIN)
            h = self.local_hour(tok, ts)
            rate = tok["rate"] * (1 + amp * math.sin((h - 9) / 24 * 2 * math.pi))
            if rng.random() > rate / peak:
                continue
            if redeploy_at and ts > redeploy_at:
                ips = [self.net.ip_in(tok["dc"], int(ips[0].split(".")[2])) for _ in ips]
                redeploy_at = None
            status = 404 if rng.random() < 0.004 else (500 if rng.random() < 0.002 else 200)
            self.emit(tok, ts, rng.choice(ips), tok["home"], tok["agent"],
                      zipf_pick(rng, tok["endpoints"]), status)

    def personal_traffic(self, tok, start, end):
        rng = self.rng
        trips = []
        if rng.random() < self.p["travel_share"] * self.days / 7:
            dest = rng.choice([c for c in COUNTRIES if c != tok["home"]])
            leave = start + rng.uniform(2, self.days - 3) * DAY
            dist = haversine(COUNTRIES[tok["home"]][:2], COUNTRIES[dest][:2])
            flight = (dist / 800 + 2.5) * HOUR
            trips.append((leave, leave + flight, leave + flight + rng.uniform(2, 5) * DAY, dest))
        day = start - start % DAY
        agent_version = 0
        while day < end:
            for _ in range(poisson(rng, tok["sessions_per_day"])):
                local = rng.gauss(13.5, 2.5)
                ts = day + (local - tok["tz"]) * HOUR
                if ts < start or ts >= end:
                    continue
                wd = self.weekday(tok, ts)
                if wd >= 5 and rng.random() > self.p["weekend_share"]:
                    continue
                place = self.personal_place(tok, ts, trips)
                if place is None:
                    continue  # in the air
                country, ip, loc = place
                if rng.random() < 0.01:
                    agent_version += 1
                agent = bump(rng.choice(tok["agents"]), agent_version)
                for _ in range(max(1, int(rng.expovariate(1 / 12)))):
                    ts += rng.expovariate(1 / 20_000) + 300
                    status = 404 if rng.random() < 0.01 else (403 if rng.random() < 0.003 else 200)
                    self.emit(tok, ts, ip, country, agent, zipf_pick(rng, tok["endpoints"]),
                              status, loc=loc)
            day += DAY

    def personal_place(self, tok, ts, trips):
        rng = self.rng
        for leave, land, back, dest in trips:
            if leave <= ts < land or back <= ts < back + (land - leave):
                return None
            if land <= ts < back:
                hotel = tok.setdefault("hotel", self.net.ip_in(rng.choice(self.country_nets[dest])))
                lat, lon, _ = COUNTRIES[dest]
                return dest, hotel, (lat, lon)
        if "vpn" in tok and rng.random() < 0.35:
            exit_c, exit_ip = tok["vpn"]
            return exit_c, exit_ip, None
        r = rng.random()
        wd = self.weekday(tok, ts)
        if tok["mobile"] and r < 0.3:
            return tok["home"], self.net.ip_in(rng.choice(tok["carrier"])), None
        if wd < 5 and r < 0.75:
            return tok["home"], tok["office_ip"], None
        return tok["home"], tok["home_ip"], None

    def ci_traffic(self, tok, start, end):
        rng = self.rng
        day = start - start % DAY
        while day < end:
            weekday = (int(day // DAY) + 3) % 7 < 5
            n = poisson(rng, tok["builds_per_day"] * (1 if weekday else 0.3))
            for _ in range(n):
                ts = day + rng.uniform(0, DAY)
                if ts < start or ts >= end:
                    continue
                regions = tok.get("regions", [tok["country"]])
                region = regions[0] if len(regions) == 1 else rng.choice(regions)
                pool = self.cloud_pool if region == regions[0] else self.region_pool(region)
                for job in range(rng.randint(1, self.p["ci_parallel_max"])):
                    ip = self.net.ip_in(rng.choice(pool))
                    t = ts + job * rng.uniform(0, 20_000)
                    for _ in range(rng.randint(4, 40)):
                        t += rng.expovariate(1 / 3_000) + 100
                        self.emit(tok, t, ip, region, tok["agent"],
                                  zipf_pick(rng, tok["endpoints"]),
                                  404 if rng.random() < 0.01 else 200)
            day += DAY

    def region_pool(self, region):
        if not hasattr(self, "_regions"):
            self._regions = {}
        if region not in self._regions:
            self._regions[region] = [self.net.wide() for _ in range(10)]
        return self._regions[region]

    def cron_traffic(self, tok, start, end):
        rng = self.rng
        day = start - start % DAY
        while day < end:
            ts = day + (tok["hour"] - tok["tz"]) % 24 * HOUR + rng.uniform(0, 120_000)
            if start <= ts < end:
                for _ in range(rng.randint(2, 6)):
                    ts += rng.uniform(200, 3000)
                    self.emit(tok, ts, tok["ip"], tok["home"], tok["agent"],
                              rng.choice(tok["endpoints"]))
            day += DAY

    def team_traffic(self, tok, start, end):
        """Both offices work their local hours; the token alternates between them when the
        hours overlap, and members also use it from home."""
        rng = self.rng
        day = start - start % DAY
        sites = [(site, tok["sessions_per_day"] / 2) for site in tok["sites"]] + \
            [(site, tok["sessions_per_day"] * VISIT_SHARE) for site in tok.get("visits", [])]
        while day < end:
            for (country, tz, office, homes), per_day in sites:
                for _ in range(poisson(rng, per_day)):
                    ts = day + (rng.gauss(13, 3) - tz) * HOUR
                    if ts < start or ts >= end or (self.weekday({"tz": tz}, ts) >= 5
                                                   and rng.random() > 0.1):
                        continue
                    ip = office if rng.random() < 0.7 else rng.choice(homes)
                    agent = rng.choice(tok["agents"])
                    for _ in range(max(1, int(rng.expovariate(1 / 10)))):
                        ts += rng.expovariate(1 / 30_000) + 500
                        status = 404 if rng.random() < 0.01 else 200
                        self.emit(tok, ts, ip, country, agent, zipf_pick(rng, tok["endpoints"]),
                                  status, loc=COUNTRIES[country][:2])
            day += DAY

    def mobile_traffic(self, tok, start, end):
        """An app's installs: many carrier addresses (CGNAT) in its markets, a diurnal rate,
        app versions and two platforms."""
        rng = self.rng
        ts = start
        while ts < end:
            ts += rng.expovariate(tok["rate"] / MIN)
            market = rng.choice(tok["markets"])
            h = ((ts / HOUR) + COUNTRIES[market][2]) % 24
            if 1 <= h < 7 and rng.random() < 0.8:
                continue
            ip = self.net.ip_in(rng.choice(self.country_nets[market][:3]))
            status = 401 if rng.random() < 0.01 else (404 if rng.random() < 0.01 else 200)
            self.emit(tok, ts, ip, market, rng.choice(tok["agents"]),
                      zipf_pick(rng, tok["endpoints"]), status)

    def error_noise(self, tok, start, end):
        """Honest errors: a client polling a deleted resource, a deploy whose permissions are
        wrong for a few minutes, an expired session retried."""
        rng = self.rng
        days = (end - start) / DAY
        for _ in range(poisson(rng, self.p["error_noise_per_day"] * days)):
            t = self.active_time_raw(tok, start, end)
            if t is None:
                return
            ip, agent, country = self.usual_context(tok)
            kind = rng.choice(["poll", "perm", "session"])
            ep = zipf_pick(rng, tok["endpoints"])
            method, path = render(rng, ep, tok.get("orgs", ("acme",)))
            n = {"poll": rng.randint(10, 40), "perm": rng.randint(8, 30),
                 "session": rng.randint(3, 8)}[kind]
            for _ in range(n):
                t += {"poll": rng.uniform(5_000, 30_000), "perm": rng.uniform(1_000, 20_000),
                      "session": rng.uniform(500, 3_000)}[kind]
                if kind == "poll":
                    self.emit(tok, t, ip, country, agent, None, 404, method_path=(method, path))
                elif kind == "perm":
                    self.emit(tok, t, ip, country, agent, zipf_pick(rng, tok["endpoints"]), 403)
                else:
                    self.emit(tok, t, ip, country, agent, None, 401, method_path=(method, path))

    def backfill_noise(self, tok, start, end):
        """A backfill or replay job: an hour at two to three times the usual rate."""
        rng = self.rng
        days = (end - start) / DAY
        for _ in range(poisson(rng, self.p["backfill_per_day"] * days)):
            t = self.active_time_raw(tok, start, end)
            if t is None:
                return
            ip, agent, country = self.usual_context(tok)
            rate = tok["rate"] * rng.uniform(2, 3)
            stop = t + rng.uniform(20, 60) * MIN
            while t < stop:
                t += rng.expovariate(rate / MIN)
                self.emit(tok, t, ip, country, agent, zipf_pick(rng, tok["endpoints"]))

    def active_time_raw(self, tok, lo, hi):
        times = [e[0] for e in self.events[-5000:] if e[2]["token"] == tok["token"]
                 and lo <= e[0] < hi]
        return self.rng.choice(times) if times else None

    def usual_context(self, tok):
        kind = tok["kind"]
        if kind == "team":
            c, _, office, _ = tok["sites"][0]
            return office, tok["agents"][0], c
        if kind == "mobile":
            return (self.net.ip_in(self.country_nets[tok["home"]][0]), tok["agents"][0],
                    tok["home"])
        return self.usual_ip(tok), self.usual_agent(tok), tok.get("country", tok["home"])

    def traffic(self, tok, start, end):
        start = max(start, tok.get("from", start))
        getattr(self, tok["kind"] + "_traffic")(tok, start, end)
        if self.noise and not tok["dormant"]:
            if tok["kind"] in ("service", "personal", "team", "mobile", "ci"):
                self.error_noise(tok, start, end)
            if tok["kind"] == "service":
                self.backfill_noise(tok, start, end)

    # --- token groups (real-world noise only) ---------------------------------------------------

    def group_tokens(self, tokens, leaks, warm, end):
        """Give some tokens siblings of the same owner and service, as registries have them:
        service replicas, rotations, per-market or per-install mobile tokens, a token per team
        office. Returns the tokens to replay from T0 (or their `from`) and the rotations as
        (old, successor, minted at, leaked); the first `leaks` rotations are minted after warm-up
        and leak (fresh_token_leak)."""
        rng = self.rng
        p = self.p
        movable = [t for t in tokens if t["kind"] in ("service", "ci")]
        rng.shuffle(movable)
        count = max(leaks + 2, round(p["rotation_share"] * len(movable)))
        rotated = {t["token"] for t in movable[:count]}
        rotations = []
        for i, old in enumerate(movable[:count]):
            leaked = i < leaks
            # A leaked successor is minted once the group has learned its places.
            lo, hi = (warm, end - DAY) if leaked else (T0 + DAY / 2, end - 3 * HOUR)
            at = rng.uniform(lo, hi)
            new = self.sibling(old, "rotation", "successor")
            self.roles[old["token"]] = "rotated_out"
            rotations.append((old, new, at, leaked))
        out = []
        for tok in tokens:
            if tok["token"] in rotated:
                continue
            out.append(tok)
            kind, r = tok["kind"], rng.random()
            if kind == "service" and r < p["replica_share"]:
                out.extend(self.replicas(tok, end))
            elif kind == "mobile" and r < p["mobile_split_share"]:
                out.extend(self.mobile_split(tok, end))
            elif kind == "team" and r < p["team_split_share"]:
                out.append(self.team_split(tok))
        return out, rotations

    def sibling(self, tok, group, role):
        """A new token of the same owner, service and subject as `tok`, in `tok`'s group."""
        i = self.next_index
        self.next_index += 1
        sib = dict(tok, token=f"tw_{tok['kind']}_{i:04d}_{self.rng.getrandbits(64):016x}")
        name = self.groups.setdefault(tok["token"], f"{group}-{tok['token'].split('_')[2]}")
        self.groups[sib["token"]] = name
        self.roles.setdefault(tok["token"], "primary")
        self.roles[sib["token"]] = role
        return sib

    def replicas(self, tok, end):
        """1-3 more replicas of a service, each with its own token, same client and endpoints,
        on its own addresses in the same datacenter. Some are scaled out mid-stream; a few of
        those start in a second region of the same owner (legitimate, and new to the group)."""
        rng = self.rng
        out = []
        for _ in range(rng.randint(1, 3)):
            rep = self.sibling(tok, "replicas", "replica")
            rep["rate"] = tok["rate"] * rng.uniform(0.7, 1.3)
            if rng.random() < self.p["scale_out_share"]:
                rep["from"] = rng.uniform(T0 + DAY, end - 6 * HOUR)
                self.roles[rep["token"]] = "scale_out"
                if rng.random() < self.p["second_region_share"]:
                    region = rng.choice([c for c in CLOUD_REGIONS if c != tok["home"]])
                    rep.update(home=region, tz=COUNTRIES[region][2],
                               dc=rng.choice(self.dc_nets[region]))
                    self.roles[rep["token"]] = "second_region"
            c = rng.randint(0, 255)
            rep["ips"] = [self.net.ip_in(rep["dc"], c) for _ in tok["ips"]]
            out.append(rep)
        return out

    def mobile_split(self, tok, end):
        """An app whose installs get their own tokens: one per market, or one per install (a
        device: one platform and version, one market, a low rate), installs joining over time.
        Each market has an install from the start: a later one is in a market the app knows."""
        rng = self.rng
        markets = tok["markets"]
        tok["markets"] = markets[:1]
        if len(markets) > 1 and rng.random() < 0.5:
            return [self.in_market(self.sibling(tok, "app", "market"), m) for m in markets[1:]]
        app = dict(tok)
        tok.update(agents=[rng.choice(app["agents"])], rate=app["rate"] * rng.uniform(0.05, 0.2))
        out = []
        for j in range(1, rng.randint(4, 10)):
            inst = self.sibling(app, "app", "install")
            market = markets[j] if j < len(markets) else rng.choice(markets)
            self.in_market(inst, market)
            inst.update(agents=[rng.choice(app["agents"])],
                        rate=app["rate"] * rng.uniform(0.05, 0.2))
            if j >= len(markets):
                inst["from"] = rng.uniform(T0 + DAY / 2, end - 6 * HOUR)
            out.append(inst)
        return out

    @staticmethod
    def in_market(tok, market):
        """A token used in one market only: that is its home (its honest errors and the
        incidents that keep to the owner's place come from there)."""
        tok.update(markets=[market], home=market, tz=COUNTRIES[market][2])
        return tok

    def team_split(self, tok):
        """A team with two offices and a token per office; a member visiting the other office
        now and then uses their own office's token there."""
        sib = self.sibling(tok, "team", "office")
        first, second = tok["sites"]
        tok.update(sites=[first], visits=[second])
        sib.update(sites=[second], visits=[first], home=second[0], tz=second[1])
        return sib

    def rotate(self, old, new, at, end):
        """A rotation: the successor from `at` on, the old token until within an hour of the
        successor's first request (as deploys roll over)."""
        mark = len(self.events)
        self.traffic(new, at, end)
        firsts = [e[0] for e in self.events[mark:] if e[2]["token"] == new["token"]]
        new["first"] = min(firsts) if firsts else None
        stop = new["first"] + self.rng.uniform(0, HOUR) if firsts else end
        self.traffic(old, T0, stop)

    def fresh_leak(self, tok, label, minted):
        """A successor token leaks where it was handed over (a deploy log, a CI variable): an
        attacker in another country uses it before the owner's first request or among the
        owner's first ones. Usually with another client; in a quarter of the leaks with the
        owner's own (a copied script or config, or a forged User-Agent), which no rule about
        clients can tell from the owner. Returns the time of the last request."""
        rng = self.rng
        first = tok["first"] if tok["first"] is not None else minted + 6 * HOUR
        before = rng.random() < 0.5
        t = rng.uniform(minted, first) if before else first + rng.uniform(0, 10) * MIN
        label.update(start=int(t), before_owner=before)
        places = set(tok.get("regions", [tok["home"]]))
        home = COUNTRIES[tok["home"]][:2]
        country = rng.choice([c for c in ATTACKER_COUNTRIES if c not in places
                              and haversine(COUNTRIES[c][:2], home) > 1500])
        ip = self.net.ip_in(rng.choice(self.country_nets[country]))
        agent = rng.choice([a for a in ATTACKER_AGENTS if a != self.usual_agent(tok)])
        # Drawn apart from the stream, so adding this left every other draw as it was.
        if random.Random(f"{self.seed}/copied-client/{label['id']}").random() < 0.25:
            agent = self.usual_agent(tok)
        if agent == self.usual_agent(tok):
            label["kind"] = "fresh_token_leak_owner_client"
        speed = self.p["attacker_speed"]
        for i in range(rng.randint(10, 40)):
            if i:
                t += rng.expovariate(1 / (rng.uniform(10, 120) * 1000 / speed))
            self.emit(tok, t, ip, country, agent, zipf_pick(rng, tok["endpoints"]),
                      incident=label["id"], loc=COUNTRIES[country][:2])
        return t

    # --- incidents ----------------------------------------------------------------------------

    def incident(self, kind, tok, start, attacker_agent=None):
        label = {"id": len(self.labels), "kind": kind, "token": tok["token"], "start": int(start)}
        self.labels.append(label)
        rng = self.rng
        speed = self.p["attacker_speed"]
        inc = label["id"]
        t = start
        if kind in ("leaked_new_country", "impossible_travel"):
            country = rng.choice([c for c in ATTACKER_COUNTRIES if c != tok["home"]
                                  and haversine(COUNTRIES[c][:2], COUNTRIES[tok["home"]][:2]) > 1500])
            ip_net = rng.choice(self.country_nets[country])
            ip = self.net.ip_in(ip_net)
            agent = rng.choice(ATTACKER_AGENTS) if rng.random() < 0.6 else self.usual_agent(tok)
            agent = attacker_agent or agent
            loc = COUNTRIES[country][:2]
            if kind == "impossible_travel":
                # The owner works as usual right before; the attacker strikes minutes later.
                owner_ip = self.usual_ip(tok)
                for _ in range(3):
                    t += rng.uniform(5_000, 60_000)
                    self.emit(tok, t, owner_ip, tok["home"], self.usual_agent(tok),
                              zipf_pick(rng, tok["endpoints"]))
                t += rng.uniform(2, 40) * MIN
            for _ in range(rng.randint(15, 60)):
                t += rng.expovariate(1 / (rng.uniform(10, 120) * 1000 / speed))
                self.emit(tok, t, ip, country, agent, zipf_pick(rng, tok["endpoints"]),
                          incident=inc, loc=loc)
        elif kind == "botnet_fanout":
            agent = self.usual_agent(tok) if rng.random() < 0.5 else rng.choice(ATTACKER_AGENTS)
            same_country = rng.random() < 0.5
            for _ in range(rng.randint(40, 200)):
                t += rng.expovariate(1 / (rng.uniform(1, 15) * 1000 / speed))
                country = tok["home"] if same_country else rng.choice(ATTACKER_COUNTRIES)
                ip = self.net.ip_in(rng.choice(self.country_nets[country]))
                self.emit(tok, t, ip, country, agent, zipf_pick(rng, tok["endpoints"]),
                          incident=inc, loc=COUNTRIES[country][:2])
        elif kind == "rate_spike":
            # A runaway or hijacked client on the owner's own host: only the rate is wrong.
            ip, agent = self.usual_ip(tok), self.usual_agent(tok)
            gap = rng.uniform(20, 250) / speed
            for _ in range(rng.randint(200, 1500)):
                t += rng.expovariate(1 / gap)
                self.emit(tok, t, ip, tok["home"], agent, zipf_pick(rng, tok["endpoints"]),
                          incident=inc)
        elif kind == "endpoint_scan":
            from_outside = rng.random() < 0.5
            ip = self.net.ip_in(rng.choice(self.cloud_pool)) if from_outside else self.usual_ip(tok)
            country = tok.get("country", tok["home"])
            agent = rng.choice(ATTACKER_AGENTS) if from_outside else self.usual_agent(tok)
            for path in rng.sample(SCAN_PATHS, rng.randint(10, len(SCAN_PATHS))):
                t += rng.expovariate(1 / (rng.uniform(0.3, 5) * 1000 / speed))
                self.emit(tok, t, ip, country, agent, None, rng.choice([404, 404, 403, 401, 200]),
                          incident=inc, method_path=(rng.choice(["GET", "GET", "POST"]), path))
        elif kind == "error_burst":
            ip, agent = self.usual_ip(tok), self.usual_agent(tok)
            for _ in range(rng.randint(20, 80)):
                t += rng.expovariate(1 / (rng.uniform(0.5, 6) * 1000 / speed))
                self.emit(tok, t, ip, tok.get("country", tok["home"]), agent,
                          zipf_pick(rng, tok["endpoints"]), rng.choice([401, 403, 403, 404]),
                          incident=inc)
        elif kind == "repeated_denials":
            country = rng.choice(ATTACKER_COUNTRIES)
            ip = self.net.ip_in(rng.choice(self.country_nets[country]))
            agent = rng.choice(ATTACKER_AGENTS)
            for _ in range(rng.randint(10, 40)):
                t += rng.expovariate(1 / (rng.uniform(1, 30) * 1000 / speed))
                self.emit(tok, t, ip, country, agent, zipf_pick(rng, tok["endpoints"]), 403,
                          incident=inc, denied=True, loc=COUNTRIES[country][:2])
        elif kind == "fresh_token_leak":
            t = self.fresh_leak(tok, label, start)
        elif kind == "reconnaissance":
            # Someone with the token maps what it can reach: ids walked on the token's own
            # routes, mostly refused or missing, from wherever they are.
            country = rng.choice([tok.get("country", tok["home"])] + ATTACKER_COUNTRIES)
            ip = self.net.ip_in(rng.choice(self.country_nets[country]))
            agent = rng.choice(ATTACKER_AGENTS) if rng.random() < 0.5 else self.usual_agent(tok)
            base = rng.randint(1, 5000)
            for i in range(rng.randint(20, 80)):
                t += rng.expovariate(1 / (rng.uniform(1, 8) * 1000 / speed))
                r = rng.choice(RESOURCES[:12])
                self.emit(tok, t, ip, country, agent, None,
                          rng.choice([404, 404, 404, 403, 401, 200]), incident=inc,
                          method_path=("GET", f"/v1/{r}/{base + i * rng.randint(1, 7)}"),
                          loc=COUNTRIES[country][:2])
        elif kind == "dormant_wakeup":
            country = rng.choice([tok["home"]] + ATTACKER_COUNTRIES)
            ip = self.net.ip_in(rng.choice(self.country_nets[country]))
            agent = self.usual_agent(tok)
            for _ in range(rng.randint(5, 30)):
                t += rng.expovariate(1 / (rng.uniform(5, 60) * 1000 / speed))
                self.emit(tok, t, ip, country, agent, zipf_pick(rng, tok["endpoints"]),
                          incident=inc, loc=COUNTRIES[country][:2])
        label["end"] = int(t)

    def usual_ip(self, tok):
        return {"service": lambda: tok["ips"][0], "personal": lambda: tok["office_ip"],
                "ci": lambda: self.net.ip_in(self.rng.choice(self.cloud_pool)),
                "cron": lambda: tok["ip"],
                "team": lambda: tok["sites"][0][2],
                "mobile": lambda: self.net.ip_in(self.country_nets[tok["home"]][0]),
                }[tok["kind"]]()

    def usual_agent(self, tok):
        return tok.get("agent") or tok["agents"][0]

    # --- the whole stream ----------------------------------------------------------------------

    def build(self, incidents_per_kind):
        rng = self.rng
        n = self.p["tokens"]
        kinds = rng.choices(list(self.p["mix"]), list(self.p["mix"].values()), k=n)
        tokens = [self.make_token(i, k) for i, k in enumerate(kinds)]
        end = T0 + self.days * DAY
        warm = T0 + self.p["warmup_days"] * DAY
        if self.noise:
            # Short streams (four days, as evaluators replay) leave two days to learn in.
            warm = T0 + min(self.p["warmup_days"], self.days - 1.5) * DAY
        # Dormant tokens: active long ago, silent since, wake up during the stream.
        dormant = []
        for j in range(incidents_per_kind):
            tok = self.make_token(n + j, "personal")
            tok["mobile"], tok["precise"] = False, False
            gap = rng.uniform(35, 120) * DAY
            stop = warm - gap
            self.traffic(tok, stop - 20 * DAY, stop)
            tok["dormant"] = True
            dormant.append(tok)
        rotations = []
        if self.noise:
            self.next_index = n + incidents_per_kind
            tokens, rotations = self.group_tokens(tokens, incidents_per_kind, warm, end)
        for tok in tokens:
            self.traffic(tok, T0, end)
        for old, new, at, _ in rotations:
            self.rotate(old, new, at, end)
        victims = [t for t in tokens if t["kind"] != "cron"]
        rng.shuffle(victims)
        plan = ["leaked_new_country", "botnet_fanout", "rate_spike", "endpoint_scan",
                "error_burst", "impossible_travel", "repeated_denials"]
        if self.noise:
            plan.append("reconnaissance")
        taken = set()
        for kind in plan:
            for _ in range(incidents_per_kind):
                # One incident per token, so incidents never mask each other.
                wanted = ("personal", "service", "team") if kind == "impossible_travel" else None
                tok = next((t for t in victims if t["token"] not in taken
                            and (wanted is None or t["kind"] in wanted)), None)
                if tok is None:
                    break
                taken.add(tok["token"])
                start = self.active_time(tok, warm, end - DAY)
                self.incident(kind, tok, start)
        for tok in dormant:
            self.incident("dormant_wakeup", tok, rng.uniform(warm, end - DAY))
        for _, new, at, leaked in rotations:
            if leaked:
                self.incident("fresh_token_leak", new, at)

    def active_time(self, tok, lo, hi):
        """A time when the token is normally in use, so incidents mingle with real traffic."""
        if not hasattr(self, "_times"):
            self._times = {}
            for e in self.events:
                self._times.setdefault(e[2]["token"], []).append(e[0])
        times = [t for t in self._times.get(tok["token"], []) if lo <= t < hi]
        if times:
            return self.rng.choice(times) + self.rng.uniform(1000, 30_000)
        return self.rng.uniform(lo, hi)

    def write(self, out, labels_path, rfc3339=False):
        self.events.sort(key=lambda e: (e[0], e[1]))
        lines = {lab["id"]: [] for lab in self.labels}
        with open(out, "w") as f:
            for number, (_, _, rec, inc) in enumerate(self.events, 1):
                if rfc3339:
                    rec = dict(rec, ts=iso(rec["ts"]))
                f.write(json.dumps(rec, separators=(",", ":")) + "\n")
                if inc is not None:
                    lines[inc].append(number)
        for lab in self.labels:
            lab["lines"] = lines[lab["id"]]
            # Alerts on this token until an hour after the incident are attributable to it.
            lab["attributable_until"] = lab["end"] + HOUR
        out = {"params": self.p, "requests": len(self.events), "incidents": self.labels}
        if self.noise:
            out.update(groups=self.groups, roles=self.roles)
        with open(labels_path, "w") as f:
            json.dump(out, f, indent=1)


OWNERS = ["billing", "payments", "search", "catalog", "checkout", "identity", "reports",
          "shipping", "notify", "analytics", "inventory", "support"]
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
          "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
          "yolanda", "zoe"]


def scope(ep):
    """A traffic endpoint as a policy scope: ids become `*`."""
    method, path, _ = ep
    return f"{method} {path.replace('{id}', '*')}"


def toml_str(text):
    return json.dumps(text)


class Example(Gen):
    """The shipped example: 50 tokens, three ordinary days, then a day with four incidents."""

    KINDS = ["service"] * 18 + ["personal"] * 20 + ["ci"] * 7 + ["cron"] * 5

    def __init__(self, seed):
        super().__init__(seed, len(self.KINDS), 4)
        # A calm population: quieter services (a small file), nobody abroad this week (trips
        # are covered by the evaluation, where they are the main source of false alerts).
        self.p.update({"service_rate_per_min": [0.03, 0.6], "travel_share": 0.0,
                       "warmup_days": 3, "attacker_speed": 1.0})

    def build_example(self):
        rng = self.rng
        tokens = [self.make_token(i, k) for i, k in enumerate(self.KINDS)]
        for i, tok in enumerate(tokens):
            if tok["kind"] == "ci":
                tok["builds_per_day"] = rng.uniform(2, 8)
            tok["owner"] = PEOPLE[i % len(PEOPLE)] if tok["kind"] == "personal" \
                else OWNERS[i % len(OWNERS)]
        end = T0 + self.days * DAY
        day = end - DAY
        # The dormant token: three weeks of use two months ago, silent since.
        dormant = self.make_token(len(tokens), "personal")
        dormant.update({"mobile": False, "precise": False, "owner": "former-contractor"})
        self.traffic(dormant, T0 - 70 * DAY, T0 - 49 * DAY)
        for tok in tokens:
            self.traffic(tok, T0, end)
        self.tokens = tokens + [dormant]
        by_kind = lambda k: [t for t in tokens if t["kind"] == k]
        plan = [("leaked_new_country", by_kind("personal")[3]),
                ("botnet_fanout", by_kind("service")[5]),
                ("endpoint_scan", by_kind("service")[11])]
        for kind, tok in plan:
            # The leaked token is used with a scripting client, as stolen tokens usually are.
            self.incident(kind, tok, self.active_time(tok, day + 2 * HOUR, end - 2 * HOUR),
                          attacker_agent="python-requests/2.31.0")
        self.incident("dormant_wakeup", dormant, day + rng.uniform(8, 16) * HOUR)
        return self

    def write_config(self, path):
        out = ["# tokenward replay config for examples/traffic.jsonl (generated by",
               "# benches/traffic_gen.py --example examples; the tokens are fake).",
               "#",
               "# A Guard config (policies, [usage], [[respond]]) plus [[tokens]]: the tokens the",
               "# replay registers, by raw value (hashed at load, never printed) with metadata.",
               "",
               "event_capacity = 100000",
               "",
               "# Detectors with their defaults: learning for 2 days and 10 requests, then novelty",
               "# and baseline detectors are live. See UsageConfig for every setting.",
               "[usage]",
               "",
               "# Response rules, recommended for production: protect without locking out.",
               "#",
               "# Every alert matching a rule gets its action; the strongest decides the request.",
               "# Step one denies only what is suspicious: the request that raised the alert, and",
               "# while its evidence holds (the rate is still over the bar, the fan-out goes on,",
               "# another never-seen route is tried, the errors keep coming) or comes from the",
               "# context it pointed at (the new country, network or client, the place of an",
               "# impossible move; held for usage.hold_secs, 6 hours), the requests like it. The",
               "# owner's requests from their usual places keep working, so a false alarm costs",
               "# a few requests, not a locked-out team.",
               "[[respond]]",
               "on = [\"rate_spike\", \"ip_fanout\", \"endpoint_out_of_scope\", \"error_burst\",",
               "      \"new_country\", \"impossible_travel\", \"dormant_wakeup\"]",
               "min_severity = \"medium\"",
               "action = \"deny\"",
               "",
               "# Step two quarantines the token only on overwhelming, corroborated evidence: a",
               "# critical alert (say an impossible move with a client never seen, from outside",
               "# what the registry expects) while at least three different detectors fired on",
               "# the token within the hour. Quarantine stops the owner too, until someone",
               "# releases or rotates the token: the deny rule above already stops the attacker's",
               "# requests, so quarantine is kept for what cannot be told apart from the owner.",
               "[[respond]]",
               "on = \"any\"",
               "min_severity = \"critical\"",
               "min_kinds = 3",
               "action = \"quarantine\"",
               "",
               "# Every alert is reported; a quarantined or revoked token keeps reporting what is",
               "# tried with it as stopped_alert events.",
               "[[respond]]",
               "on = \"any\"",
               "action = \"notify\"",
               "",
               "[policies.developer]",
               "rate_limit = { requests = 600, window = \"1m\" }",
               "idle_expiry = \"90d\"",
               "",
               "[policies.ci]",
               "rate_limit = { requests = 1200, window = \"1m\" }",
               ""]
        for tok in self.tokens:
            out.append("[[tokens]]")
            out.append(f"token = {toml_str(tok['token'])}")
            out.append(f"owner = {toml_str(tok['owner'])}")
            if tok["kind"] in ("service", "cron"):
                suffix = "api" if tok["kind"] == "service" else "nightly"
                out.append(f"service = {toml_str(tok['owner'] + '-' + suffix)}")
                out.append("environment = \"prod\"")
                scopes = ", ".join(toml_str(scope(ep)) for ep in tok["endpoints"])
                # Services declare their endpoints: anything else is denied and flagged.
                out.append(f"policy = {{ endpoints = [{scopes}] }}")
            elif tok["kind"] == "ci":
                out.append("tags = [\"ci\"]")
                out.append("policy = \"ci\"")
            else:
                out.append("tags = [\"laptop\"]")
                out.append("policy = \"developer\"")
            out.append("")
        with open(path, "w") as f:
            f.write("\n".join(out))


def iso(ms):
    """Unix ms as RFC 3339 UTC with milliseconds."""
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def poisson(rng, lam):
    # Knuth's method; lam is small here.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def bump(agent, version):
    """A client version bump: the last digit run grows."""
    if version == 0:
        return agent
    for i in range(len(agent) - 1, -1, -1):
        if agent[i].isdigit():
            j = i
            while j > 0 and agent[j - 1].isdigit():
                j -= 1
            return agent[:j] + str(int(agent[j:i + 1]) + version) + agent[i + 1:]
    return agent


def haversine(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(min(1, math.sqrt(h)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tokens", type=int, default=300)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--incidents-per-kind", type=int, default=4)
    ap.add_argument("--out", help="traffic JSON lines")
    ap.add_argument("--labels", help="incident labels (JSON)")
    ap.add_argument("--example", metavar="DIR", help="write the shipped example into DIR")
    ap.add_argument("--real-world", action="store_true",
                    help="add the noise of real fleets: team tokens in two countries, CI in two "
                    "clouds, VPN users, mobile apps, ids/slugs/versions/object keys in paths, "
                    "honest error bursts and backfills, and reconnaissance incidents")
    a = ap.parse_args()
    if a.example:
        os.makedirs(a.example, exist_ok=True)
        g = Example(a.seed).build_example()
        g.write(f"{a.example}/traffic.jsonl", f"{a.example}/traffic.labels.json", rfc3339=True)
        g.write_config(f"{a.example}/guard.toml")
        print(f"{len(g.events)} requests, {len(g.labels)} incidents -> {a.example}/")
        return
    if not (a.out and a.labels):
        ap.error("give --out and --labels, or --example DIR")
    g = Gen(a.seed, a.tokens, a.days, noise=a.real_world)
    g.build(a.incidents_per_kind)
    g.write(a.out, a.labels)
    print(f"{len(g.events)} requests, {len(g.labels)} incidents -> {a.out}, {a.labels}")


if __name__ == "__main__":
    main()
