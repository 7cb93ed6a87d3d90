/* conffile: the --config file of NAME=value lines. */
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

int conffile_load(struct cp_conf *conf, unsigned programs, const char *path, char *err,
                  size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return CP_ENOENT;
    }
    char line[CONF_LIST_MAX + 256], why[CONF_LIST_MAX + 64];
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
            /* One file may serve every program: settings of the others are
             * skipped, names no program knows are typos. */
            if (rc == CP_OK && conf_known(name, CONF_ALL_PROGRAMS))
                rc = conf_known(name, programs)
                         ? conf_set(conf, programs, name, value, why, sizeof why)
                         : CP_OK;
            else if (rc == CP_OK) {
                snprintf(why, sizeof why, "unknown setting %s", name);
                rc = CP_EINVAL;
            }
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
