/* Two threads check tokens while a third revokes them one by one: a check that starts after
 * tw_guard_revoke returned must deny with TW_REASON_REVOKED, and no check may see anything
 * but "allowed" or "revoked". Error messages stay per thread. */
#include <pthread.h>
#include <stdatomic.h>

#include "check.h"

#define TOKENS 64
#define NOW 1767225600000LL

static tw_guard *guard;
static char *tokens[TOKENS];
static tw_token_id ids[TOKENS];
static atomic_int revoked[TOKENS];   /* set by the revoker after tw_guard_revoke returned */
static atomic_int revoker_done;

typedef struct {
    unsigned seed;
    int failed;
    unsigned long checks;
    unsigned long denied_after_revoke;
} checker;

static void *check_loop(void *arg) {
    checker *c = arg;
    unsigned i = c->seed;
    int finishing = 0;
    for (;;) {
        i = (i * 1103515245u + 12345u) % TOKENS;
        int was_revoked = atomic_load_explicit(&revoked[i], memory_order_acquire);
        tw_request req = {0};
        req.token = (tw_str){tokens[i], strlen(tokens[i])};
        req.ip = (tw_str){"192.0.2.1", 9};
        tw_verdict v;
        if (tw_guard_check(guard, &req, NOW + 1, &v) != TW_OK) c->failed = 1;
        if (strcmp(v.token_id.text, ids[i].text) != 0) c->failed = 1;
        if (was_revoked) {
            if (v.allowed || v.reasons != (UINT64_C(1) << TW_REASON_REVOKED)) c->failed = 1;
            c->denied_after_revoke++;
        } else if (!v.allowed && v.reasons != (UINT64_C(1) << TW_REASON_REVOKED)) {
            c->failed = 1;
        }
        /* A failing call on this thread sets only this thread's message. */
        if (c->checks % 64 == 0) {
            if (tw_guard_revoke(guard, "tid_bad", 7, NOW, NULL) != TW_INVALID_ARGUMENT) c->failed = 1;
            char msg[128];
            tw_last_error_message(msg, sizeof msg, NULL);
            if (strstr(msg, "token id") == NULL) c->failed = 1;
        }
        c->checks++;
        if (finishing && c->checks > 4 * TOKENS) break;
        if (!finishing && atomic_load(&revoker_done)) {
            finishing = 1;
            c->checks = 0;
        }
    }
    return NULL;
}

static void *revoke_loop(void *arg) {
    int *failed = arg;
    for (int i = 0; i < TOKENS; i++) {
        bool changed = false;
        if (tw_guard_revoke(guard, ids[i].text, strlen(ids[i].text), NOW + 1, &changed) != TW_OK ||
            !changed) {
            *failed = 1;
        }
        atomic_store_explicit(&revoked[i], 1, memory_order_release);
        for (volatile int spin = 0; spin < 20000; spin++) {
        }
    }
    atomic_store(&revoker_done, 1);
    return NULL;
}

int main(void) {
    const char key[] = "threads test key";
    CHECK_STATUS(tw_guard_new(NULL, 0, (const uint8_t *)key, strlen(key), &guard), TW_OK);
    for (int i = 0; i < TOKENS; i++) {
        tw_string *token = NULL;
        CHECK_STATUS(tw_guard_mint(guard, NULL, NOW, &token, &ids[i]), TW_OK);
        tokens[i] = malloc(tw_string_len(token) + 1);
        CHECK(tokens[i] != NULL);
        memcpy(tokens[i], tw_string_ptr(token), tw_string_len(token) + 1);
        tw_string_free(token);
    }
    checker checkers[2] = {{.seed = 1}, {.seed = 2}};
    pthread_t threads[3];
    int revoke_failed = 0;
    for (int t = 0; t < 2; t++) {
        CHECK(pthread_create(&threads[t], NULL, check_loop, &checkers[t]) == 0);
    }
    CHECK(pthread_create(&threads[2], NULL, revoke_loop, &revoke_failed) == 0);
    for (int t = 0; t < 3; t++) CHECK(pthread_join(threads[t], NULL) == 0);
    CHECK(!revoke_failed);
    for (int t = 0; t < 2; t++) {
        if (checkers[t].failed) FAIL("checker %d saw a wrong verdict or status", t);
        CHECK(checkers[t].denied_after_revoke > 0);
    }
    /* Every token is revoked now, seen from this thread too. */
    for (int i = 0; i < TOKENS; i++) {
        tw_request req = {0};
        req.token = (tw_str){tokens[i], strlen(tokens[i])};
        tw_verdict v;
        CHECK_STATUS(tw_guard_check(guard, &req, NOW + 2, &v), TW_OK);
        CHECK(!v.allowed && v.reasons == (UINT64_C(1) << TW_REASON_REVOKED));
        free(tokens[i]);
    }
    CHECK_STR_EQ(last_error(), "");
    tw_guard_free(guard);
    printf("2 checkers, 1 revoker, %d tokens\n", TOKENS);
    printf("ok: guard_threads\n");
    return 0;
}
