#include "config.h"

#include "reply.h"

#include "xalloc.h"

#include <stdio.h>
#include <string.h>

const char *reply_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    }
    return "Unknown";
}

char *reply_format(int status, const char *allow, const char *body, bool head, size_t *len)
{
    char headers[512];
    size_t body_len = strlen(body);
    int n = snprintf(headers, sizeof headers,
                     "Status: %d %s\r\n"
                     "Content-Type: application/json\r\n"
                     "Cache-Control: no-store\r\n"
                     "Content-Length: %zu\r\n"
                     "%s%s%s"
                     "\r\n",
                     status, reply_reason(status), body_len, allow ? "Allow: " : "",
                     allow ? allow : "", allow ? "\r\n" : "");
    size_t hlen = n > 0 && (size_t)n < sizeof headers ? (size_t)n : 0;
    size_t blen = head ? 0 : body_len;
    char *out = xmalloc(hlen + blen + 1);
    memcpy(out, headers, hlen);
    memcpy(out + hlen, body, blen);
    out[hlen + blen] = '\0';
    *len = hlen + blen;
    return out;
}

char *reply_format_cached(int status, const char *body, size_t body_len, const char *cache_control,
                          const char *etag, bool head, size_t *len)
{
    char headers[512], entity[96] = "";
    if (status != 304)
        snprintf(entity, sizeof entity, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                 body_len);
    int n = snprintf(headers, sizeof headers, "Status: %d %s\r\n%sCache-Control: %s\r\n%s%s%s\r\n",
                     status, reply_reason(status), entity, cache_control, etag ? "ETag: " : "",
                     etag ? etag : "", etag ? "\r\n" : "");
    size_t hlen = n > 0 && (size_t)n < sizeof headers ? (size_t)n : 0;
    size_t blen = head || status == 304 ? 0 : body_len;
    char *out = xmalloc(hlen + blen + 1);
    memcpy(out, headers, hlen);
    memcpy(out + hlen, body, blen);
    out[hlen + blen] = '\0';
    *len = hlen + blen;
    return out;
}

char *reply_json(const json_t *obj)
{
    return obj ? json_dumps(obj, REPLY_JSON_FLAGS) : NULL;
}

char *reply_error_body(const char *code, const char *message)
{
    json_t *obj = json_pack("{s:s, s:s}", "error", code, "message", message);
    char *body = reply_json(obj);
    json_decref(obj);
    return body ? body : xstrdup("{\"error\":\"internal\"}");
}
