/* Defaults redact secrets; styles; empty input; the str variant; version and status texts. */
#include "check.h"

static void defaults_redact_secrets(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    CHECK(r != NULL);
    CHECK_REDACTS(r, "token=" GITHUB_TOKEN " ok", "token=" GITHUB_LABEL " ok");
    CHECK_REDACTS(r, "aws " AWS_KEY, "aws " AWS_LABEL);
    CHECK_REDACTS(r, "GET /health 200 12ms", "GET /health 200 12ms");
    CHECK_REDACTS(r, GITHUB_TOKEN "\n" AWS_KEY "\n", GITHUB_LABEL "\n" AWS_LABEL "\n");

    /* The str variant gives the same output for UTF-8 input. */
    const char *text = "caf\xc3\xa9 token " GITHUB_TOKEN;
    tw_string *out = NULL;
    CHECK_STATUS(tw_redactor_redact_str(r, text, strlen(text), &out), TW_OK);
    CHECK_STR_EQ(tw_string_ptr(out), "caf\xc3\xa9 token " GITHUB_LABEL);
    tw_string_free(out);

    /* A success leaves no stale message behind. */
    CHECK_STR_EQ(last_error(), "");
    tw_redactor_free(r);
    printf("defaults redact secrets\n");
}

static void empty_input(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new(NULL, 0, &r), TW_OK);
    tw_string *out = NULL;
    /* (NULL, 0) and (non-NULL, 0) are both the empty input. */
    CHECK_STATUS(tw_redactor_redact(r, NULL, 0, &out), TW_OK);
    CHECK(tw_string_len(out) == 0);
    CHECK_STR_EQ(tw_string_ptr(out), "");
    tw_string_free(out);
    CHECK_STATUS(tw_redactor_redact_str(r, "", 0, &out), TW_OK);
    CHECK(tw_string_len(out) == 0);
    tw_string_free(out);
    size_t written = 99;
    CHECK_STATUS(tw_redactor_redact_into(r, NULL, 0, NULL, 0, &written), TW_OK);
    CHECK(written == 0);
    /* An empty config document is the default configuration. */
    tw_redactor *r2 = NULL;
    CHECK_STATUS(tw_redactor_new("", 0, &r2), TW_OK);
    CHECK_REDACTS(r2, AWS_KEY, AWS_LABEL);
    tw_redactor_free(r2);
    tw_redactor_free(r);
    printf("empty input\n");
}

static void styles_and_config(void) {
    tw_redactor *r = NULL;
    CHECK_STATUS(tw_redactor_new_with_style(NULL, 0, TW_STYLE_PREFIX, NULL, 0, &r), TW_OK);
    CHECK_REDACTS(r, "t=" GITHUB_TOKEN, "t=ghp_********");
    tw_redactor_free(r);

    CHECK_STATUS(tw_redactor_new_with_style(NULL, 0, TW_STYLE_MASK, NULL, 0, &r), TW_OK);
    CHECK_REDACTS(r, "t=" GITHUB_TOKEN, "t=********");
    tw_redactor_free(r);

    /* Fingerprints: deterministic for one key, different for another, never the secret. */
    const uint8_t key[] = "0123456789abcdef";
    CHECK_STATUS(tw_redactor_new_with_style(NULL, 0, TW_STYLE_FINGERPRINT, key, 16, &r), TW_OK);
    char *a = redact_copy(r, GITHUB_TOKEN);
    char *b = redact_copy(r, GITHUB_TOKEN);
    CHECK_STR_EQ(a, b);
    CHECK(strncmp(a, "[REDACTED:github_classic_token:", 31) == 0);
    CHECK(strlen(a) == 31 + 8 + 1);
    CHECK(strstr(a, "Ky9Pf34") == NULL);
    tw_redactor_free(r);
    CHECK_STATUS(tw_redactor_new_with_style(NULL, 0, TW_STYLE_FINGERPRINT, key, 15, &r), TW_OK);
    char *c = redact_copy(r, GITHUB_TOKEN);
    CHECK(strcmp(a, c) != 0);
    free(a);
    free(b);
    free(c);
    tw_redactor_free(r);

    /* A config with a style key, a user rule and an allowlisted value (TOML). */
    const char *toml =
        "style = \"mask\"\n"
        "allow = [\"" AWS_KEY "\"]\n"
        "[[rules]]\n"
        "id = \"acme_key\"\n"
        "keywords = [\"acme_\"]\n"
        "pattern = 'acme_(?P<secret>[a-z0-9]{32})'\n";
    CHECK_STATUS(tw_redactor_new(toml, strlen(toml), &r), TW_OK);
    CHECK_REDACTS(r, "k=acme_0123456789abcdef0123456789abcdef " AWS_KEY,
                  "k=acme_******** " AWS_KEY);
    tw_redactor_free(r);

    /* JSON works too; the explicit style argument wins over the document's. */
    const char *json = "{\"style\": \"mask\", \"disable\": []}";
    CHECK_STATUS(tw_redactor_new_with_style(json, strlen(json), TW_STYLE_LABEL, NULL, 0, &r), TW_OK);
    CHECK_REDACTS(r, GITHUB_TOKEN, GITHUB_LABEL);
    tw_redactor_free(r);
    printf("styles and config\n");
}

static void static_strings(void) {
    CHECK(strlen(tw_version()) >= 5);
    CHECK(strchr(tw_version(), '.') != NULL);
    CHECK_STR_EQ(tw_status_message(TW_OK), "ok");
    CHECK(strstr(tw_status_message(TW_BUFFER_TOO_SMALL), "too small") != NULL);
    CHECK_STR_EQ(tw_status_message(12345), "unknown status");
    CHECK_STR_EQ(tw_status_message(-1), "unknown status");
    printf("static strings\n");
}

int main(void) {
    defaults_redact_secrets();
    empty_input();
    styles_and_config();
    static_strings();
    printf("ok: basics\n");
    return 0;
}
