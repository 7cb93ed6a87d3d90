# feeder/: cryptopulse-feeder, which writes a price tick to Redis every
# UPDATE_INTERVAL_MS from a random walk (mock), a replay of CSV candles
# (candle, replay), or live prices from exchanges' WebSocket streams (exch*,
# wsclient*, source, exchanges, live); feed picks one, roll24 keeps the 24 h
# figures, writer ticks under the fail-over lease and store writes Redis.  Its
# modules live in feeder/libfeeder.a, linked by the program and by the unit
# tests alike, so the tests exercise the same objects.
noinst_LIBRARIES += feeder/libfeeder.a
feeder_libfeeder_a_SOURCES = \
	feeder/candle.c feeder/candle.h \
	feeder/replay.c feeder/replay.h \
	feeder/roll24.c feeder/roll24.h \
	feeder/mock.c feeder/mock.h \
	feeder/feed.c feeder/feed.h \
	feeder/store.c feeder/store.h feeder/store_private.h feeder/store_candles.c \
	feeder/writer.c feeder/writer.h feeder/ohlc.c feeder/ohlc.h \
	feeder/backfill.c feeder/backfill.h \
	feeder/live.c feeder/live.h feeder/exch.c feeder/exch.h \
	feeder/exch_map.c feeder/exch_map.h feeder/exch_number.c feeder/exch_number.h \
	feeder/exch_request.c feeder/exch_request.h \
	feeder/exch_parse.c feeder/exch_parse.h feeder/exch_parse_private.h \
	feeder/exch_binance.c feeder/exch_coinbase.c feeder/exch_kraken.c \
	feeder/wsclient.c feeder/wsclient.h feeder/wsclient_private.h \
	feeder/wsclient_frames.c feeder/wsclient_tls.c feeder/wsclient_tls.h \
	feeder/source.c feeder/source.h feeder/exchanges.c feeder/exchanges.h
feeder_libfeeder_a_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS) \
	$(WSPROTO_CFLAGS) $(LIBEVENT_CFLAGS)

# wsclient needs wsproto/ (frames), libevent with its OpenSSL bufferevents
# and evdns (LIBEVENT_LIBS holds libevent_openssl) and OpenSSL.
FEEDER_LIBS = feeder/libfeeder.a $(WSPROTO_LIBS) $(CPCOMMON_LIBS) $(HIREDIS_LIBS) \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) -lm

bin_PROGRAMS += feeder/cryptopulse-feeder
feeder_cryptopulse_feeder_SOURCES = feeder/feeder_main.c
feeder_cryptopulse_feeder_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS) \
	$(LIBEVENT_CFLAGS)
feeder_cryptopulse_feeder_LDADD = $(FEEDER_LIBS)

dist_man_MANS += man/cryptopulse-feeder.1

# Recomputes the figures of feeder/mock.c from ../shared/data/market.
EXTRA_DIST += feeder/mock-calibrate.py

# Unit tests: one program per module (tests/unit/check_<module>.c).
FEEDER_UNIT_TESTS = \
	tests/unit/check_candle \
	tests/unit/check_ohlc \
	tests/unit/check_replay \
	tests/unit/check_roll24 \
	tests/unit/check_mock \
	tests/unit/check_feed \
	tests/unit/check_live \
	tests/unit/check_exch \
	tests/unit/check_exch_map \
	tests/unit/check_exch_number \
	tests/unit/check_exch_request \
	tests/unit/check_exch_parse \
	tests/unit/check_exch_binance \
	tests/unit/check_exch_coinbase \
	tests/unit/check_exch_kraken \
	tests/unit/check_wsclient \
	tests/unit/check_wsclient_frames \
	tests/unit/check_wsclient_tls \
	tests/unit/check_store \
	tests/unit/check_store_candles \
	tests/unit/check_exchanges \
	tests/unit/check_source \
	tests/unit/check_writer
check_PROGRAMS += $(FEEDER_UNIT_TESTS)
UNIT_TESTS += $(FEEDER_UNIT_TESTS)

tests_unit_check_candle_SOURCES = tests/unit/check_candle.c tests/unit/check_main.h
tests_unit_check_candle_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder
tests_unit_check_candle_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_ohlc_SOURCES = tests/unit/check_ohlc.c tests/unit/check_main.h
tests_unit_check_ohlc_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder
tests_unit_check_ohlc_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_replay_SOURCES = tests/unit/check_replay.c tests/unit/check_main.h
tests_unit_check_replay_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder \
	-DCP_SHARED_DIR='"$(abs_top_srcdir)/../shared"'
tests_unit_check_replay_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_roll24_SOURCES = tests/unit/check_roll24.c tests/unit/check_main.h
tests_unit_check_roll24_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder
tests_unit_check_roll24_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_mock_SOURCES = tests/unit/check_mock.c tests/unit/check_main.h
tests_unit_check_mock_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder
tests_unit_check_mock_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_feed_SOURCES = tests/unit/check_feed.c tests/unit/check_main.h
tests_unit_check_feed_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder
tests_unit_check_feed_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_live_SOURCES = tests/unit/check_live.c tests/unit/check_main.h
tests_unit_check_live_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder
tests_unit_check_live_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
# The exch tests share tests/unit/exch_testdata.c: the recorded samples of
# ../shared (or $CRYPTOPULSE_SHARED), the default map and ticker builders.
EXCH_TEST_SOURCES = tests/unit/check_main.h tests/unit/exch_testdata.c tests/unit/exch_testdata.h
EXCH_TEST_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder -DCP_SHARED_DIR='"$(abs_top_srcdir)/../shared"'
tests_unit_check_exch_SOURCES = tests/unit/check_exch.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exch_map_SOURCES = tests/unit/check_exch_map.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_map_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_map_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exch_number_SOURCES = tests/unit/check_exch_number.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_number_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_number_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exch_request_SOURCES = tests/unit/check_exch_request.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_request_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_request_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exch_parse_SOURCES = tests/unit/check_exch_parse.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_parse_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_parse_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exch_binance_SOURCES = tests/unit/check_exch_binance.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_binance_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_binance_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exch_coinbase_SOURCES = tests/unit/check_exch_coinbase.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_coinbase_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_coinbase_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exch_kraken_SOURCES = tests/unit/check_exch_kraken.c $(EXCH_TEST_SOURCES)
tests_unit_check_exch_kraken_CFLAGS = $(EXCH_TEST_CFLAGS)
tests_unit_check_exch_kraken_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
# Real servers on 127.0.0.1 inside the tests, plain and TLS (certificates
# made with the openssl command): tests/unit/wsclient_testsrv.c.
WSCLIENT_TEST_SOURCES = tests/unit/check_main.h tests/unit/wsclient_testsrv.c \
	tests/unit/wsclient_testsrv.h
WSCLIENT_TEST_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder $(WSPROTO_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_check_wsclient_SOURCES = tests/unit/check_wsclient.c $(WSCLIENT_TEST_SOURCES)
tests_unit_check_wsclient_CFLAGS = $(WSCLIENT_TEST_CFLAGS)
tests_unit_check_wsclient_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_wsclient_frames_SOURCES = tests/unit/check_wsclient_frames.c \
	$(WSCLIENT_TEST_SOURCES)
tests_unit_check_wsclient_frames_CFLAGS = $(WSCLIENT_TEST_CFLAGS)
tests_unit_check_wsclient_frames_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_wsclient_tls_SOURCES = tests/unit/check_wsclient_tls.c $(WSCLIENT_TEST_SOURCES)
tests_unit_check_wsclient_tls_CFLAGS = $(WSCLIENT_TEST_CFLAGS)
tests_unit_check_wsclient_tls_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
# A real redis-server, started by the test on a free loopback port
# (tests/unit/redis_server.c).
tests_unit_check_store_SOURCES = tests/unit/check_store.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_store_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder $(HIREDIS_CFLAGS)
tests_unit_check_store_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_store_candles_SOURCES = tests/unit/check_store_candles.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_store_candles_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder $(HIREDIS_CFLAGS)
tests_unit_check_store_candles_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
tests_unit_check_exchanges_SOURCES = tests/unit/check_exchanges.c tests/unit/check_main.h
tests_unit_check_exchanges_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder $(LIBEVENT_CFLAGS)
tests_unit_check_exchanges_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
# The scripted WebSocket servers of the wsclient tests, speaking Kraken v2.
tests_unit_check_source_SOURCES = tests/unit/check_source.c $(WSCLIENT_TEST_SOURCES)
tests_unit_check_source_CFLAGS = $(WSCLIENT_TEST_CFLAGS)
tests_unit_check_source_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)
# A mock feed on a loop, against a real redis-server started by the test.
tests_unit_check_writer_SOURCES = tests/unit/check_writer.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_writer_CFLAGS = $(UNIT_CFLAGS) -I$(top_srcdir)/feeder $(HIREDIS_CFLAGS) \
	$(LIBEVENT_CFLAGS)
tests_unit_check_writer_LDADD = $(FEEDER_LIBS) $(UNIT_LIBS)

FEEDER_INTEGRATION_TESTS = \
	tests/integration/10-feeder-redis.sh \
	tests/integration/11-feeder-stream.sh \
	tests/integration/12-feeder-failover.sh \
	tests/integration/13-feeder-replay-speed.sh \
	tests/integration/14-feeder-live.sh tests/integration/15-exchange-sim.sh \
	tests/integration/16-feeder-candles.sh
INTEGRATION_TESTS += $(FEEDER_INTEGRATION_TESTS)
dist_noinst_SCRIPTS += $(FEEDER_INTEGRATION_TESTS) tests/integration/exchange_sim.py \
	tests/integration/exchange_sim_selftest.py tests/integration/sim_ca.sh
EXTRA_DIST += tests/integration/exchange_sim_binance.py \
	tests/integration/exchange_sim_coinbase.py tests/integration/exchange_sim_control.py \
	tests/integration/exchange_sim_format.py tests/integration/exchange_sim_kraken.py \
	tests/integration/exchange_sim_server.py tests/integration/exchange_sim_selftest_client.py \
	tests/integration/exchange_sim_selftest_control.py \
	tests/integration/exchange_sim_selftest_formats.py \
	tests/integration/exchange_sim_selftest_options.py

# The Redis memory of one symbol's candles at the default retention (README
# "Price history"): bench/candle_memory.sh [BUILD_DIR].
EXTRA_DIST += bench/candle_memory.sh
