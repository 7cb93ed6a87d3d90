#include "config.h"

#include "eio.h"

#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIO_ACK_ID_DIGITS 12 /* digits an ack id may have (leading zeros count) */

const char *eio_error_message(enum eio_error code)
{
    switch (code) {
    case EIO_ERR_TRANSPORT_UNKNOWN: return "Transport unknown";
    case EIO_ERR_SESSION_UNKNOWN: return "Session ID unknown";
    case EIO_ERR_BAD_HANDSHAKE_METHOD: return "Bad handshake method";
    case EIO_ERR_BAD_REQUEST: return "Bad request";
    case EIO_ERR_FORBIDDEN: return "Forbidden";
    case EIO_ERR_UNSUPPORTED_VERSION: return "Unsupported protocol version";
    }
    return "Bad request";
}

int eio_packet_parse(const char *s, size_t len, enum eio_type *type, const char **data,
                     size_t *data_len)
{
    if (len == 0 || s[0] < '0' || s[0] > '6')
        return -1; /* also "b<base64>": binary, refused */
    *type = (enum eio_type)(s[0] - '0');
    *data = s + 1;
    *data_len = len - 1;
    return 0;
}

bool eio_payload_next(const char *payload, size_t len, size_t *pos, const char **pkt,
                      size_t *pkt_len)
{
    if (*pos > len || (*pos == len && (len == 0 || payload[len - 1] != EIO_SEPARATOR)))
        return false;
    const char *start = payload + *pos;
    const char *sep = memchr(start, EIO_SEPARATOR, len - *pos);
    size_t n = sep ? (size_t)(sep - start) : len - *pos;
    *pkt = start;
    *pkt_len = n;
    *pos += n + 1; /* past the separator; past len at the end */
    return true;
}

static int fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return -1;
}

/* "<digits>-" after a binary type: the attachment count, skipped. */
static int skip_attachments(const char *s, size_t len, size_t *i, char *err, size_t errlen)
{
    size_t start = *i;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9')
        (*i)++;
    if (*i == start || *i >= len || s[*i] != '-' || *i - start > 6)
        return fail(err, errlen, "binary packet without its attachment count");
    (*i)++;
    return 0;
}

/* "/nsp," — the namespace, up to its comma. */
static int read_nsp(const char *s, size_t len, size_t *i, struct sio_packet *p, char *err,
                    size_t errlen)
{
    if (*i >= len || s[*i] != '/')
        return 0;
    const char *comma = memchr(s + *i, ',', len - *i);
    size_t n = comma ? (size_t)(comma - (s + *i)) : len - *i;
    if (n >= sizeof p->nsp)
        return fail(err, errlen, "namespace too long");
    memcpy(p->nsp, s + *i, n);
    p->nsp[n] = '\0';
    *i += comma ? n + 1 : n;
    return 0;
}

static int read_ack_id(const char *s, size_t len, size_t *i, struct sio_packet *p, char *err,
                       size_t errlen)
{
    if (*i >= len || s[*i] < '0' || s[*i] > '9')
        return 0;
    size_t start = *i;
    long long id = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (*i - start == SIO_ACK_ID_DIGITS)
            return fail(err, errlen, "acknowledgement id out of range");
        id = id * 10 + (s[*i] - '0');
        (*i)++;
    }
    p->ack_id = id;
    return 0;
}

static int check_data(struct sio_packet *p, char *err, size_t errlen)
{
    bool needs_array = p->type == SIO_EVENT || p->type == SIO_BINARY_EVENT;
    if (needs_array && (!json_is_array(p->data) || json_array_size(p->data) == 0 ||
                        !json_is_string(json_array_get(p->data, 0))))
        return fail(err, errlen, "an event must be an array starting with its name");
    if ((p->type == SIO_ACK || p->type == SIO_BINARY_ACK) && !json_is_array(p->data))
        return fail(err, errlen, "an acknowledgement must be an array");
    if (p->type == SIO_CONNECT && p->data && !json_is_object(p->data))
        return fail(err, errlen, "connect data must be an object");
    return 0;
}

int sio_packet_parse(const char *s, size_t len, struct sio_packet *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->ack_id = -1;
    strcpy(p->nsp, "/");
    if (len == 0 || s[0] < '0' || s[0] > '6')
        return fail(err, errlen, "unknown Socket.IO packet type");
    p->type = (enum sio_type)(s[0] - '0');
    size_t i = 1;
    if ((p->type == SIO_BINARY_EVENT || p->type == SIO_BINARY_ACK) &&
        skip_attachments(s, len, &i, err, errlen) != 0)
        return -1;
    if (read_nsp(s, len, &i, p, err, errlen) != 0 || read_ack_id(s, len, &i, p, err, errlen) != 0)
        return -1;
    if (i < len) {
        json_error_t jerr;
        p->data = json_loadb(s + i, len - i, JSON_DECODE_ANY, &jerr);
        if (!p->data) {
            snprintf(err, errlen, "packet data is not JSON: %s", jerr.text);
            return -1;
        }
    }
    return check_data(p, err, errlen);
}

void sio_packet_clear(struct sio_packet *p)
{
    json_decref(p->data);
    p->data = NULL;
}

/* The event name as the inside of a JSON string (RFC 8259 §7): '"', '\\'
 * and control characters escaped, other bytes as they are.  Writes into out
 * when it is not NULL (room for the result and a NUL); returns the length. */
static size_t escape_name(const char *event, char *out)
{
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)event; *c; c++) {
        if (*c == '"' || *c == '\\') {
            if (out) {
                out[n] = '\\';
                out[n + 1] = (char)*c;
            }
            n += 2;
        } else if (*c < 0x20) {
            if (out)
                snprintf(out + n, 7, "\\u%04x", *c);
            n += 6;
        } else {
            if (out)
                out[n] = (char)*c;
            n++;
        }
    }
    return n;
}

/* Built with memcpy, not snprintf: an event name needing escapes must not
 * break the JSON, and data may be longer than an int. */
char *sio_event_encode(const char *event, const char *data, size_t len, size_t *out_len)
{
    bool args = data && len > 0; /* no JSON text: an event without arguments */
    size_t cap = sizeof "42[\"\",]" + escape_name(event, NULL) + (args ? len : 0);
    char *buf = xmalloc(cap);
    size_t n = sizeof "42[\"" - 1;
    memcpy(buf, "42[\"", n);
    n += escape_name(event, buf + n);
    buf[n++] = '"';
    if (args) {
        buf[n++] = ',';
        memcpy(buf + n, data, len);
        n += len;
    }
    buf[n++] = ']';
    buf[n] = '\0';
    *out_len = n;
    return buf;
}

char *sio_ack_encode(long long ack_id, const char *data)
{
    size_t cap = strlen(data) + 32;
    char *buf = xmalloc(cap);
    snprintf(buf, cap, "43%lld[%s]", ack_id, data);
    return buf;
}
