/* tw_gate_*: the HTTP front door. Exempt paths, a missing token, trusted and spoofed
 * forwarded addresses, the country header, 403 and 429 answers, outcomes by id, errors. */
#include "check.h"

#define NOW 1767225600000LL
#define LIT(s) ((tw_str){(s), sizeof(s) - 1})
#define KEY "gate test key"
#define TOKEN "tw_gate_test_token_0123456789"
#define LIMITED "tw_gate_limited_token_0123456789"

static const char GUARD_CONFIG[] =
    "[policies.office]\n"
    "allow_ips = [\"198.51.100.0/24\"]\n"
    "countries = [\"DE\"]\n"
    "[policies.limited]\n"
    "rate_limit = { requests = 1, window = \"1m\" }\n";

static const char GATE_CONFIG[] =
    "{\"trusted_proxies\": [\"10.0.0.0/8\"], \"exempt_paths\": [\"/health\"],"
    " \"country_header\": \"cf-ipcountry\"}";

static tw_guard *guard;
static tw_gate *gate;

static tw_passage pass(const char *method, const char *target, const tw_header *headers,
                       size_t count, const char *peer) {
    tw_http_request req = {0};
    req.method = (tw_str){method, strlen(method)};
    req.target = (tw_str){target, strlen(target)};
    req.headers = headers;
    req.header_count = count;
    if (peer) req.peer = (tw_str){peer, strlen(peer)};
    tw_passage p;
    CHECK_STATUS(tw_gate_check(gate, guard, &req, NOW + 1, &p), TW_OK);
    return p;
}

static void setup(void) {
    CHECK_STATUS(tw_guard_new(GUARD_CONFIG, strlen(GUARD_CONFIG), (const uint8_t *)KEY,
                              strlen(KEY), &guard),
                 TW_OK);
    tw_token_meta meta = {0};
    meta.policy = LIT("office");
    CHECK_STATUS(tw_guard_register(guard, TOKEN, strlen(TOKEN), &meta, NOW, NULL), TW_OK);
    meta.policy = LIT("limited");
    CHECK_STATUS(tw_guard_register(guard, LIMITED, strlen(LIMITED), &meta, NOW, NULL), TW_OK);
    CHECK_STATUS(tw_gate_new(GATE_CONFIG, strlen(GATE_CONFIG), &gate), TW_OK);
}

static void config(void) {
    tw_gate *g = (tw_gate *)1;
    const char bad[] = "{\"trusted_proxies\": [\"10.0.0.0/8\", \"hunter2-secret\"]}";
    CHECK_STATUS(tw_gate_new(bad, strlen(bad), &g), TW_CONFIG);
    CHECK(g == NULL);
    CHECK(strstr(last_error(), "trusted_proxies[1]") != NULL);
    CHECK(strstr(last_error(), "hunter2") == NULL);
    const char typo[] = "{\"trusted_proxy\": []}";
    CHECK_STATUS(tw_gate_new(typo, strlen(typo), &g), TW_CONFIG);
    CHECK_STATUS(tw_gate_new("{", 1, &g), TW_CONFIG);
    CHECK_STATUS(tw_gate_new(NULL, 0, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_gate_new(NULL, 0, &g), TW_OK); /* the defaults */
    tw_gate_free(g);
    tw_gate_free(NULL);
    printf("gate config\n");
}

static void exempt_and_missing(void) {
    tw_passage p = pass("GET", "/health", NULL, 0, "203.0.113.5");
    CHECK(p.kind == TW_PASSAGE_EXEMPT && !p.checked);
    CHECK(p.body == NULL && p.headers == NULL && p.status == 0);
    tw_passage_clear(&p);

    p = pass("GET", "/v1/orders?page=2", NULL, 0, "203.0.113.5");
    CHECK(p.kind == TW_PASSAGE_DENIED && !p.checked);
    CHECK(p.status == 401 && p.grpc_code == 16);
    CHECK_STR_EQ(tw_string_ptr(p.body), "{\"error\":\"missing_token\",\"reasons\":[]}");
    CHECK(strstr(tw_string_ptr(p.headers), "www-authenticate: Bearer realm=\"api\"\r\n") != NULL);
    CHECK(strstr(tw_string_ptr(p.headers), "content-type: application/json\r\n") != NULL);
    tw_passage_clear(&p);
    CHECK(p.body == NULL && p.headers == NULL);
    tw_passage_clear(&p); /* twice is harmless */
    tw_passage_clear(NULL);
    printf("exempt and missing\n");
}

static void forwarded_addresses(void) {
    tw_header via_proxy[] = {
        {LIT("Authorization"), LIT("Bearer " TOKEN)},
        {LIT("X-Forwarded-For"), LIT("6.6.6.6, 198.51.100.7")},
        {LIT("CF-IPCountry"), LIT("DE")},
    };
    /* From a trusted proxy: its rightmost entry is the client, and its country is believed. */
    tw_passage p = pass("GET", "/v1/orders", via_proxy, 3, "10.0.0.1");
    CHECK(p.kind == TW_PASSAGE_ALLOWED && p.checked && p.verdict.allowed);
    CHECK(p.body == NULL && p.status == 0);
    tw_token_id id;
    CHECK_STATUS(tw_guard_token_id(guard, TOKEN, strlen(TOKEN), &id), TW_OK);
    CHECK_STR_EQ(p.verdict.token_id.text, id.text);
    uint32_t alerts = 9;
    CHECK_STATUS(tw_guard_record_outcome_id(guard, p.verdict.token_id.text,
                                            strlen(p.verdict.token_id.text), 200, NOW + 2,
                                            &alerts),
                 TW_OK);
    CHECK(alerts == 0);
    tw_passage_clear(&p);

    /* The same headers from an untrusted peer: neither the address nor the country counts. */
    p = pass("GET", "/v1/orders", via_proxy, 3, "203.0.113.5");
    CHECK(p.kind == TW_PASSAGE_DENIED && p.checked && !p.verdict.allowed);
    CHECK(p.status == 403 && p.grpc_code == 7);
    CHECK(tw_verdict_has_reason(&p.verdict, TW_REASON_IP_NOT_ALLOWED));
    CHECK(tw_verdict_has_reason(&p.verdict, TW_REASON_COUNTRY_NOT_ALLOWED));
    CHECK_STR_EQ(tw_string_ptr(p.body),
                 "{\"error\":\"forbidden\",\"reasons\":[\"ip_not_allowed\",\"country_not_allowed\"]}");
    CHECK(strstr(tw_string_ptr(p.body), TOKEN) == NULL);
    CHECK(strstr(tw_string_ptr(p.headers), "www-authenticate") == NULL);
    tw_passage_clear(&p);

    /* A peer written in brackets is still the trusted proxy... */
    p = pass("GET", "/v1/orders", via_proxy, 3, "[10.0.0.1]");
    CHECK(p.kind == TW_PASSAGE_ALLOWED && p.verdict.allowed);
    tw_passage_clear(&p);
    /* ...and a peer that is no address is an unknown client, never a trusted proxy. */
    p = pass("GET", "/v1/orders", via_proxy, 3, "not-an-address");
    CHECK(p.kind == TW_PASSAGE_DENIED && p.status == 403);
    CHECK(tw_verdict_has_reason(&p.verdict, TW_REASON_IP_NOT_ALLOWED));
    CHECK(tw_verdict_has_reason(&p.verdict, TW_REASON_COUNTRY_NOT_ALLOWED));
    tw_passage_clear(&p);

    /* An unknown token: 401 invalid_token. */
    tw_header unknown[] = {{LIT("authorization"), LIT("Bearer tw_not_registered_anywhere")}};
    p = pass("GET", "/v1/orders", unknown, 1, "10.0.0.1");
    CHECK(p.status == 401 && p.checked);
    CHECK(strstr(tw_string_ptr(p.headers), "error=\"invalid_token\"") != NULL);
    CHECK(strstr(tw_string_ptr(p.body), "tw_not_registered") == NULL);
    tw_passage_clear(&p);
    printf("forwarded addresses\n");
}

static void rate_limited(void) {
    tw_header auth[] = {{LIT("Authorization"), LIT("Bearer " LIMITED)}};
    tw_passage p = pass("POST", "/v1/jobs", auth, 1, "192.0.2.1");
    CHECK(p.kind == TW_PASSAGE_ALLOWED);
    tw_passage_clear(&p);
    p = pass("POST", "/v1/jobs", auth, 1, "192.0.2.1");
    CHECK(p.kind == TW_PASSAGE_DENIED && p.status == 429 && p.grpc_code == 8);
    CHECK(p.verdict.retry_after_ms > 0);
    CHECK(strstr(tw_string_ptr(p.headers), "retry-after: ") != NULL);
    CHECK_STR_EQ(tw_string_ptr(p.body), "{\"error\":\"rate_limited\",\"reasons\":[\"rate_exceeded\"]}");
    tw_passage_clear(&p);
    printf("rate limited\n");
}

static void errors(void) {
    tw_http_request req = {0};
    req.method = LIT("GET");
    req.target = LIT("/v1/x");
    req.peer = (tw_str){NULL, 3};
    tw_passage p;
    CHECK_STATUS(tw_gate_check(gate, guard, &req, NOW, &p), TW_NULL_POINTER);
    CHECK(p.kind == TW_PASSAGE_DENIED && p.status == 0 && p.body == NULL);
    CHECK(strstr(last_error(), "request.peer") != NULL);
    /* A peer that is not even UTF-8 is an unknown client too. */
    req.peer = (tw_str){"10.0.0.\xff", 8};
    CHECK_STATUS(tw_gate_check(gate, guard, &req, NOW, &p), TW_OK);
    CHECK(p.kind == TW_PASSAGE_DENIED && p.status == 401);
    tw_passage_clear(&p);
    req.peer = (tw_str){NULL, 0};
    tw_header bad_name[] = {{(tw_str){"X-\xff", 3}, LIT("v")}};
    req.headers = bad_name;
    req.header_count = 1;
    CHECK_STATUS(tw_gate_check(gate, guard, &req, NOW, &p), TW_INVALID_UTF8);
    CHECK(strstr(last_error(), "request.headers[0].name") != NULL);
    /* Header values may be any bytes. */
    tw_header binary_value[] = {{LIT("X-Anything"), (tw_str){"\xff\xfe", 2}}};
    req.headers = binary_value;
    CHECK_STATUS(tw_gate_check(gate, guard, &req, NOW, &p), TW_OK);
    CHECK(p.status == 401);
    tw_passage_clear(&p);
    req.headers = NULL;
    req.header_count = 2;
    CHECK_STATUS(tw_gate_check(gate, guard, &req, NOW, &p), TW_NULL_POINTER);
    req.header_count = 0;
    CHECK_STATUS(tw_gate_check(NULL, guard, &req, NOW, &p), TW_NULL_POINTER);
    CHECK_STATUS(tw_gate_check(gate, NULL, &req, NOW, &p), TW_NULL_POINTER);
    CHECK_STATUS(tw_gate_check(gate, guard, NULL, NOW, &p), TW_NULL_POINTER);
    CHECK_STATUS(tw_gate_check(gate, guard, &req, NOW, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_guard_record_outcome_id(guard, "tid_zz", 6, 200, NOW, NULL),
                 TW_INVALID_ARGUMENT);
    CHECK_STATUS(tw_guard_record_outcome_id(guard, NULL, 0, 200, NOW, NULL), TW_NULL_POINTER);
    printf("gate errors\n");
}

int main(void) {
    setup();
    config();
    exempt_and_missing();
    forwarded_addresses();
    rate_limited();
    errors();
    tw_gate_free(gate);
    tw_guard_free(guard);
    printf("ok: gate\n");
    return 0;
}
