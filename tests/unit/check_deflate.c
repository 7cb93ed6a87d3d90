#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "deflate.h"

#define ZLIB_CONST
#include <event2/buffer.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

/* The start of every response: both no_context_takeover parameters. */
#define BASE "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

/* ---- negotiation ------------------------------------------------------ */

struct negotiation {
    const char *offers;
    const char *response; /* NULL: declined, no extension */
    int client_bits;      /* agreed client_max_window_bits */
};

static const struct negotiation negotiations[] = {
    /* Each parameter alone. */
    {"permessage-deflate", BASE, 15},
    {"permessage-deflate; server_no_context_takeover", BASE, 15},
    {"permessage-deflate; client_no_context_takeover", BASE, 15},
    {"permessage-deflate; server_max_window_bits=15", BASE "; server_max_window_bits=15", 15},
    {"permessage-deflate; client_max_window_bits", BASE "; client_max_window_bits=9", 9},
    {"permessage-deflate; client_max_window_bits=12", BASE "; client_max_window_bits=9", 9},
    {"permessage-deflate; client_max_window_bits=8", BASE "; client_max_window_bits=8", 8},
    {"permessage-deflate;server_no_context_takeover;client_no_context_takeover;"
     "server_max_window_bits=15;client_max_window_bits=15",
     BASE "; server_max_window_bits=15; client_max_window_bits=9", 9},
    /* Quoted values, escapes, white space, case. */
    {"permessage-deflate; client_max_window_bits=\"10\"", BASE "; client_max_window_bits=9", 9},
    {"permessage-deflate; server_max_window_bits=\"1\\5\"", BASE "; server_max_window_bits=15", 15},
    {"permessage-deflate ;\tclient_max_window_bits = 10 ", BASE "; client_max_window_bits=9", 9},
    {"PerMessage-Deflate; Client_Max_Window_Bits", BASE "; client_max_window_bits=9", 9},
    /* Window bits bounds: 8..15, no leading zero, value required for the server's. */
    {"permessage-deflate; client_max_window_bits=7", NULL, 0},
    {"permessage-deflate; client_max_window_bits=16", NULL, 0},
    {"permessage-deflate; client_max_window_bits=08", NULL, 0},
    {"permessage-deflate; client_max_window_bits=", NULL, 0},
    {"permessage-deflate; client_max_window_bits=\"\"", NULL, 0},
    {"permessage-deflate; client_max_window_bits=\"10", NULL, 0},
    {"permessage-deflate; client_max_window_bits=\"1 0\"", NULL, 0},
    {"permessage-deflate; server_max_window_bits=16", NULL, 0},
    {"permessage-deflate; server_max_window_bits", NULL, 0},
    {"permessage-deflate; server_max_window_bits=x", NULL, 0},
    /* A smaller server window than the shared compressor's is unsupported. */
    {"permessage-deflate; server_max_window_bits=8", NULL, 0},
    /* Every server window but 8 fits the shared 2^9-byte stream. */
    {"permessage-deflate; server_max_window_bits=14", BASE "; server_max_window_bits=14", 15},
    {"permessage-deflate; server_max_window_bits=9", BASE "; server_max_window_bits=9", 15},
    /* Duplicates, unknown parameters, values where none is allowed. */
    {"permessage-deflate; server_no_context_takeover; server_no_context_takeover", NULL, 0},
    {"permessage-deflate; client_max_window_bits; client_max_window_bits=10", NULL, 0},
    {"permessage-deflate; server_max_window_bits=15; server_max_window_bits=15", NULL, 0},
    {"permessage-deflate; mystery", NULL, 0},
    {"permessage-deflate; mystery=1", NULL, 0},
    {"permessage-deflate; server_no_context_takeover=1", NULL, 0},
    {"permessage-deflate; client_no_context_takeover=\"\"", NULL, 0},
    /* Broken syntax. */
    {"permessage-deflate; ; client_max_window_bits", NULL, 0},
    {"permessage-deflate client_max_window_bits", NULL, 0},
    {"permessage-deflate;", NULL, 0},
    {"permessage-deflater", NULL, 0},
    /* Empty or foreign headers. */
    {"", NULL, 0},
    {"   ", NULL, 0},
    {" , ,", NULL, 0},
    {"x-webkit-deflate-frame", NULL, 0},
    /* Several offers: the first acceptable one wins. */
    {"permessage-deflate; mystery, permessage-deflate; client_max_window_bits",
     BASE "; client_max_window_bits=9", 9},
    {"permessage-deflate; server_max_window_bits=8, permessage-deflate", BASE, 15},
    {"permessage-deflate; client_max_window_bits=99,permessage-deflate;client_max_window_bits=8",
     BASE "; client_max_window_bits=8", 8},
    {"x-webkit-deflate-frame, permessage-deflate", BASE, 15},
    {"foo; bar=\"a,b\", permessage-deflate", BASE, 15},
    {"permessage-deflate, permessage-deflate; client_max_window_bits", BASE, 15},
    {"permessage-deflate; server_max_window_bits=8, permessage-deflate; mystery", NULL, 0},
};

START_TEST(negotiation_table)
{
    const struct negotiation *t = &negotiations[_i];
    struct deflate_params p;
    char response[DEFLATE_RESPONSE_MAX];
    int rc = deflate_negotiate(t->offers, &p, response);
    if (!t->response) {
        ck_assert_msg(rc == CP_ENOENT, "accepted: %s", t->offers);
        return;
    }
    ck_assert_msg(rc == CP_OK, "declined: %s", t->offers);
    ck_assert_str_eq(response, t->response);
    ck_assert(p.server_no_context_takeover);
    ck_assert(p.client_no_context_takeover);
    const char *bits = strstr(t->response, "server_max_window_bits=");
    ck_assert_uint_eq(p.server_max_window_bits, bits ? (unsigned)atoi(bits + 23) : 15u);
    ck_assert_int_eq(p.client_max_window_bits, t->client_bits);
}
END_TEST

START_TEST(no_header_means_no_extension)
{
    struct deflate_params p;
    char response[DEFLATE_RESPONSE_MAX];
    ck_assert_int_eq(deflate_negotiate(NULL, &p, response), CP_ENOENT);
}
END_TEST

START_TEST(longest_response_fits)
{
    ck_assert_uint_lt(strlen(BASE "; server_max_window_bits=15; client_max_window_bits=15"),
                      DEFLATE_RESPONSE_MAX);
}
END_TEST

/* ---- compression and inflation ---------------------------------------- */

static const struct deflate_params no_takeover = {true, true, 15, 15};
static const struct deflate_params takeover = {true, false, 15, 15};

/* Inflate in with a fresh inflater and limit max; returns the code, *out
 * (malloc'd, max bytes) holds the result. */
static int inflate_once(const struct deflate_params *params, const void *in, size_t len, size_t max,
                        uint8_t **out, size_t *out_len)
{
    struct deflate_inflater *f = deflate_inflater_new(params);
    *out = malloc(max ? max : 1);
    int rc = deflate_inflate(f, in, len, *out, max, out_len);
    deflate_inflater_free(f);
    return rc;
}

/* Compress len bytes into a malloc'd buffer of the bound; *n: its length. */
static uint8_t *compress_new(struct deflate_ctx *c, const void *in, size_t len, size_t *n)
{
    uint8_t *out = malloc(deflate_compress_bound(len));
    ck_assert_int_eq(deflate_compress(c, in, len, out, deflate_compress_bound(len), n), CP_OK);
    return out;
}

static void assert_inflates_to(const struct deflate_params *params, const char *in, size_t len,
                               const char *want)
{
    uint8_t *out;
    size_t n;
    ck_assert_int_eq(inflate_once(params, in, len, 1024, &out, &n), CP_OK);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert(memcmp(out, want, n) == 0);
    free(out);
}

/* RFC 7692 §7.2.3.1. */
static const char hello[] = "\xf2\x48\xcd\xc9\xc9\x07\x00";

START_TEST(compresses_hello_as_in_rfc_7692)
{
    struct deflate_ctx *c = deflate_ctx_new();
    uint8_t out[64];
    size_t n;
    /* The same bytes every time: no context is carried between messages. */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(deflate_compress(c, (const uint8_t *)"Hello", 5, out, sizeof out, &n),
                         CP_OK);
        ck_assert_uint_eq(n, 7);
        ck_assert(memcmp(out, hello, 7) == 0);
    }
    deflate_ctx_free(c);
    deflate_ctx_free(NULL);
}
END_TEST

/* Payloads from RFC 7692 §7.2.3, and two empty messages. */
static const struct {
    const char *payload;
    size_t len;
} examples[] = {
    {"\xf2\x48\xcd\xc9\xc9\x07\x00", 7},                          /* §7.2.3.1: "Hello" */
    {"\x00\x05\x00\xfa\xffHello\x00", 11},                        /* §7.2.3.3: a stored block */
    {"\xf3\x48\xcd\xc9\xc9\x07\x00\x00", 8},                      /* §7.2.3.4: BFINAL set */
    {"\xf2\x48\x05\x00\x00\x00\xff\xff\xca\xc9\xc9\x07\x00", 13}, /* §7.2.3.5: two blocks */
    {"\x00", 1},     /* empty: an empty stored block, tail removed */
    {"\x02\x00", 2}, /* empty: an empty fixed-Huffman block */
};

START_TEST(inflates_the_rfc_7692_examples)
{
    assert_inflates_to(&no_takeover, examples[_i].payload, examples[_i].len,
                       examples[_i].len > 2 ? "Hello" : "");
}
END_TEST

START_TEST(shared_window_only_with_context_takeover)
{
    /* RFC 7692 §7.2.3.2: the second "Hello" refers to the first. */
    static const char second[] = "\xf2\x00\x11\x00\x00";
    uint8_t out[64];
    size_t n;
    struct deflate_inflater *f = deflate_inflater_new(&takeover);
    for (int i = 0; i < 2; i++) {
        const char *in = i ? second : hello;
        ck_assert_int_eq(deflate_inflate(f, (const uint8_t *)in, i ? 5 : 7, out, sizeof out, &n),
                         CP_OK);
        ck_assert_uint_eq(n, 5);
        ck_assert(memcmp(out, "Hello", 5) == 0);
    }
    deflate_inflater_free(f);
    /* With client_no_context_takeover the window is gone: a bad distance. */
    f = deflate_inflater_new(&no_takeover);
    ck_assert_int_eq(deflate_inflate(f, (const uint8_t *)hello, 7, out, sizeof out, &n), CP_OK);
    ck_assert_int_eq(deflate_inflate(f, (const uint8_t *)second, 5, out, sizeof out, &n),
                     CP_EPROTO);
    deflate_inflater_free(f);
}
END_TEST

/* Raw DEFLATE of in with zlib itself: flush Z_FINISH (BFINAL) or
 * Z_SYNC_FLUSH (tail stripped), from a window primed with dict. */
static size_t zlib_raw(const char *in, const char *dict, int flush, uint8_t *out, size_t cap)
{
    z_stream z = {0};
    ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    if (dict)
        deflateSetDictionary(&z, (const Bytef *)dict, (uInt)strlen(dict));
    z.next_in = (const Bytef *)in;
    z.avail_in = (uInt)strlen(in);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, flush);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return flush == Z_SYNC_FLUSH ? n - 4 : n;
}

START_TEST(window_survives_a_final_block_with_takeover)
{
    /* §7.2.3.4 lets a sender end a message with BFINAL; with context
     * takeover the next message still refers to its window. */
    static const char text[] = "the quick brown fox jumps over the lazy dog";
    uint8_t first[128], second[128], out[128];
    size_t n1 = zlib_raw(text, NULL, Z_FINISH, first, sizeof first);
    size_t n2 = zlib_raw(text, text, Z_SYNC_FLUSH, second, sizeof second);
    ck_assert_uint_lt(n2, 10); /* a back reference, not the text again */
    size_t n;
    struct deflate_inflater *f = deflate_inflater_new(&takeover);
    ck_assert_int_eq(deflate_inflate(f, first, n1, out, sizeof out, &n), CP_OK);
    ck_assert_uint_eq(n, strlen(text));
    ck_assert_int_eq(deflate_inflate(f, second, n2, out, sizeof out, &n), CP_OK);
    ck_assert_uint_eq(n, strlen(text));
    ck_assert(memcmp(out, text, n) == 0);
    deflate_inflater_free(f);
}
END_TEST

START_TEST(round_trips_text_and_incompressible_data)
{
    static const size_t sizes[] = {0, 1, 5, 300, 16383, 16384, 70000, 300000};
    struct deflate_ctx *c = deflate_ctx_new();
    uint8_t *data = malloc(300000);
    srand(7692);
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < 300000; i++)
            data[i] = k ? (uint8_t)rand() : (uint8_t) "{\"symbol\":\"BTC\",\"price\":1}"[i % 26];
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t len = sizes[s], clen, n;
            uint8_t *z = compress_new(c, data, len, &clen);
            if (k == 0 && len > 1000)
                ck_assert_uint_lt(clen, len / 10);
            uint8_t *out;
            ck_assert_int_eq(inflate_once(&no_takeover, z, clen, len, &out, &n), CP_OK);
            ck_assert_uint_eq(n, len);
            ck_assert(memcmp(out, data, len) == 0);
            free(out);
            free(z);
        }
    }
    free(data);
    deflate_ctx_free(c);
}
END_TEST

START_TEST(compress_reports_a_short_buffer)
{
    struct deflate_ctx *c = deflate_ctx_new();
    uint8_t out[4];
    size_t n;
    ck_assert_int_eq(deflate_compress(c, (const uint8_t *)"Hello", 5, out, sizeof out, &n),
                     CP_ETOOBIG);
    /* The context is still good afterwards. */
    uint8_t ok[64];
    ck_assert_int_eq(deflate_compress(c, (const uint8_t *)"Hello", 5, ok, sizeof ok, &n), CP_OK);
    ck_assert(memcmp(ok, hello, 7) == 0);
    deflate_ctx_free(c);
}
END_TEST

START_TEST(output_limit_is_exact)
{
    static const char text[] = "abcabcabcabcabcabcabcabcabcabcabcabc";
    uint8_t z[64], *out;
    size_t zlen = zlib_raw(text, NULL, Z_SYNC_FLUSH, z, sizeof z), n;
    size_t len = strlen(text);
    ck_assert_int_eq(inflate_once(&no_takeover, z, zlen, len, &out, &n), CP_OK);
    ck_assert_uint_eq(n, len);
    free(out);
    ck_assert_int_eq(inflate_once(&no_takeover, z, zlen, len - 1, &out, &n), CP_ETOOBIG);
    ck_assert_uint_eq(n, len - 1);
    free(out);
}
END_TEST

START_TEST(decompression_bomb_is_too_big_and_memory_stays_bounded)
{
    enum { BOMB = 10 * 1024 * 1024, LIMIT = 64 * 1024, GUARD = 64 };
    struct deflate_ctx *c = deflate_ctx_new();
    uint8_t *zeros = calloc(1, BOMB);
    size_t zlen;
    uint8_t *z = compress_new(c, zeros, BOMB, &zlen);
    free(zeros);
    ck_assert_uint_lt(zlen, 20 * 1024); /* ~1000:1 */
    /* out has guard bytes past the limit that must stay untouched. */
    uint8_t *out = malloc(LIMIT + GUARD);
    memset(out, 0xA5, LIMIT + GUARD);
    for (int i = 0; i < 2; i++) {
        struct deflate_inflater *f = deflate_inflater_new(i ? &takeover : &no_takeover);
        size_t n;
        ck_assert_int_eq(deflate_inflate(f, z, zlen, out, LIMIT, &n), CP_ETOOBIG);
        ck_assert_uint_eq(n, LIMIT);
        for (int g = 0; g < GUARD; g++)
            ck_assert_uint_eq(out[LIMIT + g], 0xA5);
        /* zlib's state and a 32 KiB window, nothing in proportion to 10 MB. */
        ck_assert_uint_gt(deflate_inflater_peak(f), 32 * 1024);
        ck_assert_uint_lt(deflate_inflater_peak(f), 48 * 1024);
        /* The inflater starts afresh after the error. */
        ck_assert_int_eq(deflate_inflate(f, (const uint8_t *)hello, 7, out, LIMIT, &n), CP_OK);
        ck_assert_uint_eq(n, 5);
        deflate_inflater_free(f);
    }
    free(out);
    free(z);
    deflate_ctx_free(c);
}
END_TEST

START_TEST(small_client_window_bounds_inflater_memory)
{
    struct deflate_params p = {true, false, 15, 9};
    struct deflate_inflater *f = deflate_inflater_new(&p);
    uint8_t out[64];
    size_t n;
    ck_assert_int_eq(deflate_inflate(f, (const uint8_t *)hello, 7, out, sizeof out, &n), CP_OK);
    ck_assert_uint_lt(deflate_inflater_peak(f), 8 * 1024 + 512);
    deflate_inflater_free(f);
    deflate_inflater_free(NULL);
}
END_TEST

START_TEST(corrupt_data_is_a_protocol_error)
{
    uint8_t *out;
    size_t n;
    /* BTYPE 11 is reserved (RFC 1951 §3.2.3). */
    ck_assert_int_eq(inflate_once(&no_takeover, "\x06", 1, 1024, &out, &n), CP_EPROTO);
    free(out);
    /* A stored block whose NLEN is not the complement of LEN. */
    ck_assert_int_eq(inflate_once(&no_takeover, "\x00\x05\x00\x00\x00Hello", 10, 1024, &out, &n),
                     CP_EPROTO);
    free(out);
    /* A back reference before the start of the window. */
    ck_assert_int_eq(inflate_once(&takeover, "\xf2\x00\x11\x00\x00", 5, 1024, &out, &n), CP_EPROTO);
    free(out);
    ck_assert_int_eq(inflate_once(&no_takeover, "\xff\xff\xff\xff", 4, 1024, &out, &n), CP_EPROTO);
    free(out);
}
END_TEST

/* ---- the removed tail (RFC 7692 §7.2.1) -------------------------------- */

/* What a sync flush ends with and §7.2.1 has the sender remove.  Clients
 * such as python-websockets and Node's ws accept a message that keeps it (an
 * extra empty block), so only these tests and the browser one notice if the
 * gateway stops removing it. */
#include "deflate_assert.h"

/* Messages of every kind: empty, short, a price, long and repetitive, long
 * and incompressible, and one made of the tail's own bytes. */
static uint8_t *message(int i, size_t *len)
{
    static const char price[] =
        "{\"event\":\"price-update\",\"data\":{\"symbol\":\"BTC\",\"price\":97123.45,"
        "\"id\":\"1764442000123-0\",\"ts\":1764442000123}}";
    static const size_t lens[] = {0, 5, sizeof price - 1, 70000, 300000, 4096};
    *len = lens[i];
    uint8_t *m = malloc(*len + 1);
    srand(7692 + i);
    for (size_t k = 0; k < *len; k++) {
        switch (i) {
        case 1: m[k] = (uint8_t) "Hello"[k]; break;
        case 2: m[k] = (uint8_t)price[k]; break;
        case 3: m[k] = (uint8_t)price[k % (sizeof price - 1)]; break;
        case 4: m[k] = (uint8_t)rand(); break;
        default: m[k] = sync_tail[k % 4]; break;
        }
    }
    return m;
}
#define MESSAGES 6

START_TEST(compressed_message_ends_without_the_sync_tail)
{
    struct deflate_ctx *c = deflate_ctx_new();
    size_t len, clen;
    uint8_t *in = message(_i, &len);
    uint8_t *z = compress_new(c, in, len, &clen);
    z_stream inf;
    raw_inflater_init(&inf);
    assert_payload_inflates_to(&inf, z, clen, in, len);
    inflateEnd(&inf);
    free(z);
    free(in);
    deflate_ctx_free(c);
}
END_TEST

/* One compressor for every message of a loop, and on the other side one
 * inflater kept across messages (a client that keeps its window although the
 * server said server_no_context_takeover): each message still ends without
 * the tail, inflates to itself, and the same message compresses to the same
 * bytes each time. */
START_TEST(messages_of_one_context_end_without_the_sync_tail)
{
    static const int order[] = {2, 2, 1, 3, 0, 2, 5, 4, 2, 3};
    struct deflate_ctx *c = deflate_ctx_new();
    z_stream inf;
    raw_inflater_init(&inf);
    uint8_t *first = NULL;
    size_t first_len = 0;
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        size_t len, clen;
        uint8_t *in = message(order[k], &len);
        uint8_t *z = compress_new(c, in, len, &clen);
        assert_payload_inflates_to(&inf, z, clen, in, len);
        if (order[k] == 2 && !first) {
            first = z;
            first_len = clen;
        } else {
            if (order[k] == 2)
                ck_assert(clen == first_len && memcmp(z, first, clen) == 0);
            free(z);
        }
        free(in);
    }
    free(first);
    inflateEnd(&inf);
    deflate_ctx_free(c);
}
END_TEST

static Suite *deflate_suite(void)
{
    Suite *s = suite_create("deflate");
    TCase *tc = tcase_create("rfc7692_negotiation");
    tcase_add_loop_test(tc, negotiation_table, 0,
                        (int)(sizeof negotiations / sizeof negotiations[0]));
    tcase_add_test(tc, no_header_means_no_extension);
    tcase_add_test(tc, longest_response_fits);
    suite_add_tcase(s, tc);
    tc = tcase_create("rfc7692_payload");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, compresses_hello_as_in_rfc_7692);
    tcase_add_loop_test(tc, inflates_the_rfc_7692_examples, 0,
                        (int)(sizeof examples / sizeof examples[0]));
    tcase_add_test(tc, shared_window_only_with_context_takeover);
    tcase_add_test(tc, window_survives_a_final_block_with_takeover);
    tcase_add_test(tc, round_trips_text_and_incompressible_data);
    tcase_add_test(tc, compress_reports_a_short_buffer);
    tcase_add_test(tc, output_limit_is_exact);
    tcase_add_test(tc, decompression_bomb_is_too_big_and_memory_stays_bounded);
    tcase_add_test(tc, small_client_window_bounds_inflater_memory);
    tcase_add_test(tc, corrupt_data_is_a_protocol_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("rfc7692_tail_removed");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, compressed_message_ends_without_the_sync_tail, 0, MESSAGES);
    tcase_add_test(tc, messages_of_one_context_end_without_the_sync_tail);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(deflate_suite)
