/* Several megabytes in one call: many lines with secrets scattered, and one huge line. */
#include "check.h"

#define TARGET_BYTES (6u * 1024u * 1024u)

typedef struct {
    char *data;
    size_t len, cap;
} buffer;

static void append(buffer *b, const char *text) {
    size_t n = strlen(text);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->data = realloc(b->data, b->cap);
        CHECK(b->data != NULL);
    }
    memcpy(b->data + b->len, text, n + 1);
    b->len += n;
}

/* Builds the input and the output expected from it, line by line. */
static void build_log(buffer *input, buffer *expected, size_t *secrets) {
    char line[256];
    *secrets = 0;
    for (unsigned i = 0; input->len < TARGET_BYTES; i++) {
        snprintf(line, sizeof line,
                 "2026-11-22T10:%02u:%02u.%03uZ INFO request id=%08x path=/api/v1/items/%u "
                 "status=200 dur=%ums ",
                 i / 60 % 60, i % 60, i % 1000, i * 2654435761u, i % 9973, i % 250);
        append(input, line);
        append(expected, line);
        if (i % 40 == 7) {
            append(input, "auth=" GITHUB_TOKEN);
            append(expected, "auth=" GITHUB_LABEL);
            ++*secrets;
        } else if (i % 55 == 3) {
            append(input, "key=" AWS_KEY);
            append(expected, "key=" AWS_LABEL);
            ++*secrets;
        }
        append(input, "\n");
        append(expected, "\n");
    }
}

static void many_lines(const tw_redactor *r) {
    buffer input = {0}, expected = {0};
    size_t secrets = 0;
    build_log(&input, &expected, &secrets);
    CHECK(input.len >= TARGET_BYTES);
    CHECK(secrets > 1000);

    tw_string *out = NULL;
    CHECK_STATUS(tw_redactor_redact(r, (const uint8_t *)input.data, input.len, &out), TW_OK);
    CHECK(tw_string_len(out) == expected.len);
    CHECK(memcmp(tw_string_ptr(out), expected.data, expected.len) == 0);
    tw_string_free(out);

    CHECK_STATUS(tw_redactor_redact_str(r, input.data, input.len, &out), TW_OK);
    CHECK(tw_string_len(out) == expected.len);
    CHECK(memcmp(tw_string_ptr(out), expected.data, expected.len) == 0);
    tw_string_free(out);

    size_t written = 0;
    uint8_t *buf = malloc(expected.len);
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)input.data, input.len, buf,
                                         expected.len, &written),
                 TW_OK);
    CHECK(written == expected.len && memcmp(buf, expected.data, written) == 0);
    free(buf);
    free(input.data);
    free(expected.data);
    printf("many lines: %zu secrets\n", secrets);
}

static void one_huge_line(const tw_redactor *r) {
    /* 5 MB with no newline, secrets at the start, middle and end. */
    size_t n = 5u * 1024u * 1024u;
    char *input = malloc(n + 1);
    memset(input, 'x', n);
    input[n] = '\0';
    memcpy(input, GITHUB_TOKEN " ", 41);
    memcpy(input + n / 2, " " AWS_KEY " ", 22);
    memcpy(input + n - 41, " " GITHUB_TOKEN, 41);

    tw_string *out = NULL;
    CHECK_STATUS(tw_redactor_redact(r, (const uint8_t *)input, n, &out), TW_OK);
    const char *text = tw_string_ptr(out);
    CHECK(tw_string_len(out) == n - 9 + 8 - 9);
    CHECK(strncmp(text, GITHUB_LABEL " ", 32) == 0);
    CHECK(strstr(text, " " AWS_LABEL " ") != NULL);
    CHECK(strcmp(text + tw_string_len(out) - 32, " " GITHUB_LABEL) == 0);
    CHECK(strstr(text, "AKIA") == NULL && strstr(text, "ghp_") == NULL);
    tw_string_free(out);
    free(input);
    printf("one huge line\n");
}

int main(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    many_lines(r);
    one_huge_line(r);
    tw_redactor_free(r);
    printf("ok: large\n");
    return 0;
}
