#include "config.h"

#include "check_main.h"
#include "cp_error.h"
#include "ws.h"

#include <string.h>

/* Build a masked client frame into out; returns its length. */
static size_t client_frame(uint8_t *out, uint8_t b0, const char *payload, size_t len)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t h = 0;
    out[h++] = b0;
    if (len < 126) {
        out[h++] = 0x80 | (uint8_t)len;
    } else if (len <= 0xFFFF) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    memcpy(out + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        out[h + i] = (uint8_t)payload[i] ^ mask[i % 4];
    return h + len;
}

/* Feed everything; return the first non-EAGAIN result. */
static int feed_all(struct ws_parser *p, const uint8_t *data, size_t len, struct ws_message *m,
                    size_t *used_total)
{
    size_t off = 0;
    while (off < len) {
        size_t used;
        int rc = ws_parser_feed(p, data + off, len - off, &used, m);
        off += used;
        if (rc != CP_EAGAIN) {
            *used_total = off;
            return rc;
        }
    }
    *used_total = off;
    return CP_EAGAIN;
}

START_TEST(accept_key_matches_rfc_example)
{
    char out[WS_ACCEPT_LEN + 1];
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out); /* RFC 6455 §1.3 */
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /* The digest context is kept between calls: each starts afresh. */
    ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out); /* RFC 6455 §11.3.3's example */
    ck_assert_str_eq(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
    ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
END_TEST

START_TEST(key_validation_requires_16_bytes_of_base64)
{
    ck_assert(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
    ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQ="));
    ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZ!=="));
    ck_assert(!ws_key_valid("dGhlIHNhbXBsZSBub25jZR=="));
    ck_assert(!ws_key_valid(""));
}
END_TEST

START_TEST(header_uses_7_16_and_64_bit_lengths)
{
    uint8_t h[WS_HEADER_MAX];
    ck_assert_uint_eq(ws_frame_header(h, WS_OP_TEXT, true, 125), 2);
    ck_assert_uint_eq(h[0], 0x81);
    ck_assert_uint_eq(h[1], 125);
    ck_assert_uint_eq(ws_frame_header(h, WS_OP_TEXT, true, 126), 4);
    ck_assert_uint_eq(h[1], 126);
    ck_assert_uint_eq(h[2] << 8 | h[3], 126);
    ck_assert_uint_eq(ws_frame_header(h, WS_OP_BINARY, false, 70000), 10);
    ck_assert_uint_eq(h[0], 0x02);
    ck_assert_uint_eq(h[1], 127);
    ck_assert_uint_eq((uint32_t)h[6] << 24 | h[7] << 16 | h[8] << 8 | h[9], 70000);
}
END_TEST

START_TEST(parses_masked_text_one_byte_at_a_time)
{
    uint8_t buf[64];
    size_t n = client_frame(buf, 0x81, "Hello", 5);
    struct ws_parser *p = ws_parser_new(1024);
    struct ws_message m;
    int rc = CP_EAGAIN;
    for (size_t i = 0; i < n; i++) {
        size_t used;
        rc = ws_parser_feed(p, buf + i, 1, &used, &m);
        ck_assert_uint_eq(used, 1);
        if (i + 1 < n)
            ck_assert_int_eq(rc, CP_EAGAIN);
    }
    ck_assert_int_eq(rc, CP_OK);
    ck_assert_int_eq(m.opcode, WS_OP_TEXT);
    ck_assert_uint_eq(m.len, 5);
    ck_assert(memcmp(m.payload, "Hello", 5) == 0);
    ws_parser_free(p);
}
END_TEST

START_TEST(parses_16_and_64_bit_lengths)
{
    static char big[70000];
    memset(big, 'a', sizeof big);
    static uint8_t buf[70100];
    struct ws_parser *p = ws_parser_new(100000);
    struct ws_message m;
    size_t used;
    size_t n = client_frame(buf, 0x81, big, 300);
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_uint_eq(m.len, 300);
    n = client_frame(buf, 0x81, big, sizeof big);
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_uint_eq(m.len, sizeof big);
    ws_parser_free(p);
}
END_TEST

START_TEST(reassembles_fragments_with_a_ping_between)
{
    uint8_t buf[128];
    size_t n = client_frame(buf, 0x01, "Hel", 3);
    n += client_frame(buf + n, 0x89, "p", 1);
    n += client_frame(buf + n, 0x80, "lo", 2);
    struct ws_parser *p = ws_parser_new(1024);
    struct ws_message m;
    size_t used;
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_int_eq(m.opcode, WS_OP_PING);
    ck_assert_uint_eq(m.len, 1);
    size_t off = used;
    ck_assert_int_eq(feed_all(p, buf + off, n - off, &m, &used), CP_OK);
    ck_assert_int_eq(m.opcode, WS_OP_TEXT);
    ck_assert_uint_eq(m.len, 5);
    ck_assert(memcmp(m.payload, "Hello", 5) == 0);
    ws_parser_free(p);
}
END_TEST

/* Releasing the reassembly buffer between messages loses nothing, and
 * releasing it in the middle of a fragmented message keeps that message. */
START_TEST(release_between_and_inside_messages_keeps_every_byte)
{
    uint8_t buf[128];
    struct ws_parser *p = ws_parser_new(1024);
    struct ws_message m;
    size_t used;
    size_t n = client_frame(buf, 0x81, "first", 5);
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert(m.len == 5 && memcmp(m.payload, "first", 5) == 0);
    ws_parser_release(p);
    n = client_frame(buf, 0x01, "sec", 3);
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_EAGAIN);
    ws_parser_release(p); /* a message is open: keeps "sec" */
    n = client_frame(buf, 0x80, "ond", 3);
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_uint_eq(m.len, 6);
    ck_assert(memcmp(m.payload, "second", 6) == 0);
    ws_parser_release(p);
    ws_parser_release(p); /* twice in a row is harmless */
    ws_parser_free(p);
}
END_TEST

static int parse_one(const uint8_t *buf, size_t n, size_t max)
{
    struct ws_parser *p = ws_parser_new(max);
    struct ws_message m;
    size_t used;
    int rc = feed_all(p, buf, n, &m, &used);
    ws_parser_free(p);
    return rc;
}

START_TEST(rejects_unmasked_client_frame)
{
    const uint8_t frame[] = {0x81, 0x02, 'h', 'i'};
    ck_assert_int_eq(parse_one(frame, sizeof frame, 1024), CP_EPROTO);
    ck_assert_int_eq(ws_close_code_for(CP_EPROTO), 1002);
}
END_TEST

START_TEST(rejects_reserved_bits_and_opcodes)
{
    uint8_t buf[32];
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0xC1, "x", 1), 1024), CP_EPROTO);
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0x83, "x", 1), 1024), CP_EPROTO);
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0x8B, "x", 1), 1024), CP_EPROTO);
}
END_TEST

START_TEST(rejects_fragmented_or_long_control_frames)
{
    static char payload[126];
    static uint8_t buf[200];
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0x09, "x", 1), 1024), CP_EPROTO);
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0x89, payload, 126), 1024), CP_EPROTO);
}
END_TEST

START_TEST(rejects_continuation_without_start)
{
    uint8_t buf[32];
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0x80, "x", 1), 1024), CP_EPROTO);
}
END_TEST

START_TEST(message_over_limit_is_too_big)
{
    static char payload[200];
    static uint8_t buf[300];
    size_t n = client_frame(buf, 0x01, payload, 100);
    n += client_frame(buf + n, 0x80, payload, 100);
    ck_assert_int_eq(parse_one(buf, n, 150), CP_ETOOBIG);
    ck_assert_int_eq(ws_close_code_for(CP_ETOOBIG), 1009);
}
END_TEST

/* The limit is per message (RFC 6455 §10.4): two messages in one read,
 * each under it and together over it, are both taken. */
START_TEST(messages_read_together_are_limited_one_by_one)
{
    static char payload[200];
    static uint8_t buf[300];
    memset(payload, 'a', sizeof payload);
    size_t n = client_frame(buf, 0x81, payload, 100);
    n += client_frame(buf + n, 0x81, payload, 100);
    struct ws_parser *p = ws_parser_new(150);
    struct ws_message m;
    size_t used;
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_uint_eq(m.len, 100);
    size_t off = used; /* no release between: both came in one read */
    ck_assert_int_eq(feed_all(p, buf + off, n - off, &m, &used), CP_OK);
    ck_assert_uint_eq(m.len, 100);
    ck_assert_uint_eq(off + used, n);
    ws_parser_free(p);
}
END_TEST

START_TEST(invalid_utf8_across_fragments_is_rejected)
{
    uint8_t buf[64];
    /* U+20AC split across fragments is fine... */
    size_t n = client_frame(buf, 0x01, "\xE2\x82", 2);
    n += client_frame(buf + n, 0x80, "\xAC", 1);
    ck_assert_int_eq(parse_one(buf, n, 1024), CP_OK);
    /* ...a surrogate is not, nor a truncated sequence at the end. */
    n = client_frame(buf, 0x81, "\xED\xA0\x80", 3);
    ck_assert_int_eq(parse_one(buf, n, 1024), CP_EUTF8);
    n = client_frame(buf, 0x81, "ok\xE2\x82", 4);
    ck_assert_int_eq(parse_one(buf, n, 1024), CP_EUTF8);
    ck_assert_int_eq(ws_close_code_for(CP_EUTF8), 1007);
}
END_TEST

START_TEST(close_frame_code_is_validated)
{
    uint8_t buf[64];
    struct ws_parser *p = ws_parser_new(1024);
    struct ws_message m;
    size_t used;
    size_t n = client_frame(buf, 0x88,
                            "\x03\xE8"
                            "bye",
                            5);
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_int_eq(m.opcode, WS_OP_CLOSE);
    ck_assert_uint_eq(m.close_code, 1000);
    ws_parser_free(p);
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0x88, "\x03\xED", 2), 1024), CP_EPROTO);
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0x88, "\x03", 1), 1024), CP_EPROTO);
    ck_assert(!ws_close_code_valid(1005));
    ck_assert(ws_close_code_valid(4000));
}
END_TEST

START_TEST(utf8_validator_rejects_overlongs_and_out_of_range)
{
    struct ws_utf8 u = {0};
    ck_assert(!ws_utf8_feed(&u, (const uint8_t *)"\xC0\xAF", 2));
    memset(&u, 0, sizeof u);
    ck_assert(!ws_utf8_feed(&u, (const uint8_t *)"\xF4\x90\x80\x80", 4));
    memset(&u, 0, sizeof u);
    ck_assert(ws_utf8_feed(&u, (const uint8_t *)"\xF0\x9F\x98\x80", 4));
    ck_assert(ws_utf8_complete(&u));
}
END_TEST

START_TEST(utf8_scrub_replaces_only_bytes_outside_valid_sequences)
{
    char ok[] = "BTC \xC3\xA9 \xF0\x9F\x98\x80";
    ck_assert_uint_eq(ws_utf8_scrub(ok), 0);
    ck_assert_str_eq(ok, "BTC \xC3\xA9 \xF0\x9F\x98\x80");
    /* A sequence cut at the end, a stray continuation, an overlong, a byte
     * that never starts one: each bad byte becomes '?', the rest stays. */
    char cut[] = "near '\"\\\xC3";
    ck_assert_uint_eq(ws_utf8_scrub(cut), 1);
    ck_assert_str_eq(cut, "near '\"\\?");
    char mixed[] = "a\x80"
                   "b\xC0\xAF"
                   "c\xFF\xE2\x82\xAC";
    ck_assert_uint_eq(ws_utf8_scrub(mixed), 4);
    ck_assert_str_eq(mixed, "a?b??c?\xE2\x82\xAC");
    char lead_then_ascii[] = "\xE2\x82x";
    ck_assert_uint_eq(ws_utf8_scrub(lead_then_ascii), 2);
    ck_assert_str_eq(lead_then_ascii, "??x");
}
END_TEST

START_TEST(header_sets_rsv1_for_compressed_frames)
{
    uint8_t h[WS_HEADER_MAX];
    ck_assert_uint_eq(ws_frame_header_ext(h, WS_OP_TEXT, true, true, 7), 2);
    ck_assert_uint_eq(h[0], 0xC1);
    ck_assert_uint_eq(h[1], 7);
    ck_assert_uint_eq(ws_frame_header_ext(h, WS_OP_BINARY, false, true, 300), 4);
    ck_assert_uint_eq(h[0], 0x42);
    ck_assert_uint_eq(ws_frame_header_ext(h, WS_OP_TEXT, true, false, 7), 2);
    ck_assert_uint_eq(h[0], 0x81);
}
END_TEST

/* Like parse_one(), with permessage-deflate agreed; fills *m, whose payload
 * is gone on return. */
static int parse_deflate(const uint8_t *buf, size_t n, struct ws_message *m)
{
    struct ws_parser *p = ws_parser_new(1024);
    ws_parser_set_rsv1(p, true);
    size_t used;
    int rc = feed_all(p, buf, n, m, &used);
    ws_parser_free(p);
    return rc;
}

/* "Hello" compressed, RFC 7692 §7.2.3.1: not valid UTF-8 as it stands. */
static const char hello_deflated[] = "\xf2\x48\xcd\xc9\xc9\x07\x00";

START_TEST(rsv1_marks_a_compressed_message_once_deflate_is_agreed)
{
    uint8_t buf[64];
    struct ws_message m;
    size_t used, n = client_frame(buf, 0xC1, hello_deflated, 7);
    struct ws_parser *p = ws_parser_new(1024);
    ws_parser_set_rsv1(p, true);
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_int_eq(m.opcode, WS_OP_TEXT);
    ck_assert(m.compressed);
    ck_assert_uint_eq(m.len, 7);
    ck_assert(memcmp(m.payload, hello_deflated, 7) == 0);
    ws_parser_free(p);
    n = client_frame(buf, 0x81, "Hello", 5);
    ck_assert_int_eq(parse_deflate(buf, n, &m), CP_OK);
    ck_assert(!m.compressed);
}
END_TEST

START_TEST(compressed_message_may_be_fragmented_with_a_ping_between)
{
    uint8_t buf[64];
    size_t n = client_frame(buf, 0x41, hello_deflated, 3);
    n += client_frame(buf + n, 0x89, "p", 1);
    n += client_frame(buf + n, 0x80, hello_deflated + 3, 4);
    struct ws_parser *p = ws_parser_new(1024);
    ws_parser_set_rsv1(p, true);
    struct ws_message m;
    size_t used;
    ck_assert_int_eq(feed_all(p, buf, n, &m, &used), CP_OK);
    ck_assert_int_eq(m.opcode, WS_OP_PING);
    ck_assert(!m.compressed);
    size_t off = used;
    ck_assert_int_eq(feed_all(p, buf + off, n - off, &m, &used), CP_OK);
    ck_assert_int_eq(m.opcode, WS_OP_TEXT);
    ck_assert(m.compressed);
    ck_assert_uint_eq(m.len, 7);
    ck_assert(memcmp(m.payload, hello_deflated, 7) == 0);
    ws_parser_free(p);
}
END_TEST

START_TEST(rsv1_is_rejected_without_deflate_or_on_continuation_and_control)
{
    uint8_t buf[64];
    struct ws_message m;
    /* Not agreed. */
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0xC1, "x", 1), 1024), CP_EPROTO);
    ck_assert_int_eq(parse_one(buf, client_frame(buf, 0xC2, "x", 1), 1024), CP_EPROTO);
    /* Agreed, but on a continuation frame (RFC 7692 §6.1). */
    size_t n = client_frame(buf, 0x41, hello_deflated, 3);
    n += client_frame(buf + n, 0xC0, hello_deflated + 3, 4);
    ck_assert_int_eq(parse_deflate(buf, n, &m), CP_EPROTO);
    n = client_frame(buf, 0x01, "He", 2);
    n += client_frame(buf + n, 0xC0, "llo", 3);
    ck_assert_int_eq(parse_deflate(buf, n, &m), CP_EPROTO);
    /* Agreed, but on control frames. */
    ck_assert_int_eq(parse_deflate(buf, client_frame(buf, 0xC9, "p", 1), &m), CP_EPROTO);
    ck_assert_int_eq(parse_deflate(buf, client_frame(buf, 0xCA, "p", 1), &m), CP_EPROTO);
    ck_assert_int_eq(parse_deflate(buf, client_frame(buf, 0xC8, "", 0), &m), CP_EPROTO);
}
END_TEST

START_TEST(rsv2_and_rsv3_are_rejected_even_with_deflate)
{
    uint8_t buf[32];
    struct ws_message m;
    ck_assert_int_eq(parse_deflate(buf, client_frame(buf, 0xA1, "x", 1), &m), CP_EPROTO);
    ck_assert_int_eq(parse_deflate(buf, client_frame(buf, 0x91, "x", 1), &m), CP_EPROTO);
    ck_assert_int_eq(parse_deflate(buf, client_frame(buf, 0xE1, "x", 1), &m), CP_EPROTO);
}
END_TEST

START_TEST(uncompressed_text_is_still_utf8_checked_with_deflate)
{
    uint8_t buf[32];
    struct ws_message m;
    size_t n = client_frame(buf, 0x81, hello_deflated, 7);
    ck_assert_int_eq(parse_deflate(buf, n, &m), CP_EUTF8);
}
END_TEST

START_TEST(idle_only_between_frames_and_messages)
{
    uint8_t buf[64];
    struct ws_parser *p = ws_parser_new(1024);
    struct ws_message m;
    size_t used;
    ck_assert(ws_parser_idle(p));
    /* One byte of a head: a frame has begun. */
    size_t n = client_frame(buf, 0x81, "Hi", 2);
    ck_assert_int_eq(ws_parser_feed(p, buf, 1, &used, &m), CP_EAGAIN);
    ck_assert(!ws_parser_idle(p));
    ck_assert_int_eq(ws_parser_feed(p, buf + 1, n - 1, &used, &m), CP_OK);
    ck_assert(ws_parser_idle(p));
    /* A first fragment (no FIN): the message is open until its last one. */
    n = client_frame(buf, 0x01, "He", 2);
    ck_assert_int_eq(ws_parser_feed(p, buf, n, &used, &m), CP_EAGAIN);
    ck_assert(!ws_parser_idle(p));
    n = client_frame(buf, 0x80, "llo", 3);
    ck_assert_int_eq(ws_parser_feed(p, buf, n, &used, &m), CP_OK);
    ck_assert(memcmp(m.payload, "Hello", 5) == 0);
    ck_assert(ws_parser_idle(p));
    ws_parser_free(p);
}
END_TEST

static Suite *ws_suite(void)
{
    Suite *s = suite_create("ws");
    TCase *tc = tcase_create("rfc6455");
    tcase_add_test(tc, accept_key_matches_rfc_example);
    tcase_add_test(tc, key_validation_requires_16_bytes_of_base64);
    tcase_add_test(tc, header_uses_7_16_and_64_bit_lengths);
    tcase_add_test(tc, parses_masked_text_one_byte_at_a_time);
    tcase_add_test(tc, parses_16_and_64_bit_lengths);
    tcase_add_test(tc, reassembles_fragments_with_a_ping_between);
    tcase_add_test(tc, release_between_and_inside_messages_keeps_every_byte);
    tcase_add_test(tc, rejects_unmasked_client_frame);
    tcase_add_test(tc, rejects_reserved_bits_and_opcodes);
    tcase_add_test(tc, rejects_fragmented_or_long_control_frames);
    tcase_add_test(tc, rejects_continuation_without_start);
    tcase_add_test(tc, message_over_limit_is_too_big);
    tcase_add_test(tc, messages_read_together_are_limited_one_by_one);
    tcase_add_test(tc, invalid_utf8_across_fragments_is_rejected);
    tcase_add_test(tc, close_frame_code_is_validated);
    tcase_add_test(tc, utf8_validator_rejects_overlongs_and_out_of_range);
    tcase_add_test(tc, utf8_scrub_replaces_only_bytes_outside_valid_sequences);
    tcase_add_test(tc, header_sets_rsv1_for_compressed_frames);
    tcase_add_test(tc, rsv1_marks_a_compressed_message_once_deflate_is_agreed);
    tcase_add_test(tc, compressed_message_may_be_fragmented_with_a_ping_between);
    tcase_add_test(tc, rsv1_is_rejected_without_deflate_or_on_continuation_and_control);
    tcase_add_test(tc, rsv2_and_rsv3_are_rejected_even_with_deflate);
    tcase_add_test(tc, uncompressed_text_is_still_utf8_checked_with_deflate);
    tcase_add_test(tc, idle_only_between_frames_and_messages);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(ws_suite)
