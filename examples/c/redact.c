/*
 * redact: copies standard input to standard output with every secret redacted.
 *
 *     make -C examples/c
 *     examples/c/redact < examples/c/sample.log
 *     examples/c/redact my-config.toml < app.log > app.redacted.log
 *
 * The optional argument is a tokenward configuration file (TOML or JSON). Lines are read whole,
 * however long, and passed as bytes, so invalid UTF-8 goes through untouched.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenward.h"

/* Prints a failed call's status and the thread's detailed message, then exits. */
static void die(const char *what, tw_status status) {
    char detail[512];
    tw_last_error_message(detail, sizeof detail, NULL);
    fprintf(stderr, "redact: %s: %s: %s\n", what, tw_status_message((int)status), detail);
    exit(1);
}

/* Reads a whole file into a malloc'd buffer; NULL path gives NULL (the default config). */
static char *read_file(const char *path, size_t *len) {
    *len = 0;
    if (path == NULL) return NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    size_t cap = 4096;
    char *data = malloc(cap);
    size_t n;
    while (data != NULL && (n = fread(data + *len, 1, cap - *len, f)) > 0) {
        *len += n;
        if (*len == cap) data = realloc(data, cap *= 2);
    }
    if (data == NULL || ferror(f)) {
        fprintf(stderr, "redact: cannot read %s\n", path);
        exit(1);
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv) {
    if (argc > 2) {
        fprintf(stderr, "usage: %s [config.toml|config.json] < input > output\n", argv[0]);
        return 2;
    }
    size_t config_len;
    char *config = read_file(argc == 2 ? argv[1] : NULL, &config_len);

    tw_redactor *redactor = NULL;
    tw_status status = tw_redactor_new(config, config_len, &redactor);
    free(config); /* the redactor keeps no reference to the document */
    if (status != TW_OK) die("bad configuration", status);

    char *line = NULL;
    size_t line_cap = 0;
    ssize_t line_len;
    while ((line_len = getline(&line, &line_cap, stdin)) != -1) {
        tw_string *out = NULL;
        status = tw_redactor_redact(redactor, (const uint8_t *)line, (size_t)line_len, &out);
        if (status != TW_OK) die("redaction failed", status);
        fwrite(tw_string_ptr(out), 1, tw_string_len(out), stdout);
        tw_string_free(out); /* every tw_string is freed exactly once */
    }
    free(line);
    tw_redactor_free(redactor);
    return ferror(stdout) ? 1 : 0;
}
