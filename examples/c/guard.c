/*
 * guard: checks requests with a tokenward Guard, as a proxy module or an embedded server
 * would: mint a token bound to a policy, check requests, revoke it, drain the audit events.
 *
 *     make -C examples/c guard && examples/c/guard
 */
#include <stdio.h>
#include <string.h>

#include "tokenward.h"

#define LIT(s) ((tw_str){(s), sizeof(s) - 1})

static const char CONFIG[] =
    "[policies.ci]\n"
    "subjects = [\"ci-runner\"]\n"
    "allow_ips = [\"10.0.0.0/8\"]\n"
    "endpoints = [\"POST /v1/deploys\"]\n";

static int fail(const char *what, tw_status status) {
    char detail[256];
    tw_last_error_message(detail, sizeof detail, NULL);
    fprintf(stderr, "%s: %s: %s\n", what, tw_status_message((int)status), detail);
    return 1;
}

/* Checks one request and prints the verdict: what a host turns into 200, 401, 403 or 429. */
static void check(const tw_guard *guard, const tw_string *token, const char *ip) {
    tw_request req = {0}; /* absent fields: len 0 */
    req.token = (tw_str){tw_string_ptr(token), tw_string_len(token)};
    req.subject = LIT("ci-runner");
    req.ip = (tw_str){ip, strlen(ip)};
    req.method = LIT("POST");
    req.path = LIT("/v1/deploys");
    tw_verdict v;
    if (tw_guard_check(guard, &req, TW_NOW, &v) == TW_OK && v.allowed) {
        printf("%s: allowed (%s)\n", ip, v.token_id.text);
        return;
    }
    printf("%s: denied", ip); /* a failed check leaves v.allowed false: fail closed */
    for (int r = 0; r < 64; r++) {
        if (tw_verdict_has_reason(&v, r)) printf(" %s", tw_reason_code(r));
    }
    printf(" (%s)\n", v.token_id.text);
}

int main(void) {
    const char key[] = "example key: load yours from a secret store";
    tw_guard *guard = NULL;
    tw_status s = tw_guard_new(CONFIG, strlen(CONFIG), (const uint8_t *)key, strlen(key), &guard);
    if (s != TW_OK) return fail("tw_guard_new", s);

    tw_token_meta meta = {0};
    meta.owner = LIT("ci");
    meta.policy = LIT("ci");
    tw_string *token = NULL; /* the raw token: hand it out once, never log it */
    tw_token_id id;          /* its keyed fingerprint: safe to log */
    s = tw_guard_mint(guard, &meta, TW_NOW, &token, &id);
    if (s != TW_OK) return fail("tw_guard_mint", s);

    check(guard, token, "10.2.3.4");    /* allowed */
    check(guard, token, "203.0.113.9"); /* denied: ip_not_allowed */
    s = tw_guard_revoke(guard, id.text, strlen(id.text), TW_NOW, NULL);
    if (s != TW_OK) return fail("tw_guard_revoke", s);
    check(guard, token, "10.2.3.4"); /* denied: revoked */

    tw_string *events = NULL; /* JSON lines, naming tokens by id only */
    size_t count = 0;
    s = tw_guard_drain_events(guard, &events, &count);
    if (s != TW_OK) return fail("tw_guard_drain_events", s);
    printf("%zu events:\n%s", count, tw_string_ptr(events));

    tw_string_free(events);
    tw_string_free(token);
    tw_guard_free(guard);
    return 0;
}
