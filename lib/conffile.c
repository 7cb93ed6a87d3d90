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
    char *v = trim(eq + 1);
    size_t len = strlen(v);
    if (len >= 1 && (v[0] == '"' || v[0] == '\'')) {
        if (len < 2 || v[len - 1] != v[0]) {
            snprintf(err, errlen, "unterminated quote in value of %s", *name);
            return CP_ESYNTAX;
        }
        v[len - 1] = '\0';
        v++;
    }
    *value = v;
    return CP_OK;
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
