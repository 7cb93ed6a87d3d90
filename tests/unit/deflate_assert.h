/* deflate_assert: checks shared by the tests of wsproto/deflate.c and
 * gateway/msg.c on permessage-deflate payloads (RFC 7692 §7.2.1): a payload
 * sent without the 00 00 ff ff tail inflates, tail put back, to the text. */
#ifndef CP_TEST_DEFLATE_ASSERT_H
#define CP_TEST_DEFLATE_ASSERT_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const uint8_t sync_tail[4] = {0x00, 0x00, 0xff, 0xff};

static inline bool ends_with_sync_tail(const uint8_t *z, size_t n)
{
    return n >= 4 && memcmp(z + n - 4, sync_tail, 4) == 0;
}

static inline void raw_inflater_init(z_stream *z)
{
    memset(z, 0, sizeof *z);
    ck_assert_int_eq(inflateInit2(z, -15), Z_OK);
}

/* Inflate one message's payload with the tail appended again (§7.2.2), as a
 * client does, with zlib's own raw inflater z (fresh, or kept across
 * messages like a client's decompressobj), and check it gives want. */
static inline void assert_payload_inflates_to(z_stream *z, const uint8_t *payload, size_t n,
                                              const uint8_t *want, size_t want_len)
{
    ck_assert_msg(!ends_with_sync_tail(payload, n), "%zu-byte payload ends with 00 00 ff ff", n);
    uint8_t *in = malloc(n + 4), *out = malloc(want_len + 1);
    memcpy(in, payload, n);
    memcpy(in + n, sync_tail, 4);
    z->next_in = in;
    z->avail_in = (uInt)(n + 4);
    z->next_out = out;
    z->avail_out = (uInt)(want_len + 1);
    /* Z_OK, not Z_STREAM_END: no BFINAL block, which would end the stream of
     * a client that keeps one inflater for every message. */
    ck_assert_int_eq(inflate(z, Z_SYNC_FLUSH), Z_OK);
    ck_assert_uint_eq(z->avail_in, 0);
    ck_assert_uint_eq(want_len + 1 - z->avail_out, want_len);
    ck_assert(memcmp(out, want, want_len) == 0);
    free(in);
    free(out);
}

#endif
