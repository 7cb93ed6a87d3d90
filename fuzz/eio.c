/* Fuzz target eio: a long-polling POST body through the Engine.IO and
 * Socket.IO codecs (gateway/eio.c), as the Socket.IO endpoint reads it: the
 * payload split at each record separator (eio_payload_next), each packet
 * decoded (eio_packet_parse), each "message" packet's data decoded as a
 * Socket.IO packet (sio_packet_parse) and cleared.  Invariants: packets lie
 * inside the input and come in order; a decoded packet has the shape
 * eio.h promises (type, namespace, ack id, data); a refused one has a
 * reason; an event or ack re-encoded (sio_event_encode, sio_ack_encode)
 * decodes back to the same name, argument and id. */
#include "config.h"

#include "fuzz.h"

#include "eio.h"

#include <string.h>

#define ACK_ID_MAX 999999999999LL /* 12 digits */

/* s (len bytes) as an Engine.IO message whose Socket.IO packet decodes. */
static void decode_message(const char *s, size_t len, struct sio_packet *p)
{
    enum eio_type type;
    const char *data;
    size_t data_len;
    char err[128];
    FUZZ_CHECK(eio_packet_parse(s, len, &type, &data, &data_len) == 0);
    FUZZ_CHECK(type == EIO_MESSAGE);
    FUZZ_CHECK(sio_packet_parse(data, data_len, p, err, sizeof err) == 0);
}

/* The first argument after the event name (or of an ack) as JSON text;
 * NULL when there is none.  Caller frees. */
static char *first_arg(json_t *array, size_t index)
{
    json_t *arg = json_array_get(array, index);
    return arg ? json_dumps(arg, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

static void check_round_trip(const struct sio_packet *p)
{
    struct sio_packet back;
    if (p->type == SIO_EVENT) {
        const char *name = json_string_value(json_array_get(p->data, 0));
        char *arg = first_arg(p->data, 1);
        size_t len;
        char *msg = sio_event_encode(name, arg, arg ? strlen(arg) : 0, &len);
        FUZZ_CHECK(len == strlen(msg));
        decode_message(msg, len, &back);
        FUZZ_CHECK(back.type == SIO_EVENT && back.ack_id == -1 && !strcmp(back.nsp, "/"));
        FUZZ_CHECK(!strcmp(json_string_value(json_array_get(back.data, 0)), name));
        FUZZ_CHECK(json_array_size(back.data) == (arg ? 2 : 1));
        FUZZ_CHECK(!arg || json_equal(json_array_get(back.data, 1), json_array_get(p->data, 1)));
        sio_packet_clear(&back);
        free(msg);
        free(arg);
    }
    if (p->ack_id >= 0) {
        char *arg = first_arg(p->data, p->type == SIO_ACK ? 0 : 1);
        char *msg = sio_ack_encode(p->ack_id, arg ? arg : "");
        decode_message(msg, strlen(msg), &back);
        FUZZ_CHECK(back.type == SIO_ACK && back.ack_id == p->ack_id);
        FUZZ_CHECK(json_array_size(back.data) == (arg ? 1 : 0));
        sio_packet_clear(&back);
        free(msg);
        free(arg);
    }
}

static void check_sio(const char *s, size_t len)
{
    struct sio_packet p;
    char err[128];
    err[0] = '\0';
    if (sio_packet_parse(s, len, &p, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0');
        sio_packet_clear(&p);
        FUZZ_CHECK(p.data == NULL);
        return;
    }
    FUZZ_CHECK(len > 0 && p.type == (enum sio_type)(s[0] - '0'));
    FUZZ_CHECK(p.nsp[0] == '/' && strlen(p.nsp) < SIO_NSP_MAX);
    FUZZ_CHECK(p.ack_id >= -1 && p.ack_id <= ACK_ID_MAX);
    if (p.type == SIO_EVENT || p.type == SIO_BINARY_EVENT)
        FUZZ_CHECK(json_array_size(p.data) > 0 && json_is_string(json_array_get(p.data, 0)));
    if (p.type == SIO_ACK || p.type == SIO_BINARY_ACK)
        FUZZ_CHECK(json_is_array(p.data));
    if (p.type == SIO_CONNECT)
        FUZZ_CHECK(p.data == NULL || json_is_object(p.data));
    if (p.type == SIO_EVENT || p.type == SIO_ACK)
        check_round_trip(&p);
    sio_packet_clear(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *payload = (const char *)data;
    const char *pkt = NULL, *prev_end = payload;
    size_t pos = 0, pkt_len = 0, count = 0;
    while (eio_payload_next(payload, size, &pos, &pkt, &pkt_len)) {
        FUZZ_CHECK(++count <= size + 1);
        FUZZ_CHECK(pkt >= prev_end && pkt + pkt_len <= payload + size);
        FUZZ_CHECK(memchr(pkt, EIO_SEPARATOR, pkt_len) == NULL);
        prev_end = pkt + pkt_len;
        enum eio_type type;
        const char *d;
        size_t dlen;
        if (eio_packet_parse(pkt, pkt_len, &type, &d, &dlen) != 0) {
            FUZZ_CHECK(pkt_len == 0 || pkt[0] < '0' || pkt[0] > '6');
            continue;
        }
        FUZZ_CHECK(type <= EIO_NOOP && d == pkt + 1 && dlen == pkt_len - 1);
        if (type == EIO_MESSAGE)
            check_sio(d, dlen);
    }
    FUZZ_CHECK(size == 0 || count > 0);
    return 0;
}
