/* tw_request.addr: the client address in binary, as a server has it from accept() or
 * getpeername(): IPv4, IPv6 and IPv4-mapped IPv6 against allow_ips, agreement with the text
 * field, and the typed errors (an unknown family, both fields set, NULL pointers). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"

#define NOW 1767225600000LL /* 2026-01-01T00:00:00Z */
#define KEY "host fingerprint key material"
#define TOKEN "tw_addr_test_token_Qm2xV9pL4kR8sT1"
#define LIT(s) ((tw_str){(s), sizeof(s) - 1})
#define BIT(r) (UINT64_C(1) << (r))

static const char CONFIG[] =
    "[policies.net]\n"
    "allow_ips = [\"10.0.0.0/8\", \"2001:db8::/32\"]\n";

/* The tw_ip of a socket address, as a C server converts what accept() gave it. */
static tw_ip ip_of_sockaddr(const struct sockaddr_storage *peer) {
    tw_ip ip = {0};
    if (peer->ss_family == AF_INET) {
        ip.family = TW_IP_V4;
        memcpy(ip.bytes, &((const struct sockaddr_in *)peer)->sin_addr, 4);
    } else if (peer->ss_family == AF_INET6) {
        ip.family = TW_IP_V6;
        memcpy(ip.bytes, &((const struct sockaddr_in6 *)peer)->sin6_addr, 16);
    }
    return ip;
}

/* A socket address for a textual address, as accept() would fill it. */
static struct sockaddr_storage sockaddr_of(const char *text) {
    struct sockaddr_storage peer;
    memset(&peer, 0, sizeof peer);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&peer;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&peer;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
    } else {
        FAIL("not an address: %s", text);
    }
    return peer;
}

static tw_request request_with(tw_ip addr) {
    tw_request req = {0};
    req.token = LIT(TOKEN);
    req.addr = addr;
    return req;
}

/* Checks `text` as a binary address and as text: both give the same, expected verdict. */
static void expect(const tw_guard *g, const char *text, bool allowed) {
    struct sockaddr_storage peer = sockaddr_of(text);
    tw_request binary = request_with(ip_of_sockaddr(&peer));
    tw_request textual = request_with((tw_ip){0});
    textual.ip = (tw_str){text, strlen(text)};
    tw_verdict vb, vt;
    CHECK_STATUS(tw_guard_check(g, &binary, NOW, &vb), TW_OK);
    CHECK_STATUS(tw_guard_check(g, &textual, NOW, &vt), TW_OK);
    if (vb.allowed != allowed) FAIL("%s (binary): allowed %d", text, (int)vb.allowed);
    CHECK(vt.allowed == vb.allowed);
    CHECK(vt.reasons == vb.reasons);
    CHECK_STR_EQ(vb.token_id.text, vt.token_id.text);
    CHECK(allowed ? vb.reasons == 0 : vb.reasons == BIT(TW_REASON_IP_NOT_ALLOWED));
}

static void addresses(const tw_guard *g) {
    expect(g, "10.2.3.4", true);
    expect(g, "203.0.113.9", false);
    expect(g, "2001:db8::1", true);
    expect(g, "2001:db9::1", false);
    /* What a dual-stack socket reports for an IPv4 client: the IPv4 address to the policy. */
    expect(g, "::ffff:10.2.3.4", true);
    expect(g, "::ffff:203.0.113.9", false);

    /* Bytes past the fourth do not matter for IPv4. */
    tw_ip v4 = {0};
    v4.family = TW_IP_V4;
    memcpy(v4.bytes, (const uint8_t[]){10, 9, 8, 7, 0xff, 0xff, 0xff, 0xff}, 8);
    tw_request req = request_with(v4);
    tw_verdict v;
    CHECK_STATUS(tw_guard_check(g, &req, NOW, &v), TW_OK);
    CHECK(v.allowed);

    /* No address at all: a policy with allow_ips denies (fail closed). */
    req = request_with((tw_ip){0});
    CHECK_STATUS(tw_guard_check(g, &req, NOW, &v), TW_OK);
    CHECK(!v.allowed);
    CHECK(v.reasons == BIT(TW_REASON_IP_NOT_ALLOWED));
    printf("binary addresses\n");
}

/* A failed check returns a typed status, names the field and leaves a denial. */
static void expect_failure(const tw_guard *g, const tw_request *req, tw_verdict *v,
                           tw_status status, const char *field) {
    if (v != NULL) v->allowed = true; /* must be reset */
    CHECK_STATUS(tw_guard_check(g, req, NOW, v), status);
    const char *message = last_error();
    if (strstr(message, field) == NULL) FAIL("\"%s\" does not name %s", message, field);
    if (v != NULL) {
        CHECK(!v->allowed);
        CHECK(v->reasons == 0);
        CHECK(v->token_id.text[0] == '\0');
    }
}

static void errors(const tw_guard *g) {
    tw_verdict v;
    /* Unknown families, AF_INET and AF_INET6 among them: the family is TW_IP_*, not AF_*. */
    const int families[] = {AF_INET, AF_INET6, 1, 5, 7, 255};
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        if (families[i] == TW_IP_V4 || families[i] == TW_IP_V6) continue;
        tw_ip bad = {0};
        bad.family = (uint8_t)families[i];
        memcpy(bad.bytes, (const uint8_t[]){10, 2, 3, 4}, 4);
        tw_request req = request_with(bad);
        expect_failure(g, &req, &v, TW_INVALID_ARGUMENT, "request.addr.family");
    }

    /* Both the text and the binary address: ambiguous, refused. */
    tw_ip v4 = {0};
    v4.family = TW_IP_V4;
    memcpy(v4.bytes, (const uint8_t[]){10, 2, 3, 4}, 4);
    tw_request both = request_with(v4);
    both.ip = LIT("10.2.3.4");
    expect_failure(g, &both, &v, TW_INVALID_ARGUMENT, "request.addr");

    /* NULL pointers: the request, the verdict, the guard, a text field beside addr. */
    tw_request ok = request_with(v4);
    expect_failure(g, NULL, &v, TW_NULL_POINTER, "request");
    expect_failure(g, &ok, NULL, TW_NULL_POINTER, "verdict");
    expect_failure(NULL, &ok, &v, TW_NULL_POINTER, "guard");
    tw_request dangling = request_with(v4);
    dangling.path = (tw_str){NULL, 3};
    expect_failure(g, &dangling, &v, TW_NULL_POINTER, "request.path");
    tw_request dangling_token = request_with(v4);
    dangling_token.token = (tw_str){NULL, 8};
    expect_failure(g, &dangling_token, &v, TW_NULL_POINTER, "request.token");

    /* After the failures, a good request still passes (no state was left behind). */
    CHECK_STATUS(tw_guard_check(g, &ok, NOW, &v), TW_OK);
    CHECK(v.allowed);
    CHECK_STR_EQ(last_error(), "");
    printf("address errors\n");
}

int main(void) {
    tw_guard *g = NULL;
    CHECK_STATUS(tw_guard_new(CONFIG, strlen(CONFIG), (const uint8_t *)KEY, strlen(KEY), &g),
                 TW_OK);
    tw_token_meta meta = {0};
    meta.policy = LIT("net");
    CHECK_STATUS(tw_guard_register(g, TOKEN, strlen(TOKEN), &meta, NOW, NULL), TW_OK);
    addresses(g);
    errors(g);
    tw_guard_free(g);
    printf("ok: guard_addr\n");
    return 0;
}
