/*
 * The C side of benches/c_throughput.sh: times tokenward redaction through the C API on a log
 * file, line by line and as one buffer, and prints one line per mode:
 *
 *     <mode> median_ns=<median of ROUNDS rounds> bytes=<log size> lines=<line count>
 *
 *   c_lines        tw_redactor_redact + tw_string_free per line (library-owned output)
 *   c_lines_into   tw_redactor_redact_into per line into one reusable caller buffer
 *   c_buffer       tw_redactor_redact on the whole log in one call
 *
 * usage: c_throughput LOG ROUNDS
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenward.h"

typedef struct {
    const uint8_t *ptr;
    size_t len;
} line;

static const tw_redactor *redactor;
static line *lines;
static size_t line_count;
static uint8_t *log_data;
static size_t log_len;
static uint8_t *scratch;
static size_t scratch_cap;
static volatile size_t sink; /* keeps the compiler from discarding results */

static void fail(const char *what, tw_status status) {
    char detail[256];
    tw_last_error_message(detail, sizeof detail, NULL);
    fprintf(stderr, "c_throughput: %s: %s: %s\n", what, tw_status_message((int)status), detail);
    exit(1);
}

/* noinline: a named function that callgrind --toggle-collect can count. */
__attribute__((noinline)) static void per_line(void) {
    size_t total = 0;
    for (size_t i = 0; i < line_count; i++) {
        tw_string *out = NULL;
        tw_status s = tw_redactor_redact(redactor, lines[i].ptr, lines[i].len, &out);
        if (s != TW_OK) fail("tw_redactor_redact", s);
        total += tw_string_len(out);
        tw_string_free(out);
    }
    sink = total;
}

__attribute__((noinline)) static void per_line_into(void) {
    size_t total = 0;
    for (size_t i = 0; i < line_count; i++) {
        size_t written = 0;
        tw_status s = tw_redactor_redact_into(redactor, lines[i].ptr, lines[i].len, scratch,
                                              scratch_cap, &written);
        if (s != TW_OK) fail("tw_redactor_redact_into", s);
        total += written;
    }
    sink = total;
}

__attribute__((noinline)) static void whole_buffer(void) {
    tw_string *out = NULL;
    tw_status s = tw_redactor_redact(redactor, log_data, log_len, &out);
    if (s != TW_OK) fail("tw_redactor_redact", s);
    sink = tw_string_len(out);
    tw_string_free(out);
}

static int compare(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Median wall time in ns of `rounds` runs, after one warm-up run. */
static long long median_ns(void (*work)(void), int rounds) {
    long long *times = malloc(sizeof *times * (size_t)rounds);
    work();
    for (int r = 0; r < rounds; r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        work();
        clock_gettime(CLOCK_MONOTONIC, &b);
        times[r] = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
    }
    qsort(times, (size_t)rounds, sizeof *times, compare);
    long long m = times[rounds / 2];
    free(times);
    return m;
}

static void load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        perror(path);
        exit(1);
    }
    log_len = (size_t)ftell(f);
    rewind(f);
    log_data = malloc(log_len);
    if (fread(log_data, 1, log_len, f) != log_len) {
        perror(path);
        exit(1);
    }
    fclose(f);
    /* Lines keep their '\n', as the Rust side's split_inclusive does. */
    lines = malloc(sizeof *lines * (log_len + 1));
    size_t start = 0, longest = 0;
    for (size_t i = 0; i < log_len; i++) {
        if (log_data[i] == '\n' || i + 1 == log_len) {
            lines[line_count++] = (line){log_data + start, i + 1 - start};
            if (i + 1 - start > longest) longest = i + 1 - start;
            start = i + 1;
        }
    }
    scratch_cap = longest * 4 + 256; /* labels can be longer than what they replace */
    scratch = malloc(scratch_cap);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s LOG ROUNDS\n", argv[0]);
        return 2;
    }
    load(argv[1]);
    int rounds = atoi(argv[2]);
    if (rounds < 1) rounds = 1;
    tw_redactor *r = NULL;
    tw_status s = tw_redactor_new(NULL, 0, &r);
    if (s != TW_OK) fail("tw_redactor_new", s);
    redactor = r;

    printf("c_lines median_ns=%lld bytes=%zu lines=%zu\n", median_ns(per_line, rounds), log_len,
           line_count);
    printf("c_lines_into median_ns=%lld bytes=%zu lines=%zu\n", median_ns(per_line_into, rounds),
           log_len, line_count);
    printf("c_buffer median_ns=%lld bytes=%zu lines=%zu\n", median_ns(whole_buffer, rounds),
           log_len, line_count);
    tw_redactor_free(r);
    free(scratch);
    free(lines);
    free(log_data);
    return 0;
}
