/* conffile: files of NAME=value lines, as a shell sources them. */
#include "config.h"

#include "conffile.h"

#include "cp_error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* The value after '=' (raw: not yet trimmed) as the shell reads one word
 * of it, in place, into *value: '...' literally; "..." with \\, \", \$
 * and \` standing for the character after the backslash (any other
 * backslash stays); unquoted, a '#' after a blank starts a comment (so
 * "NAME= # note" is empty).  After a closing quote only blanks and a
 * comment may follow ("x"#c is refused: the shell would join the two).
 * Quotes count only around a whole value.  Nothing is expanded ($NAME
 * stays as written).  Returns 0, or CP_ESYNTAX with the reason in err. */
static int unquote(char *raw, char **value, const char *name, char *err, size_t errlen)
{
    char *v = *value = trim(raw);
    char q = v[0];
    if (q != '"' && q != '\'') {
        for (char *s = raw; *s; s++)
            if (*s == '#' && s > raw && isspace((unsigned char)s[-1])) {
                *s = '\0';
                *value = trim(raw);
                break;
            }
        return CP_OK;
    }
    char *in = v + 1, *out = v;
    while (*in && *in != q) {
        if (q == '"' && *in == '\\' && in[1] && strchr("\\\"$`", in[1]))
            in++;
        *out++ = *in++;
    }
    if (*in != q) {
        snprintf(err, errlen, "unterminated quote in value of %s", name);
        return CP_ESYNTAX;
    }
    char *after = ++in;
    while (isspace((unsigned char)*in))
        in++;
    if (*in && (*in != '#' || in == after)) {
        snprintf(err, errlen, "text after the closing quote in value of %s", name);
        return CP_ESYNTAX;
    }
    *out = '\0';
    return CP_OK;
}

/* Parse one "NAME=value" line in place.  Returns 0 with *name and *value set, 1
 * for a blank or comment line, or CP_ESYNTAX with a reason in err. */
static int parse_line(char *line, char **name, char **value, char *err, size_t errlen)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return 1;
    if (strncmp(s, "export ", 7) == 0)
        s = trim(s + 7);
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "expected NAME=value");
        return CP_ESYNTAX;
    }
    *eq = '\0';
    *name = trim(s);
    return unquote(eq + 1, value, *name, err, errlen);
}

int conffile_read(const char *path, conffile_setting_fn *on_setting, void *arg, char *err,
                  size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return CP_ENOENT;
    }
    char line[CONFFILE_LINE_MAX], why[CONFFILE_LINE_MAX];
    int lineno = 0, rc = CP_OK;
    while (rc == CP_OK && fgets(line, sizeof line, f)) {
        lineno++;
        char *name, *value;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(why, sizeof why, "line too long");
            rc = CP_ESYNTAX;
        } else {
            rc = parse_line(line, &name, &value, why, sizeof why);
            if (rc == 1) {
                rc = CP_OK;
                continue;
            }
            if (rc == CP_OK)
                rc = on_setting(arg, name, value, why, sizeof why);
        }
        if (rc != CP_OK)
            snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
    }
    if (rc == CP_OK && ferror(f)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        rc = CP_EIO;
    }
    fclose(f);
    return rc;
}
