/* Every tw_guard_* function: configs and their errors, register/mint/check, every lifecycle
 * change, events, snapshots, outcomes, and the argument checks (NULL, lengths, UTF-8). */
#include "check.h"

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define KEY "host fingerprint key material"

/* A tw_str from a string literal, or from any NUL-terminated text. */
#define LIT(s) ((tw_str){(s), sizeof(s) - 1})
static tw_str str(const char *s) { return (tw_str){s, strlen(s)}; }

static const char CONFIG[] =
    "event_capacity = 1000\n"
    "[policies.ci]\n"
    "subjects = [\"ci-runner\"]\n"
    "allow_ips = [\"10.0.0.0/8\"]\n"
    "endpoints = [\"POST /v1/deploys\"]\n"
    "[policies.limited]\n"
    "rate_limit = { requests = 2, window = \"1m\" }\n"
    "[usage]\n"
    "[[respond]]\n"
    "on = \"error_burst\"\n"
    "action = \"quarantine\"\n";

static tw_guard *new_guard(const char *config) {
    tw_guard *g = NULL;
    CHECK_STATUS(tw_guard_new(config, config ? strlen(config) : 0, (const uint8_t *)KEY,
                              strlen(KEY), &g),
                 TW_OK);
    CHECK(g != NULL);
    return g;
}

/* Checks `token` (NUL-terminated) with the context of the "ci" policy. */
static tw_verdict check_ci(const tw_guard *g, const char *token, const char *ip, int64_t now) {
    tw_request req = {0};
    req.token = str(token);
    req.subject = LIT("ci-runner");
    req.ip = str(ip);
    req.method = LIT("POST");
    req.path = LIT("/v1/deploys");
    tw_verdict v;
    CHECK_STATUS(tw_guard_check(g, &req, now, &v), TW_OK);
    return v;
}

static tw_verdict check_token(const tw_guard *g, const char *token, int64_t now) {
    tw_request req = {0};
    req.token = str(token);
    tw_verdict v;
    CHECK_STATUS(tw_guard_check(g, &req, now, &v), TW_OK);
    return v;
}

#define BIT(r) (UINT64_C(1) << (r))

static char *take_string(tw_string *s) {
    CHECK(s != NULL);
    size_t len = tw_string_len(s);
    char *copy = malloc(len + 1);
    CHECK(copy != NULL);
    memcpy(copy, tw_string_ptr(s), len + 1);
    tw_string_free(s);
    return copy;
}

/* Whether `needle` occurs in the `len` bytes at `haystack` (memmem is not standard C). */
static int contains_bytes(const char *haystack, size_t len, const char *needle) {
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(haystack + i, needle, n) == 0) return 1;
    }
    return 0;
}

static size_t count_lines(const char *text) {
    size_t n = 0;
    for (; *text; text++) n += *text == '\n';
    return n;
}

static void config_errors(void) {
    tw_guard *g = (tw_guard *)1;
    const char *key = KEY;
    /* A bad CIDR: the message names the field path. */
    const char bad_cidr[] = "[policies.ci]\nallow_ips = [\"10.0.0.0/33\"]\n";
    CHECK_STATUS(tw_guard_new(bad_cidr, strlen(bad_cidr), (const uint8_t *)key, strlen(key), &g),
                 TW_CONFIG);
    CHECK(g == NULL);
    CHECK(strstr(last_error(), "policies.ci.allow_ips[0]") != NULL);
    /* A value where a list belongs is named by its type, never quoted. */
    const char secret_value[] = "[policies.ci]\nsubjects = \"hunter2-very-secret\"\n";
    CHECK_STATUS(tw_guard_new(secret_value, strlen(secret_value), (const uint8_t *)key,
                              strlen(key), &g),
                 TW_CONFIG);
    CHECK(strstr(last_error(), "policies.ci.subjects") != NULL);
    CHECK(strstr(last_error(), "hunter2") == NULL);
    /* JSON too, and unknown keys are errors. */
    const char json[] = "{\"usage\": {\"distinct_cap\": 99}}";
    CHECK_STATUS(tw_guard_new(json, strlen(json), (const uint8_t *)key, strlen(key), &g),
                 TW_CONFIG);
    CHECK(strstr(last_error(), "usage.distinct_cap") != NULL);
    const char unknown[] = "tokn_prefix = \"x_\"\n";
    CHECK_STATUS(tw_guard_new(unknown, strlen(unknown), (const uint8_t *)key, strlen(key), &g),
                 TW_CONFIG);
    /* The key is required and never echoed. */
    CHECK_STATUS(tw_guard_new(NULL, 0, NULL, 0, &g), TW_INVALID_ARGUMENT);
    CHECK_STR_EQ(last_error(), "key must not be empty");
    CHECK_STATUS(tw_guard_new(NULL, 0, (const uint8_t *)key, strlen(key), NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_new("\xff", 1, (const uint8_t *)key, strlen(key), &g), TW_INVALID_UTF8);
    CHECK(g == NULL);
    /* A valid JSON config. */
    const char ok_json[] = "{\"token_prefix\": \"acme_\"}";
    CHECK_STATUS(tw_guard_new(ok_json, strlen(ok_json), (const uint8_t *)key, strlen(key), &g),
                 TW_OK);
    tw_string *token = NULL;
    CHECK_STATUS(tw_guard_mint(g, NULL, NOW, &token, NULL), TW_OK);
    CHECK(strncmp(tw_string_ptr(token), "acme_", 5) == 0);
    tw_string_free(token);
    tw_guard_free(g);
    tw_guard_free(NULL);
    printf("config errors\n");
}

static void register_and_check(void) {
    tw_guard *g = new_guard(CONFIG);
    const char *token = "tw_host_issued_token_0001";
    tw_token_meta meta = {0};
    meta.owner = LIT("ci");
    meta.policy = LIT("ci");
    tw_token_id id;
    CHECK_STATUS(tw_guard_register(g, token, strlen(token), &meta, NOW, &id), TW_OK);
    CHECK(strlen(id.text) == TW_TOKEN_ID_SIZE - 1);
    CHECK(strncmp(id.text, "tid_", 4) == 0);

    /* The id is the token's fingerprint under the key. */
    tw_token_id again;
    CHECK_STATUS(tw_guard_token_id(g, token, strlen(token), &again), TW_OK);
    CHECK_STR_EQ(again.text, id.text);

    tw_verdict v = check_ci(g, token, "10.2.3.4", NOW + 1);
    CHECK(v.allowed);
    CHECK(v.reasons == 0);
    CHECK_STR_EQ(v.token_id.text, id.text);

    v = check_ci(g, token, "203.0.113.9", NOW + 2);
    CHECK(!v.allowed);
    CHECK(v.reasons == BIT(TW_REASON_IP_NOT_ALLOWED));
    CHECK(tw_verdict_has_reason(&v, TW_REASON_IP_NOT_ALLOWED));
    CHECK_STR_EQ(tw_reason_code(TW_REASON_IP_NOT_ALLOWED), "ip_not_allowed");

    /* Missing context fails closed: every condition the request cannot meet is a reason. */
    v = check_token(g, token, NOW + 3);
    CHECK(!v.allowed);
    CHECK(v.reasons == (BIT(TW_REASON_SUBJECT_MISMATCH) | BIT(TW_REASON_IP_NOT_ALLOWED) |
                        BIT(TW_REASON_SCOPE_DENIED)));

    /* An encoded separator has no canonical path. */
    tw_request req = {0};
    req.token = str(token);
    req.subject = LIT("ci-runner");
    req.ip = LIT("10.2.3.4");
    req.method = LIT("POST");
    req.path = LIT("/v1/deploys/..%2f..%2fadmin");
    CHECK_STATUS(tw_guard_check(g, &req, NOW + 4, &v), TW_OK);
    CHECK(tw_verdict_has_reason(&v, TW_REASON_INVALID_PATH));

    /* An unknown token still has its fingerprint as id; none presented has none. */
    v = check_token(g, "tw_never_registered", NOW + 5);
    CHECK(!v.allowed && v.reasons == BIT(TW_REASON_UNKNOWN_TOKEN));
    CHECK(strlen(v.token_id.text) == TW_TOKEN_ID_SIZE - 1);
    memset(&req, 0, sizeof req);
    CHECK_STATUS(tw_guard_check(g, &req, NOW + 6, &v), TW_OK);
    CHECK(!v.allowed && v.reasons == BIT(TW_REASON_UNKNOWN_TOKEN));
    CHECK_STR_EQ(v.token_id.text, "");

    /* A token need not be UTF-8 to be checked (it is simply unknown). */
    req.token = (tw_str){"tw_\xff\xfe", 5};
    CHECK_STATUS(tw_guard_check(g, &req, NOW + 7, &v), TW_OK);
    CHECK(v.reasons == BIT(TW_REASON_UNKNOWN_TOKEN));

    /* Registering twice conflicts; an unknown policy is not found. */
    CHECK_STATUS(tw_guard_register(g, token, strlen(token), &meta, NOW, &id), TW_CONFLICT);
    CHECK(strstr(last_error(), token) == NULL);
    CHECK_STR_EQ(id.text, "");
    meta.policy = LIT("nonexistent");
    CHECK_STATUS(tw_guard_register(g, "tw_other_token", 14, &meta, NOW, NULL), TW_NOT_FOUND);

    /* register_id: a host that keeps only fingerprints. */
    const char *kept = "tw_token_known_by_fingerprint";
    tw_token_id kept_id;
    CHECK_STATUS(tw_guard_token_id(g, kept, strlen(kept), &kept_id), TW_OK);
    CHECK_STATUS(tw_guard_register_id(g, kept_id.text, strlen(kept_id.text), NULL, NOW), TW_OK);
    CHECK(check_token(g, kept, NOW + 8).allowed);
    CHECK_STATUS(tw_guard_register_id(g, kept_id.text, strlen(kept_id.text), NULL, NOW),
                 TW_CONFLICT);
    CHECK_STATUS(tw_guard_register_id(g, "tid_xyz", 7, NULL, NOW), TW_INVALID_ARGUMENT);

    /* A token's own policy document, tags and expiry. */
    const char *tagged = "tw_token_with_inline_policy";
    tw_str tags[] = {LIT("laptop"), LIT("eu")};
    tw_token_meta inline_meta = {0};
    inline_meta.tags = tags;
    inline_meta.tag_count = 2;
    inline_meta.policy_doc = LIT("countries = [\"DE\", \"FR\"]");
    inline_meta.expires_at = NOW + 1000;
    CHECK_STATUS(tw_guard_register(g, tagged, strlen(tagged), &inline_meta, NOW, NULL), TW_OK);
    memset(&req, 0, sizeof req);
    req.token = str(tagged);
    req.country = LIT("de");
    CHECK_STATUS(tw_guard_check(g, &req, NOW + 10, &v), TW_OK);
    CHECK(v.allowed);
    req.country = LIT("US");
    CHECK_STATUS(tw_guard_check(g, &req, NOW + 11, &v), TW_OK);
    CHECK(v.reasons == BIT(TW_REASON_COUNTRY_NOT_ALLOWED));
    req.country = LIT("DE");
    CHECK_STATUS(tw_guard_check(g, &req, NOW + 1000, &v), TW_OK);
    CHECK(v.reasons == BIT(TW_REASON_EXPIRED));

    /* Metadata errors name the field. */
    inline_meta.policy = LIT("ci");
    CHECK_STATUS(tw_guard_register(g, "tw_x_token", 10, &inline_meta, NOW, NULL),
                 TW_INVALID_ARGUMENT);
    inline_meta.policy = (tw_str){NULL, 0};
    inline_meta.policy_doc = LIT("allow_ips = [\"10.0.0.0/40\"]");
    CHECK_STATUS(tw_guard_register(g, "tw_x_token", 10, &inline_meta, NOW, NULL), TW_CONFIG);
    CHECK(strstr(last_error(), "allow_ips[0]") != NULL);
    tags[1] = (tw_str){"\xc3", 1};
    inline_meta.policy_doc = (tw_str){NULL, 0};
    CHECK_STATUS(tw_guard_register(g, "tw_x_token", 10, &inline_meta, NOW, NULL),
                 TW_INVALID_UTF8);
    CHECK(strstr(last_error(), "meta.tags[1]") != NULL);

    /* Out-of-range token lengths. */
    CHECK_STATUS(tw_guard_register(g, "", 0, NULL, NOW, NULL), TW_INVALID_ARGUMENT);
    char *huge = malloc(5000);
    CHECK(huge != NULL);
    memset(huge, 'a', 5000);
    CHECK_STATUS(tw_guard_register(g, huge, 5000, NULL, NOW, NULL), TW_INVALID_ARGUMENT);
    memset(&req, 0, sizeof req);
    req.token = (tw_str){huge, 5000};
    CHECK_STATUS(tw_guard_check(g, &req, NOW, &v), TW_OK);
    CHECK(v.reasons == BIT(TW_REASON_UNKNOWN_TOKEN));
    free(huge);
    tw_guard_free(g);
    printf("register and check\n");
}

static void mint_rate_limit_and_events(void) {
    tw_guard *g = new_guard(CONFIG);
    tw_string *drained = NULL;
    size_t count = 99;
    CHECK_STATUS(tw_guard_drain_events(g, &drained, &count), TW_OK);
    CHECK(count == 0 && tw_string_len(drained) == 0);
    tw_string_free(drained);

    tw_token_meta meta = {0};
    meta.owner = LIT("alice");
    meta.policy = LIT("limited");
    tw_string *token = NULL;
    tw_token_id id;
    CHECK_STATUS(tw_guard_mint(g, &meta, NOW, &token, &id), TW_OK);
    char *raw = take_string(token);
    CHECK(strncmp(raw, "tw_", 3) == 0);
    tw_token_id computed;
    CHECK_STATUS(tw_guard_token_id(g, raw, strlen(raw), &computed), TW_OK);
    CHECK_STR_EQ(computed.text, id.text);

    /* Two mints differ: the randomness comes from the OS. */
    CHECK_STATUS(tw_guard_mint(g, &meta, NOW, &token, NULL), TW_OK);
    CHECK(strcmp(tw_string_ptr(token), raw) != 0);
    tw_string_free(token);

    /* The rate limit: 2 a minute, then a retry time. */
    CHECK(check_token(g, raw, NOW + 1).allowed);
    CHECK(check_token(g, raw, NOW + 2).allowed);
    tw_verdict v = check_token(g, raw, NOW + 3);
    CHECK(!v.allowed && v.reasons == BIT(TW_REASON_RATE_EXCEEDED));
    CHECK(v.retry_after_ms > 0 && v.retry_after_ms <= 60000);
    CHECK(check_token(g, raw, NOW + 1 + (int64_t)60000).allowed);

    /* Events: JSON lines naming the token by id, never by value. */
    CHECK_STATUS(tw_guard_drain_events(g, &drained, &count), TW_OK);
    char *lines = take_string(drained);
    CHECK(count == 3); /* minted, minted, denied */
    CHECK(count_lines(lines) == count);
    CHECK(strncmp(lines, "{", 1) == 0);
    CHECK(strstr(lines, "\"minted\"") != NULL);
    CHECK(strstr(lines, "\"denied\"") != NULL);
    CHECK(strstr(lines, "rate_exceeded") != NULL);
    CHECK(strstr(lines, id.text) != NULL);
    CHECK(strstr(lines, raw) == NULL);
    free(lines);
    CHECK_STATUS(tw_guard_drain_events(g, &drained, NULL), TW_OK);
    CHECK(tw_string_len(drained) == 0);
    tw_string_free(drained);

    /* A failed mint leaves NULL and an empty id. */
    meta.policy = LIT("nonexistent");
    token = (tw_string *)1;
    CHECK_STATUS(tw_guard_mint(g, &meta, NOW, &token, &id), TW_NOT_FOUND);
    CHECK(token == NULL);
    CHECK_STR_EQ(id.text, "");
    free(raw);
    tw_guard_free(g);
    printf("mint, rate limit and events\n");
}

static void lifecycle(void) {
    tw_guard *g = new_guard(NULL);
    tw_string *token = NULL;
    tw_token_id id;
    CHECK_STATUS(tw_guard_mint(g, NULL, NOW, &token, &id), TW_OK);
    char *raw = take_string(token);
    size_t n = strlen(id.text);

    CHECK_STATUS(tw_guard_quarantine(g, id.text, n, NOW + 1), TW_OK);
    tw_verdict v = check_token(g, raw, NOW + 2);
    CHECK(v.reasons == BIT(TW_REASON_QUARANTINED));
    CHECK_STATUS(tw_guard_quarantine(g, id.text, n, NOW + 3), TW_CONFLICT);
    CHECK_STATUS(tw_guard_release(g, id.text, n, NOW + 4), TW_OK);
    CHECK(check_token(g, raw, NOW + 5).allowed);
    CHECK_STATUS(tw_guard_release(g, id.text, n, NOW + 6), TW_CONFLICT);

    /* Rotation with a grace window: both work, then only the new one. */
    tw_string *next = NULL;
    tw_token_id next_id;
    CHECK_STATUS(tw_guard_rotate(g, id.text, n, 1000, NOW + 10, &next, &next_id), TW_OK);
    char *next_raw = take_string(next);
    CHECK(strcmp(next_raw, raw) != 0);
    CHECK(strcmp(next_id.text, id.text) != 0);
    CHECK(check_token(g, raw, NOW + 1009).allowed);
    CHECK(check_token(g, raw, NOW + 1010).reasons == BIT(TW_REASON_ROTATED));
    CHECK(check_token(g, next_raw, NOW + 1010).allowed);
    CHECK_STATUS(tw_guard_rotate(g, id.text, n, TW_GRACE_DEFAULT, NOW + 1011, &next, NULL),
                 TW_CONFLICT);
    CHECK(next == NULL);
    CHECK_STATUS(tw_guard_rotate(g, next_id.text, n, -2, NOW, &next, NULL), TW_INVALID_ARGUMENT);
    CHECK_STATUS(tw_guard_rotate(g, next_id.text, n, 0, NOW + 1012, NULL, NULL), TW_NULL_POINTER);

    /* Revoke: once, then no change; an unknown id is not found. */
    bool changed = false;
    CHECK_STATUS(tw_guard_revoke(g, next_id.text, n, NOW + 2000, &changed), TW_OK);
    CHECK(changed);
    CHECK(check_token(g, next_raw, NOW + 2001).reasons == BIT(TW_REASON_REVOKED));
    CHECK_STATUS(tw_guard_revoke(g, next_id.text, n, NOW + 2002, &changed), TW_OK);
    CHECK(!changed);
    CHECK_STATUS(tw_guard_revoke(g, next_id.text, n, NOW + 2003, NULL), TW_OK);
    CHECK_STATUS(tw_guard_release(g, next_id.text, n, NOW + 2004), TW_CONFLICT);
    const char unknown[] = "tid_00000000000000000000000000000000";
    CHECK_STATUS(tw_guard_revoke(g, unknown, strlen(unknown), NOW, NULL), TW_NOT_FOUND);
    CHECK_STATUS(tw_guard_quarantine(g, unknown, strlen(unknown), NOW), TW_NOT_FOUND);
    /* A raw token where an id belongs is refused without being quoted. */
    CHECK_STATUS(tw_guard_revoke(g, raw, strlen(raw), NOW, NULL), TW_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), raw) == NULL);
    free(raw);
    free(next_raw);
    tw_guard_free(g);
    printf("lifecycle\n");
}

static void revoke_where(void) {
    tw_guard *g = new_guard(NULL);
    const char *owners[] = {"alice", "alice", "bob"};
    const char *tag_names[] = {"laptop", "ci", "laptop"};
    char *raws[3];
    tw_token_id ids[3];
    for (int i = 0; i < 3; i++) {
        tw_str tag = str(tag_names[i]);
        tw_token_meta meta = {0};
        meta.owner = str(owners[i]);
        meta.tags = &tag;
        meta.tag_count = 1;
        tw_string *token = NULL;
        CHECK_STATUS(tw_guard_mint(g, &meta, NOW, &token, &ids[i]), TW_OK);
        raws[i] = take_string(token);
    }
    tw_selector empty = {0};
    CHECK_STATUS(tw_guard_revoke_where(g, &empty, NOW, NULL, NULL), TW_INVALID_ARGUMENT);
    CHECK_STATUS(tw_guard_revoke_where(g, NULL, NOW, NULL, NULL), TW_NULL_POINTER);

    tw_selector sel = {0};
    sel.owner = LIT("alice");
    sel.tag = LIT("laptop");
    size_t count = 0;
    tw_string *list = NULL;
    CHECK_STATUS(tw_guard_revoke_where(g, &sel, NOW + 1, &count, &list), TW_OK);
    CHECK(count == 1);
    char *text = take_string(list);
    char expected[64];
    snprintf(expected, sizeof expected, "%s\n", ids[0].text);
    CHECK_STR_EQ(text, expected);
    free(text);
    CHECK(check_token(g, raws[0], NOW + 2).reasons == BIT(TW_REASON_REVOKED));
    CHECK(check_token(g, raws[1], NOW + 2).allowed);
    CHECK(check_token(g, raws[2], NOW + 2).allowed);

    /* Every laptop: only bob's is left to revoke. */
    memset(&sel, 0, sizeof sel);
    sel.tag = LIT("laptop");
    CHECK_STATUS(tw_guard_revoke_where(g, &sel, NOW + 3, &count, NULL), TW_OK);
    CHECK(count == 1);
    CHECK(check_token(g, raws[2], NOW + 4).reasons == BIT(TW_REASON_REVOKED));
    sel.tag = (tw_str){"\xff", 1};
    CHECK_STATUS(tw_guard_revoke_where(g, &sel, NOW + 5, &count, &list), TW_INVALID_UTF8);
    CHECK(list == NULL);
    CHECK(strstr(last_error(), "selector.tag") != NULL);
    for (int i = 0; i < 3; i++) free(raws[i]);
    tw_guard_free(g);
    printf("revoke where\n");
}

static void snapshot_and_restore(void) {
    tw_guard *g = new_guard(CONFIG);
    tw_string *token = NULL;
    tw_token_id kept, revoked;
    CHECK_STATUS(tw_guard_mint(g, NULL, NOW, &token, &kept), TW_OK);
    char *kept_raw = take_string(token);
    CHECK_STATUS(tw_guard_mint(g, NULL, NOW, &token, &revoked), TW_OK);
    char *revoked_raw = take_string(token);
    CHECK_STATUS(tw_guard_revoke(g, revoked.text, strlen(revoked.text), NOW + 1, NULL), TW_OK);

    tw_string *snapshot = NULL;
    CHECK_STATUS(tw_guard_snapshot(g, &snapshot), TW_OK);
    size_t len = tw_string_len(snapshot);
    CHECK(len > 0);
    /* The snapshot holds fingerprints, never a raw token. */
    CHECK(!contains_bytes(tw_string_ptr(snapshot), len, kept_raw));

    tw_guard *restored = new_guard(CONFIG);
    CHECK(check_token(restored, kept_raw, NOW + 2).reasons == BIT(TW_REASON_UNKNOWN_TOKEN));
    CHECK_STATUS(
        tw_guard_restore(restored, (const uint8_t *)tw_string_ptr(snapshot), len, NOW + 3), TW_OK);
    CHECK(check_token(restored, kept_raw, NOW + 4).allowed);
    CHECK(check_token(restored, revoked_raw, NOW + 4).reasons == BIT(TW_REASON_REVOKED));

    /* Corrupt, truncated, or from another key: refused, the Guard unchanged. */
    tw_guard *other = NULL;
    const char other_key[] = "another key";
    CHECK_STATUS(tw_guard_new(CONFIG, strlen(CONFIG), (const uint8_t *)other_key,
                              strlen(other_key), &other),
                 TW_OK);
    CHECK_STATUS(tw_guard_restore(other, (const uint8_t *)tw_string_ptr(snapshot), len, NOW),
                 TW_SNAPSHOT);
    CHECK_STATUS(tw_guard_restore(restored, (const uint8_t *)tw_string_ptr(snapshot), len / 2,
                                  NOW + 5),
                 TW_SNAPSHOT);
    CHECK_STATUS(tw_guard_restore(restored, (const uint8_t *)"garbage", 7, NOW + 5), TW_SNAPSHOT);
    CHECK_STATUS(tw_guard_restore(restored, NULL, 0, NOW + 5), TW_SNAPSHOT);
    CHECK_STATUS(tw_guard_restore(restored, NULL, 4, NOW + 5), TW_NULL_POINTER);
    CHECK(check_token(restored, kept_raw, NOW + 6).allowed);
    tw_string_free(snapshot);
    free(kept_raw);
    free(revoked_raw);
    tw_guard_free(other);
    tw_guard_free(restored);
    tw_guard_free(g);
    printf("snapshot and restore\n");
}

static void outcomes(void) {
    tw_guard *g = new_guard(CONFIG);
    tw_string *token = NULL;
    tw_token_id id;
    CHECK_STATUS(tw_guard_mint(g, NULL, NOW, &token, &id), TW_OK);
    char *raw = take_string(token);
    CHECK(check_token(g, raw, NOW + 1).allowed);
    uint32_t alerts = 99;
    CHECK_STATUS(tw_guard_record_outcome(g, raw, strlen(raw), 200, NOW + 2, &alerts), TW_OK);
    CHECK(alerts == 0);
    /* A burst of 404s and 403s on many paths (a probe: one URL retried is a client, one
     * status over and over a broken deploy) raises error_burst; the response rule
     * quarantines the token. */
    int raised_after = 0;
    for (int i = 1; i <= 50 && raised_after == 0; i++) {
        char path[32];
        snprintf(path, sizeof path, "/v1/items/%d", i);
        tw_request req = {0};
        req.token = str(raw);
        req.method = str("GET");
        req.path = str(path);
        tw_verdict probe;
        CHECK_STATUS(tw_guard_check(g, &req, NOW + 10 + 2 * i, &probe), TW_OK);
        int status = i % 2 ? 404 : 403;
        CHECK_STATUS(tw_guard_record_outcome(g, raw, strlen(raw), status, NOW + 11 + 2 * i,
                                             &alerts),
                     TW_OK);
        if (alerts == 1) raised_after = i;
    }
    CHECK(raised_after > 1);
    tw_verdict v = check_token(g, raw, NOW + 100);
    CHECK(v.reasons == BIT(TW_REASON_QUARANTINED));
    tw_string *drained = NULL;
    CHECK_STATUS(tw_guard_drain_events(g, &drained, NULL), TW_OK);
    char *lines = take_string(drained);
    CHECK(strstr(lines, "error_burst") != NULL);
    CHECK(strstr(lines, "\"quarantined\"") != NULL);
    free(lines);
    CHECK_STATUS(tw_guard_record_outcome(g, raw, strlen(raw), 70000, NOW, NULL),
                 TW_INVALID_ARGUMENT);
    CHECK_STATUS(tw_guard_record_outcome(g, raw, strlen(raw), -1, NOW, NULL), TW_INVALID_ARGUMENT);
    CHECK_STATUS(tw_guard_record_outcome(g, NULL, 3, 404, NOW, NULL), TW_NULL_POINTER);
    free(raw);
    tw_guard_free(g);
    printf("outcomes\n");
}

static void arguments(void) {
    tw_guard *g = new_guard(NULL);
    tw_request req = {0};
    tw_verdict v;
    v.allowed = true;
    CHECK_STATUS(tw_guard_check(NULL, &req, NOW, &v), TW_NULL_POINTER);
    CHECK(!v.allowed); /* fail closed */
    CHECK_STR_EQ(last_error(), "guard is NULL");
    CHECK_STATUS(tw_guard_check(g, NULL, NOW, &v), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_check(g, &req, NOW, NULL), TW_NULL_POINTER);
    req.token = (tw_str){NULL, 5};
    CHECK_STATUS(tw_guard_check(g, &req, NOW, &v), TW_NULL_POINTER);
    CHECK_STR_EQ(last_error(), "request.token is NULL but its length is 5");
    req.token = LIT("tw_whatever");
    req.user_agent = (tw_str){"curl\xc0", 5};
    v.allowed = true;
    CHECK_STATUS(tw_guard_check(g, &req, NOW, &v), TW_INVALID_UTF8);
    CHECK(!v.allowed);
    CHECK_STR_EQ(last_error(),
                 "request.user_agent is not valid UTF-8: invalid byte sequence at offset 4");
    req.user_agent = (tw_str){NULL, 0};
    req.ip = LIT("10.0.0.999");
    CHECK_STATUS(tw_guard_check(g, &req, NOW, &v), TW_INVALID_ARGUMENT);
    CHECK_STR_EQ(last_error(), "request.ip is not an IPv4 or IPv6 address");
    req.ip = LIT("2001:db8::1");
    req.has_location = true;
    req.latitude = 91;
    CHECK_STATUS(tw_guard_check(g, &req, NOW, &v), TW_INVALID_ARGUMENT);
    req.latitude = 52.5;
    req.longitude = 13.4;
    CHECK_STATUS(tw_guard_check(g, &req, TW_NOW, &v), TW_OK);
    CHECK(v.reasons == BIT(TW_REASON_UNKNOWN_TOKEN));
    CHECK_STR_EQ(last_error(), ""); /* a success clears the message */

    tw_token_id id;
    CHECK_STATUS(tw_guard_token_id(g, NULL, 0, &id), TW_INVALID_ARGUMENT);
    CHECK_STATUS(tw_guard_token_id(g, "x", 1, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_register(NULL, "tw_x", 4, NULL, NOW, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_register(g, NULL, 0, NULL, NOW, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_register(g, "tw_\xff", 4, NULL, NOW, NULL), TW_INVALID_UTF8);
    CHECK_STATUS(tw_guard_register_id(g, NULL, 0, NULL, NOW), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_mint(g, NULL, NOW, NULL, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_revoke(g, NULL, 0, NOW, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_quarantine(NULL, "tid_", 4, NOW), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_release(g, "tid_\xff", 5, NOW), TW_INVALID_UTF8);
    CHECK_STATUS(tw_guard_drain_events(g, NULL, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_drain_events(NULL, &(tw_string *){NULL}, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_snapshot(g, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_snapshot(NULL, &(tw_string *){NULL}), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_restore(NULL, NULL, 0, NOW), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_record_outcome(NULL, NULL, 0, 200, NOW, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_revoke_where(NULL, &(tw_selector){0}, NOW, NULL, NULL),
                 TW_NULL_POINTER);

    /* Reason codes: every value has one, stable; out of range is "unknown". */
    CHECK_STR_EQ(tw_reason_code(TW_REASON_UNKNOWN_TOKEN), "unknown_token");
    CHECK_STR_EQ(tw_reason_code(TW_REASON_RATE_EXCEEDED), "rate_exceeded");
    CHECK_STR_EQ(tw_reason_code(TW_REASON_INVALID_PATH), "invalid_path");
    CHECK_STR_EQ(tw_reason_code(TW_REASON_INVALID_PATH + 1), "unknown");
    CHECK_STR_EQ(tw_reason_code(-1), "unknown");
    CHECK(!tw_verdict_has_reason(NULL, 0));
    CHECK_STR_EQ(tw_status_message(TW_NOT_FOUND), "no such token or policy");
    tw_guard_free(g);
    printf("arguments\n");
}

int main(void) {
    config_errors();
    register_and_check();
    mint_rate_limit_and_events();
    lifecycle();
    revoke_where();
    snapshot_and_restore();
    outcomes();
    arguments();
    printf("ok: guard\n");
    return 0;
}
