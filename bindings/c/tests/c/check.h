/* Minimal assertion helpers shared by the C test programs. Each program prints one line per
 * passed check group and "ok: <name>" at the end; any failed check prints where and exits 1. */
#ifndef TW_CHECK_H
#define TW_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenward.h"

#define GITHUB_TOKEN "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"
#define GITHUB_LABEL "[REDACTED:github_classic_token]"
#define AWS_KEY "AKIA7QX2M4RB5KQ3YHV6"
#define AWS_LABEL "[REDACTED:aws_access_key_id]"

#define FAIL(...)                                                          \
    do {                                                                   \
        fprintf(stderr, "%s:%d: check failed: ", __FILE__, __LINE__);      \
        fprintf(stderr, __VA_ARGS__);                                      \
        fprintf(stderr, "\n");                                             \
        exit(1);                                                           \
    } while (0)

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) FAIL("%s", #cond);                                    \
    } while (0)

/* Checks a call's status; on mismatch prints both and the thread's last error message. */
#define CHECK_STATUS(call, expected)                                       \
    do {                                                                   \
        tw_status got_ = (call);                                           \
        if (got_ != (expected)) {                                          \
            char msg_[512];                                                \
            tw_last_error_message(msg_, sizeof msg_, NULL);                \
            FAIL("%s gave %d (%s), expected %d; last error: %s", #call,     \
                 (int)got_, tw_status_message((int)got_), (int)(expected), \
                 msg_);                                                    \
        }                                                                  \
    } while (0)

#define CHECK_STR_EQ(actual, expected)                                     \
    do {                                                                   \
        const char *a_ = (actual), *e_ = (expected);                       \
        if (strcmp(a_, e_) != 0) FAIL("got \"%s\", expected \"%s\"", a_, e_); \
    } while (0)

/* The calling thread's last error message, in a static buffer (tests are single-purpose). */
static inline const char *last_error(void) {
    static char buf[1024];
    size_t len = 0;
    tw_status status = tw_last_error_message(buf, sizeof buf, &len);
    if (status != TW_OK) FAIL("tw_last_error_message gave %d", (int)status);
    if (strlen(buf) != len) FAIL("message length %zu but strlen %zu", len, strlen(buf));
    return buf;
}

/* Redacts a NUL-terminated text with the bytes API and returns a malloc'd copy of the output. */
static inline char *redact_copy(const tw_redactor *r, const char *text) {
    tw_string *out = NULL;
    CHECK_STATUS(tw_redactor_redact(r, (const uint8_t *)text, strlen(text), &out), TW_OK);
    CHECK(out != NULL);
    size_t len = tw_string_len(out);
    char *copy = malloc(len + 1);
    CHECK(copy != NULL);
    memcpy(copy, tw_string_ptr(out), len + 1);
    CHECK(copy[len] == '\0');
    tw_string_free(out);
    return copy;
}

#define CHECK_REDACTS(r, input, expected)                                  \
    do {                                                                   \
        char *out_ = redact_copy((r), (input));                            \
        CHECK_STR_EQ(out_, (expected));                                    \
        free(out_);                                                        \
    } while (0)

#endif
