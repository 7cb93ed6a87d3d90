/* exch_number: the numbers and times in exchanges' messages — decimal
 * strings and RFC 3339 UTC times, read strictly (exch_number.h). */
#include "config.h"

#include "exch_number.h"

#include "cp_error.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DIGITS "0123456789"

int exch_decimal(const char *s, double *out)
{
    if (!s)
        return CP_EINVAL;
    const char *p = s + (*s == '-');
    size_t whole = strspn(p, DIGITS);
    if (whole == 0)
        return CP_EINVAL;
    p += whole;
    if (*p == '.') {
        size_t frac = strspn(p + 1, DIGITS);
        if (frac == 0)
            return CP_EINVAL;
        p += 1 + frac;
    }
    if (*p != '\0')
        return CP_EINVAL;
    /* The grammar above is a subset of strtod's, which rounds correctly.  In
     * a locale whose decimal point is not '.', end falls short and the value
     * is refused rather than misread. */
    char *end;
    double v = strtod(s, &end);
    if (end != p || !isfinite(v))
        return CP_EINVAL;
    *out = v;
    return CP_OK;
}

/* Exactly n digits at s into *out. */
static bool read_digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *out = *out * 10 + (s[i] - '0');
    }
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (Howard Hinnant's
 * days_from_civil); y >= 1970 keeps every division non-negative. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = y / 400, yoe = y - era * 400;
    int doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

/* The fraction after the seconds ("" or ".1" to ".123456789"), truncated to
 * ms; *s moves past it. */
static bool read_fraction(const char **s, int *ms)
{
    *ms = 0;
    if (**s != '.')
        return true;
    size_t k = strspn(*s + 1, DIGITS);
    if (k < 1 || k > 9)
        return false;
    for (size_t i = 0; i < 3; i++)
        *ms = *ms * 10 + (i < k ? (*s)[1 + i] - '0' : 0);
    *s += 1 + k;
    return true;
}

int exch_rfc3339_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, ms;
    if (!s || !read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &mo) || s[7] != '-' ||
        !read_digits(s + 8, 2, &d) || s[10] != 'T' || !read_digits(s + 11, 2, &h) || s[13] != ':' ||
        !read_digits(s + 14, 2, &mi) || s[16] != ':' || !read_digits(s + 17, 2, &sec))
        return CP_EINVAL;
    const char *p = s + 19;
    if (!read_fraction(&p, &ms) || strcmp(p, "Z") != 0)
        return CP_EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return CP_EINVAL;
    *out = (((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec) * 1000 + ms;
    return CP_OK;
}
