/* check_hub: gateway/hub.c — the channel table and latest prices, with
 * the snapshots built from them. */
#include "config.h"

#include "check_main.h"
#include "hub_ticks.h"
#include "price.h"

START_TEST(snapshot_holds_latest_prices_of_requested_symbols)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    publish(hub);
    json_t *want = json_pack("[s]", "ETH");
    json_t *snap = hub_snapshot(hub, want);
    char want_id[32];
    snprintf(want_id, sizeof want_id, "%d-0", tick_seq);
    ck_assert_str_eq(json_string_value(json_object_get(snap, "id")), want_id);
    json_t *prices = json_object_get(snap, "prices");
    ck_assert_uint_eq(json_array_size(prices), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(prices, 0), "symbol")),
                     "ETH");
    json_decref(snap);
    json_decref(want);
    hub_free(hub);
}
END_TEST

/* A latest price as the Redis cache holds it (docs/PROTOCOL.md §4), id "<id>-0". */
static int set_latest(struct hub *hub, const char *symbol, int id, int64_t ts)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"symbol\":\"%s\",\"price\":2.5,\"change24h\":1,\"volume24h\":2,\"high24h\":3,"
             "\"low24h\":1,\"ts\":%lld,\"id\":\"%d-0\"}",
             symbol, (long long)ts, id);
    return hub_set_latest(hub, json, strlen(json));
}

/* Start-up: cached prices fill snapshots but are no tick, so the tick they
 * came from is still delivered and hub_last_id() stays "". */
START_TEST(cached_prices_fill_snapshots_but_are_no_tick)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    ck_assert_str_eq(hub_last_id(hub), "");
    ck_assert_int_eq(hub_last_ts(hub), 0);
    ck_assert_int_eq(set_latest(hub, "SOL", 3, 1000), CP_OK);
    ck_assert_int_eq(set_latest(hub, "ADA", 2, 900), CP_OK);
    ck_assert_str_eq(hub_last_id(hub), "");
    ck_assert_int_eq(hub_last_ts(hub), 1000); /* of the newest id, not the last set */
    json_t *all = json_pack("[s]", "*");
    json_t *snap = hub_snapshot(hub, all);
    ck_assert_str_eq(json_string_value(json_object_get(snap, "id")), "3-0");
    ck_assert_uint_eq(json_array_size(json_object_get(snap, "prices")), 2);
    json_decref(snap);
    json_decref(all);
    ck_assert_int_eq(publish(hub), 0);
    char want[32];
    snprintf(want, sizeof want, "%d-0", tick_seq);
    ck_assert_str_eq(hub_last_id(hub), want);
    hub_free(hub);
}
END_TEST

/* A cached price older than what a tick already brought is ignored. */
START_TEST(cached_price_does_not_replace_a_newer_one)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    ck_assert_int_eq(publish(hub), 0); /* ETH at tick_seq-0 */
    ck_assert_int_eq(set_latest(hub, "ETH", 1, 7), CP_OK);
    json_t *want = json_pack("[s]", "ETH");
    json_t *snap = hub_snapshot(hub, want);
    json_t *eth = json_array_get(json_object_get(snap, "prices"), 0);
    ck_assert(json_real_value(json_object_get(eth, "price")) > 3000);
    json_decref(snap);
    ck_assert_int_eq(set_latest(hub, "ETH", tick_seq + 1, 7), CP_OK);
    snap = hub_snapshot(hub, want);
    eth = json_array_get(json_object_get(snap, "prices"), 0);
    ck_assert(json_real_value(json_object_get(eth, "price")) == 2.5);
    json_decref(snap);
    json_decref(want);
    hub_free(hub);
}
END_TEST

/* One symbol's snapshot text: what json_dumps() makes of hub_snapshot() of
 * [symbol], built once and shared until the next price, NULL without one. */
START_TEST(one_symbols_snapshot_text_is_shared_until_the_next_price)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    size_t len;
    ck_assert_ptr_null(hub_snapshot_one_text(hub, "SOL", &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(set_latest(hub, "SOL", 3, 1000), CP_OK);
    const char *text = hub_snapshot_one_text(hub, "SOL", &len);
    json_t *want = json_pack("[s]", "SOL");
    json_t *snap = hub_snapshot(hub, want);
    char *dumped = json_dumps(snap, PRICE_JSON_FLAGS);
    ck_assert_str_eq(text, dumped);
    ck_assert_uint_eq(len, strlen(dumped));
    free(dumped);
    json_decref(snap);
    ck_assert_ptr_eq(hub_snapshot_one_text(hub, "SOL", &len), text); /* shared */
    ck_assert_int_eq(set_latest(hub, "SOL", 4, 2000), CP_OK);
    text = hub_snapshot_one_text(hub, "SOL", &len);
    snap = hub_snapshot(hub, want);
    dumped = json_dumps(snap, PRICE_JSON_FLAGS);
    ck_assert_str_eq(text, dumped); /* rebuilt: the new price and id */
    ck_assert_ptr_nonnull(strstr(text, "\"4-0\""));
    free(dumped);
    json_decref(snap);
    json_decref(want);
    ck_assert_ptr_null(hub_snapshot_one_text(hub, "*", &len)); /* hub_snapshot_all_text()'s */
    ck_assert_ptr_null(hub_snapshot_one_text(hub, "ADA", &len));
    hub_free(hub);
}
END_TEST

START_TEST(malformed_cached_price_is_refused)
{
    struct hub_limits limits = {1 << 20, 1 << 20, 60000, 64};
    struct hub *hub = hub_new(&limits, NULL);
    ck_assert_int_eq(hub_set_latest(hub, "nope", 4), CP_EINVAL);
    const char *no_price = "{\"symbol\":\"BTC\",\"ts\":1,\"id\":\"1-0\"}";
    ck_assert_int_eq(hub_set_latest(hub, no_price, strlen(no_price)), CP_EINVAL);
    ck_assert_int_eq(set_latest(hub, "BTC", 1, 1), CP_EINVAL); /* over max_tick_bytes */
    json_t *all = json_pack("[s]", "*");
    json_t *snap = hub_snapshot(hub, all);
    ck_assert_uint_eq(json_array_size(json_object_get(snap, "prices")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(snap, "id")), "");
    json_decref(snap);
    json_decref(all);
    hub_free(hub);
    hub_free(NULL);
}
END_TEST

static Suite *hub_suite(void)
{
    Suite *s = suite_create("hub");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, snapshot_holds_latest_prices_of_requested_symbols);
    tcase_add_test(tc, cached_prices_fill_snapshots_but_are_no_tick);
    tcase_add_test(tc, cached_price_does_not_replace_a_newer_one);
    tcase_add_test(tc, one_symbols_snapshot_text_is_shared_until_the_next_price);
    tcase_add_test(tc, malformed_cached_price_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hub_suite)
