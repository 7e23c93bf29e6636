/* Invalid UTF-8 through both variants, and the caller-owned-buffer variant. */
#include "check.h"

static void invalid_utf8(const tw_redactor *r) {
    /* Bytes variant: invalid sequences pass through, the secret is still redacted. */
    const char input[] = "\xff\xfe key=" AWS_KEY " \xc3(";
    const char expected[] = "\xff\xfe key=" AWS_LABEL " \xc3(";
    tw_string *out = NULL;
    CHECK_STATUS(tw_redactor_redact(r, (const uint8_t *)input, sizeof input - 1, &out), TW_OK);
    CHECK(tw_string_len(out) == sizeof expected - 1);
    CHECK(memcmp(tw_string_ptr(out), expected, sizeof expected) == 0); /* incl. the NUL */
    tw_string_free(out);

    /* Str variant: TW_INVALID_UTF8, the offset of the first bad byte, *out reset to NULL. */
    out = (tw_string *)&out;
    CHECK_STATUS(tw_redactor_redact_str(r, input, sizeof input - 1, &out), TW_INVALID_UTF8);
    CHECK(out == NULL);
    CHECK_STR_EQ(last_error(), "input is not valid UTF-8: invalid byte sequence at offset 0");
    /* Skipping the leading bytes, the truncated \xc3 sequence near the end is found. */
    size_t offset_of_c3 = sizeof input - 1 - 2 - 2;
    CHECK_STATUS(tw_redactor_redact_str(r, input + 2, sizeof input - 3, &out), TW_INVALID_UTF8);
    char expected_msg[128];
    snprintf(expected_msg, sizeof expected_msg,
             "input is not valid UTF-8: invalid byte sequence at offset %zu", offset_of_c3);
    CHECK_STR_EQ(last_error(), expected_msg);
    /* The message names neither the secret nor the bad bytes. */
    CHECK(strstr(last_error(), "AKIA") == NULL);
    printf("invalid utf-8\n");
}

static void caller_buffers(const tw_redactor *r) {
    const char *input = "aws=" AWS_KEY;
    const char *expected = "aws=" AWS_LABEL;
    size_t in_len = strlen(input), need = strlen(expected);

    /* Ask for the length with no buffer, then with one byte too few. */
    size_t written = 0;
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)input, in_len, NULL, 0, &written),
                 TW_BUFFER_TOO_SMALL);
    CHECK(written == need);
    char msg[128];
    snprintf(msg, sizeof msg, "the output needs %zu bytes but the buffer holds 0", need);
    CHECK_STR_EQ(last_error(), msg);

    uint8_t *buf = malloc(need);
    memset(buf, '#', need);
    written = 0;
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)input, in_len, buf, need - 1, &written),
                 TW_BUFFER_TOO_SMALL);
    CHECK(written == need);
    CHECK(buf[0] == '#'); /* untouched */

    /* Exactly enough room; no NUL is written past the output. */
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)input, in_len, buf, need, &written),
                 TW_OK);
    CHECK(written == need);
    CHECK(memcmp(buf, expected, need) == 0);
    free(buf);

    /* Clean input is copied as is. */
    uint8_t clean_out[32];
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)"GET / 200", 9, clean_out,
                                         sizeof clean_out, &written),
                 TW_OK);
    CHECK(written == 9 && memcmp(clean_out, "GET / 200", 9) == 0);

    /* In place: the output buffer is the input buffer. */
    char inplace[128];
    snprintf(inplace, sizeof inplace, "%s", "t=" GITHUB_TOKEN " done");
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)inplace, strlen(inplace),
                                         (uint8_t *)inplace, sizeof inplace - 1, &written),
                 TW_OK);
    inplace[written] = '\0';
    CHECK_STR_EQ(inplace, "t=" GITHUB_LABEL " done");
    snprintf(inplace, sizeof inplace, "%s", "no secret here");
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)inplace, strlen(inplace),
                                         (uint8_t *)inplace, sizeof inplace - 1, &written),
                 TW_OK);
    inplace[written] = '\0';
    CHECK_STR_EQ(inplace, "no secret here");
    printf("caller buffers\n");
}

static void interior_nul(const tw_redactor *r) {
    const char input[] = "a\0b " AWS_KEY;
    const char expected[] = "a\0b " AWS_LABEL;
    tw_string *out = NULL;
    CHECK_STATUS(tw_redactor_redact(r, (const uint8_t *)input, sizeof input - 1, &out), TW_OK);
    CHECK(tw_string_len(out) == sizeof expected - 1);
    CHECK(memcmp(tw_string_ptr(out), expected, sizeof expected) == 0);
    tw_string_free(out);
    printf("interior nul\n");
}

int main(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    invalid_utf8(r);
    caller_buffers(r);
    interior_nul(r);
    tw_redactor_free(r);
    printf("ok: utf8_and_buffers\n");
    return 0;
}
