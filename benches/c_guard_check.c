/*
 * The C side of benches/c_guard_check.sh: times tw_guard_check on one allowed request (the
 * same config, key, token and request as bindings/c/examples/rust_guard_check.rs) and prints
 *
 *     c_check median_ns=<per check>          now_ms given, as the Rust side does
 *     c_check_clock median_ns=<per check>    now_ms = TW_NOW: the library reads the clock
 *     c_check_text_ip median_ns=<per check>  the address as text (request.ip), parsed per check
 *
 * The client address is passed in binary (request.addr), as a C server holds its peer
 * (struct in_addr) and as the Rust side holds it (an IpAddr parsed once): neither side times
 * the parsing of text the server never had. c_check_text_ip shows what text costs.
 *
 * usage: c_guard_check CONFIG ROUNDS CHECKS
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenward.h"

#define NOW 1767225600000LL
#define LIT(s) ((tw_str){(s), sizeof(s) - 1})

static const char KEY[] = "benchmark key";
static const char TOKEN[] = "tw_benchmark_token_7Qm2xV9pL4kR8sT1";

static tw_guard *guard;
static tw_request request, text_ip_request;
static unsigned checks;
static volatile int sink;

static void fail(const char *what, tw_status status) {
    char detail[256];
    tw_last_error_message(detail, sizeof detail, NULL);
    fprintf(stderr, "c_guard_check: %s: %s: %s\n", what, tw_status_message((int)status), detail);
    exit(1);
}

/* noinline: a named function that callgrind --toggle-collect can count. */
__attribute__((noinline)) static void checks_loop(void) {
    int allowed = 0;
    for (unsigned i = 0; i < checks; i++) {
        tw_verdict v;
        tw_status s = tw_guard_check(guard, &request, NOW + (int64_t)(i % 1000), &v);
        if (s != TW_OK) fail("tw_guard_check", s);
        allowed += v.allowed;
    }
    sink = allowed;
}

__attribute__((noinline)) static void checks_loop_text_ip(void) {
    int allowed = 0;
    for (unsigned i = 0; i < checks; i++) {
        tw_verdict v;
        tw_status s = tw_guard_check(guard, &text_ip_request, NOW + (int64_t)(i % 1000), &v);
        if (s != TW_OK) fail("tw_guard_check", s);
        allowed += v.allowed;
    }
    sink = allowed;
}

__attribute__((noinline)) static void checks_loop_clock(void) {
    int allowed = 0;
    for (unsigned i = 0; i < checks; i++) {
        tw_verdict v;
        tw_status s = tw_guard_check(guard, &request, TW_NOW, &v);
        if (s != TW_OK) fail("tw_guard_check", s);
        allowed += v.allowed;
    }
    sink = allowed;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_ns(void (*work)(void), int rounds) {
    double *times = malloc(sizeof(double) * (size_t)rounds);
    if (times == NULL) exit(1);
    for (int r = 0; r < rounds; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        work();
        clock_gettime(CLOCK_MONOTONIC, &b);
        times[r] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / checks;
    }
    qsort(times, (size_t)rounds, sizeof(double), compare);
    double median = times[rounds / 2];
    free(times);
    return median;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    static char data[1 << 16];
    *len = fread(data, 1, sizeof data, f);
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s CONFIG ROUNDS CHECKS\n", argv[0]);
        return 2;
    }
    size_t config_len;
    const char *config = read_file(argv[1], &config_len);
    int rounds = atoi(argv[2]);
    checks = (unsigned)atoi(argv[3]);
    tw_status s = tw_guard_new(config, config_len, (const uint8_t *)KEY, strlen(KEY), &guard);
    if (s != TW_OK) fail("tw_guard_new", s);
    tw_token_meta meta = {0};
    meta.policy = LIT("bench");
    s = tw_guard_register(guard, TOKEN, strlen(TOKEN), &meta, NOW, NULL);
    if (s != TW_OK) fail("tw_guard_register", s);

    request.token = LIT(TOKEN);
    request.subject = LIT("ci-runner");
    request.addr.family = TW_IP_V4; /* 10.2.3.4, network byte order */
    memcpy(request.addr.bytes, (const uint8_t[]){10, 2, 3, 4}, 4);
    request.method = LIT("POST");
    request.path = LIT("/v1/deploys/42");
    request.user_agent = LIT("bench/1.0");
    text_ip_request = request;
    text_ip_request.addr = (tw_ip){0};
    text_ip_request.ip = LIT("10.2.3.4");
    tw_verdict v;
    s = tw_guard_check(guard, &request, NOW, &v);
    if (s != TW_OK || !v.allowed) fail("the first check", s);
    s = tw_guard_check(guard, &text_ip_request, NOW, &v);
    if (s != TW_OK || !v.allowed) fail("the first check (text address)", s);

    printf("c_check median_ns=%.1f\n", median_ns(checks_loop, rounds));
    printf("c_check_clock median_ns=%.1f\n", median_ns(checks_loop_clock, rounds));
    printf("c_check_text_ip median_ns=%.1f\n", median_ns(checks_loop_text_ip, rounds));
    tw_guard_free(guard);
    return 0;
}
