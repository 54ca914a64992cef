/* Fuzz target: the scenario loader and the resolved emitter (what `painsim
 * validate` prints).
 *
 * The input is a scenario file.  Lines that start with "#set " (YAML comments,
 * so a corpus file is still a plain scenario) also give --set overrides, the
 * rest of the line each.  If the text loads, it is emitted, the emitted text
 * is loaded again (without overrides) and emitted again: the second load must
 * succeed and both emitted texts must be the same bytes (abort() otherwise).
 * Input errors are expected and fine; crashes, sanitizer reports and leaks
 * are findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "painsim/scenario.h"

#define MAX_OVERRIDES (PSIM_MAX_SET + 1) /* one more than allowed: the limit is tested too */

static void fail(const char *what, const char *a, const char *b, const psim_error *err)
{
    char buf[PSIM_ERROR_TEXT_MAX + PSIM_ERROR_FILE_MAX + 64];
    fprintf(stderr, "fuzz_scenario: %s\n", what);
    if (err) {
        psim_error_format(err, buf, sizeof buf);
        fprintf(stderr, "  error: %s\n", buf);
    }
    if (a && b) {
        size_t i = 0, line = 1;
        while (a[i] && a[i] == b[i]) {
            if (a[i] == '\n')
                line++;
            i++;
        }
        fprintf(stderr, "  first difference at byte %zu, line %zu\n", i, line);
    }
    if (a)
        fprintf(stderr, "--- first emitted text ---\n%s\n", a);
    if (b)
        fprintf(stderr, "--- second emitted text ---\n%s\n", b);
    abort();
}

/* Collects the "#set " lines of data as NUL-terminated copies in *set. */
static int collect_overrides(const uint8_t *data, size_t size, char **set)
{
    int n = 0;
    size_t i = 0;
    while (i < size && n < MAX_OVERRIDES) {
        size_t end = i;
        while (end < size && data[end] != '\n')
            end++;
        if (end - i >= 5 && memcmp(data + i, "#set ", 5) == 0) {
            size_t len = end - i - 5;
            char *s = malloc(len + 1);
            if (!s)
                break;
            memcpy(s, data + i + 5, len);
            s[len] = '\0';
            set[n++] = s;
        }
        i = end + 1;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *set[MAX_OVERRIDES];
    int n_set = collect_overrides(data, size, set);
    psim_error err;
    psim_error_clear(&err);
    psim_scenario *a = NULL, *b = NULL;
    char *text_a = NULL, *text_b = NULL;

    psim_status st = psim_scenario_load_text((const char *)data, size, "fuzz.yaml", (const char *const *)set, n_set,
                                             &a, &err);
    if (st == PSIM_OK) {
        if (!a)
            fail("loading succeeded without a scenario", NULL, NULL, NULL);
        if (psim_scenario_to_yaml(a, &text_a, &err) != PSIM_OK)
            fail("a loaded scenario cannot be emitted", NULL, NULL, &err);
        if (psim_scenario_load_text(text_a, strlen(text_a), "emitted.yaml", NULL, 0, &b, &err) != PSIM_OK)
            fail("the emitted scenario does not load", text_a, NULL, &err);
        if (psim_scenario_to_yaml(b, &text_b, &err) != PSIM_OK)
            fail("the reloaded scenario cannot be emitted", text_a, NULL, &err);
        if (strcmp(text_a, text_b) != 0)
            fail("emit(load(emit(s))) differs from emit(s)", text_a, text_b, NULL);
    } else {
        if (a)
            fail("loading failed but returned a scenario", NULL, NULL, &err);
        if (err.code != st)
            fail("the error record's code differs from the returned status", NULL, NULL, &err);
        if (st != PSIM_ERR_INPUT && st != PSIM_ERR_USAGE)
            fail("loading text failed with neither an input nor a usage error", NULL, NULL, &err);
        if (err.message[0] == '\0')
            fail("an input error without a message", NULL, NULL, &err);
    }
    free(text_a);
    free(text_b);
    psim_scenario_destroy(a);
    psim_scenario_destroy(b);
    for (int i = 0; i < n_set; i++)
        free(set[i]);
    return 0;
}
