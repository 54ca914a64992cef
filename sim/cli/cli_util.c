/* Helpers shared by the commands of sim/cli that take a scenario. */
#include "cli_util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cli_exit_code(psim_status st)
{
    switch (st) {
    case PSIM_OK: return CLI_OK;
    case PSIM_ERR_INPUT:
    case PSIM_ERR_USAGE:
    case PSIM_ERR_EXISTS: return CLI_INPUT;
    case PSIM_ERR_INTERRUPTED: return CLI_INTERRUPTED;
    default: return CLI_RUNTIME;
    }
}

void cli_print_error(const psim_error *err)
{
    char buf[PSIM_ERROR_TEXT_MAX + PSIM_ERROR_FILE_MAX + 64];
    psim_error_format(err, buf, sizeof buf);
    fprintf(stderr, "painsim: error: %s\n", buf);
}

int cli_usage(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "painsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\ntry `painsim %s%s--help` for more information\n", cmd ? cmd : "", cmd ? " " : "");
    return CLI_INPUT;
}

int cli_opt_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || (arg[n] == '=' && name[1] == '-'));
}

int cli_take_value(int argc, char **argv, int *i, const char *cmd, const char **value)
{
    const char *arg = argv[*i];
    const char *eq = strchr(arg, '=');
    if (arg[0] == '-' && arg[1] == '-' && eq) {
        *value = eq + 1;
        return 1;
    }
    if (*i + 1 >= argc) {
        cli_usage(cmd, "option %s needs a value", arg);
        return 0;
    }
    *value = argv[++*i];
    return 1;
}

int cli_parse_u64(const char *s, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return 0;
    *out = v;
    return 1;
}

int cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return 0;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || end == s)
        return 0;
    /* no hex floats, no leading spaces */
    if (strchr(s, 'x') || strchr(s, 'X') || *s == ' ')
        return 0;
    *out = v;
    return 1;
}

int cli_check_set(const char *cmd, const char *v, const char *next)
{
    if (strchr(v, '='))
        return -1;
    char msg[512];
    if (next && next[0] != '-')
        snprintf(msg, sizeof msg, "--set takes KEY=VALUE in one argument: write `--set %.200s=%.200s`", v, next);
    else
        snprintf(msg, sizeof msg, "--set takes KEY=VALUE in one argument, got `%.200s` (no `=`)", v);
    return cli_usage(cmd, "%s", msg);
}

int cli_take_set(int argc, char **argv, int *i, const char *cmd, cli_sets *s)
{
    const char *v = NULL;
    if (!cli_take_value(argc, argv, i, cmd, &v))
        return CLI_INPUT;
    int rc = cli_check_set(cmd, v, *i + 1 < argc ? argv[*i + 1] : NULL);
    if (rc >= 0)
        return rc;
    if (s->n >= PSIM_MAX_SET)
        return cli_usage(cmd, "too many --set options (at most %s)", "64");
    s->set[s->n++] = v;
    return -1;
}

/* The width to fit printed tables to: the terminal's columns when fd is a
 * terminal, else $COLUMNS when set, else 0 (no limit). */
int cli_columns(int fd)
{
    struct winsize ws;
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    unsigned long long n;
    if (c && cli_parse_u64(c, &n) && n >= 20 && n <= 10000)
        return (int)n;
    return 0;
}

psim_status cli_load_scenario(const char *path, const cli_sets *s, psim_scenario **scn, psim_error *err)
{
    psim_status st = psim_scenario_load(path, s->set, s->n, scn, err);
    if (st == PSIM_ERR_IO)
        st = err->code = PSIM_ERR_INPUT;
    return st;
}

int cli_find_strategy(const psim_scenario *scn, const char *name)
{
    for (int k = 0; k < scn->n_strategies; k++)
        if (strcmp(scn->strategies[k].name, name) == 0)
            return k;
    unsigned long long idx;
    if (cli_parse_u64(name, &idx) && idx < (unsigned long long)scn->n_strategies)
        return (int)idx;
    return -1;
}

int cli_parse_days(const char *s, int horizon, int *days, int cap)
{
    int n = 0;
    const char *p = s;
    while (*p) {
        char buf[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof buf || n >= cap)
            return -1;
        memcpy(buf, p, len);
        buf[len] = '\0';
        unsigned long long d;
        if (!cli_parse_u64(buf, &d) || d >= (unsigned long long)horizon)
            return -1;
        days[n++] = (int)d;
        p += len;
        if (*p == ',')
            p++;
        if (*p == '\0' && p[-1] == ',')
            return -1;
    }
    return n;
}
