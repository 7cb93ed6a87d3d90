/* wsclient_tls: the TLS side of wsclient — the client context, one session
 * per connection with the host checks of RFC 6125 and SNI, and the reason a
 * TLS connection failed, from OpenSSL's error queue.  See wsclient_tls.h. */
#include "config.h"

#include "wsclient_tls.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/socket.h>

const char *wsclient_tls_error_text(char *buf, size_t cap)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e)
        return "unknown error";
    const char *r = ERR_reason_error_string(e);
    if (r)
        return r;
    ERR_error_string_n(e, buf, cap);
    return buf;
}

struct ssl_ctx_st *wsclient_tls_new(const char *ca_file, char *err, size_t errlen)
{
    char buf[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "TLS: %s", wsclient_tls_error_text(buf, sizeof buf));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        snprintf(err, errlen, "TLS: the system's CA certificates: %s",
                 wsclient_tls_error_text(buf, sizeof buf));
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (ca_file && *ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        snprintf(err, errlen, "TLS: CA file %s: %s", ca_file,
                 wsclient_tls_error_text(buf, sizeof buf));
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void wsclient_tls_free(struct ssl_ctx_st *tls)
{
    SSL_CTX_free(tls);
}

/* True when host is an IPv4 or IPv6 address rather than a name. */
static bool is_address(const char *host)
{
    struct in6_addr a;
    return evutil_inet_pton(AF_INET, host, &a) == 1 || evutil_inet_pton(AF_INET6, host, &a) == 1;
}

SSL *wsclient_tls_session(struct ssl_ctx_st *tls, const char *host)
{
    SSL *ssl = SSL_new(tls);
    if (!ssl)
        return NULL;
    bool ok;
    if (is_address(host)) {
        ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    } else {
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        ok = SSL_set_tlsext_host_name(ssl, host) == 1 && SSL_set1_host(ssl, host) == 1;
    }
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

bool wsclient_tls_failure(struct bufferevent *bev, char *out, size_t cap)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    if (!ssl)
        return false;
    /* libevent queues SSL_get_error()'s code (library 0) before OpenSSL's
     * own errors: skip it; SSL_ERROR_SYSCALL alone is the socket's failure,
     * for the caller to read in errno. */
    unsigned long first = 0, e;
    while ((e = bufferevent_get_openssl_error(bev)))
        if (!first && ERR_GET_LIB(e) != 0)
            first = e;
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
        snprintf(out, cap, "TLS: certificate verify failed: %s",
                 X509_verify_cert_error_string(verify));
        return true;
    }
    if (!first)
        return false;
    char buf[160];
    const char *r = ERR_reason_error_string(first);
    if (!r) {
        ERR_error_string_n(first, buf, sizeof buf);
        r = buf;
    }
    snprintf(out, cap, "TLS: %s", r);
    return true;
}
