/* check_hub_subscriptions: gateway/hub_subscriptions.c — subscription sets
 * and the feed's symbol list. */
#include "config.h"

#include "check_main.h"
#include "hub_ticks.h"

START_TEST(channels_made_only_by_subscriptions_are_freed)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct hub_client c;
    hub_client_init(&c, NULL, MSG_WS, NULL, NULL);
    ck_assert_int_eq(hub_subscribe(hub, &c, "ZZZ"), 1);
    ck_assert_uint_eq(hub_channel_size(hub, "ZZZ"), 1);
    hub_client_clear(hub, &c);
    json_t *syms = hub_symbols(hub);
    ck_assert_uint_eq(json_array_size(syms), 0);
    json_decref(syms);
    ck_assert_int_eq(hub_subscribe(hub, &c, "ZZZ"), 1); /* made anew, not reused freed memory */
    hub_client_clear(hub, &c);
    hub_free(hub);
}
END_TEST

START_TEST(unknown_symbols_are_refused_once_the_feed_is_known)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct hub_client c;
    hub_client_init(&c, NULL, MSG_WS, NULL, NULL);
    hub_set_symbols(hub, "BTC,ETH");
    ck_assert_int_eq(hub_subscribe(hub, &c, "DOGE"), CP_ENOENT);
    ck_assert_int_eq(hub_subscribe(hub, &c, "btc"), CP_EINVAL);
    ck_assert_int_eq(hub_subscribe(hub, &c, "BTC"), 1);
    ck_assert_uint_eq(hub_channel_size(hub, "BTC"), 1);
    ck_assert_int_eq(hub_unsubscribe(hub, &c, "*"), 1);
    ck_assert_uint_eq(hub_channel_size(hub, "BTC"), 0);
    hub_free(hub);
}
END_TEST

START_TEST(client_symbols_keep_the_order_of_subscription)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, NULL, NULL);
    hub_subscribe(hub, &c, "BTC");
    hub_subscribe(hub, &c, "ETH");
    hub_subscribe(hub, &c, "*");
    hub_subscribe(hub, &c, "SOL");
    json_t *syms = hub_client_symbols(&c);
    char *s = json_dumps(syms, JSON_COMPACT);
    ck_assert_str_eq(s, "[\"*\",\"BTC\",\"ETH\",\"SOL\"]");
    free(s);
    json_decref(syms);
    hub_unsubscribe(hub, &c, "BTC");
    hub_subscribe(hub, &c, "BTC");
    syms = hub_client_symbols(&c);
    s = json_dumps(syms, JSON_COMPACT);
    ck_assert_str_eq(s, "[\"*\",\"ETH\",\"SOL\",\"BTC\"]");
    free(s);
    json_decref(syms);
    hub_client_clear(hub, &c);
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

/* The one subscription a client holds, which its "subscribed" names
 * without building JSON; NULL with none or several. */
START_TEST(a_client_with_one_subscription_names_it)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct evbuffer *out = evbuffer_new();
    struct hub_client c;
    hub_client_init(&c, out, MSG_WS, NULL, NULL);
    ck_assert_ptr_null(hub_client_only_symbol(&c));
    hub_subscribe(hub, &c, "BTC");
    ck_assert_str_eq(hub_client_only_symbol(&c), "BTC");
    hub_subscribe(hub, &c, "*");
    ck_assert_ptr_null(hub_client_only_symbol(&c));
    hub_unsubscribe(hub, &c, "BTC");
    ck_assert_str_eq(hub_client_only_symbol(&c), "*");
    hub_client_clear(hub, &c);
    ck_assert_ptr_null(hub_client_only_symbol(&c));
    evbuffer_free(out);
    hub_free(hub);
}
END_TEST

static char *symbols_text(const struct hub *hub)
{
    json_t *syms = hub_symbols(hub);
    char *s = json_dumps(syms, JSON_COMPACT);
    json_decref(syms);
    return s;
}

/* The feeder's list is split as everywhere else (lib/strlist): at commas,
 * blanks trimmed, so "BTC,ETH" and "BTC, ETH" name the same symbols. */
START_TEST(symbol_list_with_or_without_spaces_gives_the_same_symbols)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    ck_assert(!hub_has_symbol_list(hub));
    const char *lists[] = {"BTC,ETH", "BTC, ETH", " BTC ,\tETH ", "BTC,,ETH,"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        hub_set_symbols(hub, lists[i]);
        char *s = symbols_text(hub);
        ck_assert_msg(strcmp(s, "[\"BTC\",\"ETH\"]") == 0, "\"%s\" gave %s", lists[i], s);
        free(s);
        ck_assert(hub_has_symbol_list(hub));
        ck_assert(hub_symbol_known(hub, "ETH"));
        ck_assert(!hub_symbol_known(hub, "SOL"));
    }
    hub_free(hub);
}
END_TEST

/* Invalid items are left out; a list of none leaves every symbol allowed. */
START_TEST(symbol_list_skips_what_is_not_a_symbol)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    hub_set_symbols(hub, "btc, SOL, A B, "
                         "WAYTOOLONGSYMBOLNAMEWAYTOOLONGSYMBOLNAME");
    char *s = symbols_text(hub);
    ck_assert_str_eq(s, "[\"SOL\"]");
    free(s);
    hub_set_symbols(hub, "");
    ck_assert(!hub_has_symbol_list(hub));
    ck_assert(hub_symbol_known(hub, "DOGE"));
    hub_free(hub);
}
END_TEST

/* hub_symbols() adds symbols that have a price but are not on the list. */
START_TEST(symbols_include_priced_symbols_off_the_list)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    hub_set_symbols(hub, "SOL,BTC");
    ck_assert_int_eq(publish(hub), 0);
    char *s = symbols_text(hub);
    ck_assert_str_eq(s, "[\"SOL\",\"BTC\",\"ETH\"]");
    free(s);
    ck_assert(hub_symbol_known(hub, "ETH"));
    hub_free(hub);
}
END_TEST

START_TEST(subscriptions_count_the_subscribers_of_each_channel)
{
    struct hub *hub = new_hub(1 << 20, 1 << 20, 60000);
    struct hub_client a, b;
    hub_client_init(&a, NULL, MSG_WS, NULL, NULL);
    hub_client_init(&b, NULL, MSG_SSE, NULL, NULL);
    hub_subscribe(hub, &a, "BTC");
    hub_subscribe(hub, &a, "*");
    hub_subscribe(hub, &b, "BTC");
    hub_subscribe(hub, &b, "ETH");
    ck_assert(a.all && !b.all);
    ck_assert_uint_eq(a.n_members, 2);
    ck_assert(hub_client_has(&b, "ETH") && !hub_client_has(&a, "ETH"));
    ck_assert(hub_client_has(&a, "*"));
    json_t *subs = hub_subscriptions(hub);
    char *s = json_dumps(subs, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(s, "{\"*\":1,\"BTC\":2,\"ETH\":1}");
    free(s);
    json_decref(subs);
    ck_assert_int_eq(hub_unsubscribe(hub, &b, "ETH"), 1);
    ck_assert_int_eq(hub_unsubscribe(hub, &b, "ETH"), 0);
    ck_assert_int_eq(hub_unsubscribe(hub, &b, "NEVER"), 0);
    ck_assert_uint_eq(b.n_members, 1);
    ck_assert_uint_eq(hub_channel_size(hub, "ETH"), 0);
    hub_client_clear(hub, &a);
    ck_assert(!a.all);
    ck_assert_int_eq(hub_unsubscribe(hub, &a, "*"), 0);
    ck_assert_uint_eq(hub_channel_size(hub, "*"), 0);
    ck_assert_uint_eq(hub_channel_size(hub, "BTC"), 1);
    hub_client_clear(hub, &b);
    subs = hub_subscriptions(hub);
    ck_assert_uint_eq(json_object_size(subs), 0);
    json_decref(subs);
    hub_free(hub);
}
END_TEST

static Suite *hub_subscriptions_suite(void)
{
    Suite *s = suite_create("hub_subscriptions");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, channels_made_only_by_subscriptions_are_freed);
    tcase_add_test(tc, unknown_symbols_are_refused_once_the_feed_is_known);
    tcase_add_test(tc, client_symbols_keep_the_order_of_subscription);
    tcase_add_test(tc, a_client_with_one_subscription_names_it);
    tcase_add_test(tc, symbol_list_with_or_without_spaces_gives_the_same_symbols);
    tcase_add_test(tc, symbol_list_skips_what_is_not_a_symbol);
    tcase_add_test(tc, symbols_include_priced_symbols_off_the_list);
    tcase_add_test(tc, subscriptions_count_the_subscribers_of_each_channel);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hub_subscriptions_suite)
