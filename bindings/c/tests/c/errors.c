/* Config errors, NULL pointers everywhere, and the last-error message contract. */
#include "check.h"

static void config_errors(void) {
    tw_redactor *r = (tw_redactor *)&r; /* not NULL: a failure must reset it */

    const char *bad_toml = "style = \"mask\"\nstlye = \"label\"\n";
    CHECK_STATUS(tw_redactor_new(bad_toml, strlen(bad_toml), &r), TW_CONFIG);
    CHECK(r == NULL);
    const char *msg = last_error();
    CHECK(strstr(msg, "unknown field") != NULL);
    CHECK(strstr(msg, "stlye") == NULL); /* an unknown key is never echoed: it may be a secret */
    CHECK(strstr(msg, "line 2") != NULL);

    const char *misplaced = "allow = \"AKIA7QX2M4RB5KQ3YHV6\"";
    CHECK_STATUS(tw_redactor_new(misplaced, strlen(misplaced), &r), TW_CONFIG);
    CHECK(strstr(last_error(), "allow: invalid type: string, expected a sequence") != NULL);
    CHECK(strstr(last_error(), "AKIA") == NULL);

    const char *bad_allow = "allow_patterns = [\"(AKIA7QX2M4RB5KQ3YHV6\"]";
    CHECK_STATUS(tw_redactor_new(bad_allow, strlen(bad_allow), &r), TW_RULE);
    CHECK(strstr(last_error(), "allow_patterns[0]: unclosed group") != NULL);
    CHECK(strstr(last_error(), "AKIA") == NULL);

    const char *bad_json = "{\"style\": ";
    CHECK_STATUS(tw_redactor_new(bad_json, strlen(bad_json), &r), TW_CONFIG);
    CHECK(strlen(last_error()) > 0);

    const char *bad_style = "style = \"blur\"";
    CHECK_STATUS(tw_redactor_new(bad_style, strlen(bad_style), &r), TW_CONFIG);
    CHECK(strstr(last_error(), "unknown style") != NULL);
    CHECK(strstr(last_error(), "blur") == NULL); /* a rejected value is never echoed */

    const char *bad_rule = "[[rules]]\nid = \"broken\"\nkeywords = [\"x\"]\npattern = '(?P<secret>[a-'\n";
    CHECK_STATUS(tw_redactor_new(bad_rule, strlen(bad_rule), &r), TW_RULE);
    CHECK(strstr(last_error(), "broken") != NULL);

    const char *unknown_rule = "disable = [\"no_such_rule\"]";
    CHECK_STATUS(tw_redactor_new(unknown_rule, strlen(unknown_rule), &r), TW_RULE);
    CHECK(strstr(last_error(), "disable[0]: no built-in rule") != NULL);
    CHECK(strstr(last_error(), "no_such_rule") == NULL);

    /* Invalid UTF-8 in the config document. */
    const char bad_utf8[] = "style = \"m\xff\"";
    CHECK_STATUS(tw_redactor_new(bad_utf8, sizeof bad_utf8 - 1, &r), TW_INVALID_UTF8);
    CHECK(strstr(last_error(), "offset 10") != NULL);

    /* Fingerprint style without a key; an unknown style number. */
    CHECK_STATUS(tw_redactor_new_with_style(NULL, 0, TW_STYLE_FINGERPRINT, NULL, 0, &r), TW_CONFIG);
    CHECK(strstr(last_error(), "key") != NULL);
    CHECK_STATUS(tw_redactor_new_with_style(NULL, 0, 42, NULL, 0, &r), TW_INVALID_ARGUMENT);
    CHECK(strstr(last_error(), "42") != NULL);
    CHECK(r == NULL);
    printf("config errors\n");
}

static void null_pointers(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new(NULL, 0, NULL), TW_NULL_POINTER);
    CHECK_STR_EQ(last_error(), "out is NULL");
    CHECK_STATUS(tw_redactor_new(NULL, 5, &r), TW_NULL_POINTER);
    CHECK(strstr(last_error(), "config") != NULL);
    CHECK_STATUS(tw_redactor_new_with_style(NULL, 0, TW_STYLE_LABEL, NULL, 3, &r), TW_NULL_POINTER);
    CHECK(strstr(last_error(), "fingerprint_key") != NULL);
    CHECK(r == NULL);

    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    tw_string *out = NULL;
    const uint8_t text[] = "abc";
    CHECK_STATUS(tw_redactor_redact(NULL, text, 3, &out), TW_NULL_POINTER);
    CHECK_STR_EQ(last_error(), "redactor is NULL");
    CHECK(out == NULL);
    CHECK_STATUS(tw_redactor_redact(r, text, 3, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_redactor_redact(r, NULL, 3, &out), TW_NULL_POINTER);
    CHECK_STR_EQ(last_error(), "input is NULL but its length is 3");
    CHECK_STATUS(tw_redactor_redact_str(NULL, "abc", 3, &out), TW_NULL_POINTER);
    CHECK_STATUS(tw_redactor_redact_str(r, NULL, 1, &out), TW_NULL_POINTER);
    CHECK_STATUS(tw_redactor_redact_str(r, "abc", 3, NULL), TW_NULL_POINTER);

    size_t written = 0;
    uint8_t buf[8];
    CHECK_STATUS(tw_redactor_redact_into(NULL, text, 3, buf, sizeof buf, &written), TW_NULL_POINTER);
    CHECK_STATUS(tw_redactor_redact_into(r, text, 3, buf, sizeof buf, NULL), TW_NULL_POINTER);
    CHECK_STATUS(tw_redactor_redact_into(r, text, 3, NULL, 8, &written), TW_NULL_POINTER);
    CHECK_STATUS(tw_redactor_redact_into(r, NULL, 3, buf, sizeof buf, &written), TW_NULL_POINTER);

    /* Accessors and destructors accept NULL. */
    CHECK(tw_string_ptr(NULL) == NULL);
    CHECK(tw_string_len(NULL) == 0);
    tw_string_free(NULL);
    tw_redactor_free(NULL);
    tw_redactor_free(r);
    printf("null pointers\n");
}

static void last_error_contract(void) {
    tw_redactor *r = NULL;
    const char *bad = "stlye = 1";
    CHECK_STATUS(tw_redactor_new(bad, strlen(bad), &r), TW_CONFIG);

    /* Length only, then a cut copy, then the whole message; reading never clears it. */
    size_t len = 0;
    CHECK_STATUS(tw_last_error_message(NULL, 0, &len), TW_BUFFER_TOO_SMALL);
    CHECK(len > 10);
    char small[8];
    size_t len2 = 0;
    CHECK_STATUS(tw_last_error_message(small, sizeof small, &len2), TW_BUFFER_TOO_SMALL);
    CHECK(len2 == len);
    CHECK(strlen(small) == sizeof small - 1);
    char *whole = malloc(len + 1);
    CHECK_STATUS(tw_last_error_message(whole, len + 1, NULL), TW_OK);
    CHECK(strlen(whole) == len);
    CHECK(strncmp(whole, small, sizeof small - 1) == 0);
    free(whole);
    CHECK_STATUS(tw_last_error_message(NULL, 4, &len), TW_NULL_POINTER);
    CHECK(strlen(last_error()) == len);

    /* The next successful status-returning call clears it. */
    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    CHECK_STATUS(tw_last_error_message(NULL, 0, &len), TW_OK);
    CHECK(len == 0);
    tw_redactor_free(r);
    printf("last error contract\n");
}

/* A failing call's message never repeats secret input. */
static void no_secrets_in_messages(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    const char input[] = "token " GITHUB_TOKEN " \xff\xfe tail";
    tw_string *out = NULL;
    CHECK_STATUS(tw_redactor_redact_str(r, input, sizeof input - 1, &out), TW_INVALID_UTF8);
    CHECK(strstr(last_error(), "Ky9Pf34") == NULL);
    uint8_t tiny[4];
    size_t written = 0;
    CHECK_STATUS(tw_redactor_redact_into(r, (const uint8_t *)input, sizeof input - 1, tiny,
                                         sizeof tiny, &written),
                 TW_BUFFER_TOO_SMALL);
    CHECK(strstr(last_error(), "Ky9Pf34") == NULL);
    tw_redactor_free(r);
    printf("no secrets in messages\n");
}

int main(void) {
    config_errors();
    null_pointers();
    last_error_contract();
    no_secrets_in_messages();
    printf("ok: errors\n");
    return 0;
}
