/* One redactor shared by many threads at once; error messages stay per thread. */
#include <pthread.h>

#include "check.h"

#define THREADS 8
#define ITERATIONS 400

typedef struct {
    const tw_redactor *redactor;
    unsigned id;
    int failed;
} job;

static void *work(void *arg) {
    job *j = arg;
    char input[256], expected[256];
    for (unsigned i = 0; i < ITERATIONS; i++) {
        int which = (int)((i + j->id) % 3);
        snprintf(input, sizeof input, "thread %u iteration %u %s", j->id, i,
                 which == 0 ? "token=" GITHUB_TOKEN : which == 1 ? "key=" AWS_KEY : "clean");
        snprintf(expected, sizeof expected, "thread %u iteration %u %s", j->id, i,
                 which == 0 ? "token=" GITHUB_LABEL : which == 1 ? "key=" AWS_LABEL : "clean");
        tw_string *out = NULL;
        if (tw_redactor_redact(j->redactor, (const uint8_t *)input, strlen(input), &out) != TW_OK ||
            strcmp(tw_string_ptr(out), expected) != 0) {
            j->failed = 1;
        }
        tw_string_free(out);

        /* A failure on this thread sets this thread's message only. */
        char bad[32];
        int n = snprintf(bad, sizeof bad, "x%u\xff", j->id);
        if (tw_redactor_redact_str(j->redactor, bad, (size_t)n, &out) != TW_INVALID_UTF8) {
            j->failed = 1;
        }
        char msg[128], want[128];
        snprintf(want, sizeof want, "input is not valid UTF-8: invalid byte sequence at offset %d",
                 n - 1);
        if (tw_last_error_message(msg, sizeof msg, NULL) != TW_OK || strcmp(msg, want) != 0) {
            j->failed = 1;
        }
    }
    return NULL;
}

int main(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    pthread_t threads[THREADS];
    job jobs[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        jobs[t] = (job){.redactor = r, .id = t, .failed = 0};
        CHECK(pthread_create(&threads[t], NULL, work, &jobs[t]) == 0);
    }
    for (unsigned t = 0; t < THREADS; t++) {
        CHECK(pthread_join(threads[t], NULL) == 0);
        if (jobs[t].failed) FAIL("thread %u saw a wrong result", t);
    }
    /* The main thread made no failing call: its message is empty. */
    CHECK_STR_EQ(last_error(), "");
    tw_redactor_free(r);
    printf("%d threads x %d iterations\n", THREADS, ITERATIONS);
    printf("ok: threads\n");
    return 0;
}
