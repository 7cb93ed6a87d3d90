# gateway/: the libevent server (WebSocket, SSE, static files) and its
# protocol modules.  The modules form a noinst library shared with the tests;
# the WebSocket cores (ws, deflate) come from wsproto/libwsproto.a.
noinst_LIBRARIES += gateway/libgateway.a
gateway_libgateway_a_SOURCES = \
	gateway/connlog.c gateway/connlog.h \
	gateway/sse.c gateway/sse.h \
	gateway/msg.c gateway/msg.h \
	gateway/hub.c gateway/hub.h gateway/hub_private.h \
	gateway/hub_subscriptions.c gateway/hub_fanout.c \
	gateway/http.c gateway/http.h \
	gateway/www.c gateway/www.h \
	gateway/rdb.c gateway/rdb.h \
	gateway/rdb_link.c gateway/rdb_link.h \
	gateway/rdb_sentinel.c gateway/rdb_sentinel.h \
	gateway/proto.c gateway/proto.h \
	gateway/eio.c gateway/eio.h \
	gateway/sio_session.c gateway/sio_session.h \
	gateway/sio_events.c gateway/sio_events.h \
	gateway/socketio.c gateway/socketio.h \
	gateway/handoff.c gateway/handoff.h \
	gateway/ratelimit.c gateway/ratelimit.h \
	gateway/ctx.h \
	gateway/conn.c gateway/conn.h gateway/conn_private.h gateway/conn_io.c \
	gateway/resume.c gateway/resume.h \
	gateway/answer.c gateway/answer.h \
	gateway/websocket.c gateway/websocket.h \
	gateway/eventsource.c gateway/eventsource.h \
	gateway/routes.c gateway/routes.h \
	gateway/serve.c gateway/serve.h \
	gateway/gateway.c gateway/gateway.h \
	gateway/cluster.c gateway/cluster.h \
	gateway/stats.c gateway/stats.h \
	gateway/peers.c gateway/peers.h
GATEWAY_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/gateway $(WSPROTO_CFLAGS) $(LIBEVENT_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS) \
	$(OPENSSL_CFLAGS) $(ZLIB_CFLAGS)
GATEWAY_LIBS = gateway/libgateway.a $(WSPROTO_LIBS) $(CPCOMMON_LIBS) $(LIBEVENT_LIBS) $(HIREDIS_LIBS) \
	$(OPENSSL_LIBS) $(ZLIB_LIBS) $(HTTP_PARSER_LIBS)
gateway_libgateway_a_CFLAGS = $(GATEWAY_CFLAGS)

bin_PROGRAMS += gateway/cryptopulse-gateway
gateway_cryptopulse_gateway_SOURCES = gateway/gateway_main.c
gateway_cryptopulse_gateway_CFLAGS = $(GATEWAY_CFLAGS)
gateway_cryptopulse_gateway_LDADD = $(GATEWAY_LIBS)
dist_man_MANS += man/cryptopulse-gateway.1

check_PROGRAMS += tests/unit/check_sse tests/unit/check_http tests/unit/check_hub \
	tests/unit/check_ratelimit
UNIT_TESTS += tests/unit/check_sse tests/unit/check_http tests/unit/check_hub \
	tests/unit/check_ratelimit
tests_unit_check_sse_SOURCES = tests/unit/check_sse.c
tests_unit_check_sse_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_sse_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_http_SOURCES = tests/unit/check_http.c
tests_unit_check_http_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_http_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_hub_SOURCES = tests/unit/check_hub.c tests/unit/hub_ticks.h
tests_unit_check_hub_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_hub_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_hub_subscriptions_SOURCES = tests/unit/check_hub_subscriptions.c tests/unit/hub_ticks.h
tests_unit_check_hub_subscriptions_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_hub_subscriptions_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_hub_subscriptions
UNIT_TESTS += tests/unit/check_hub_subscriptions
tests_unit_check_hub_fanout_SOURCES = tests/unit/check_hub_fanout.c tests/unit/hub_ticks.h
tests_unit_check_hub_fanout_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_hub_fanout_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_hub_fanout
UNIT_TESTS += tests/unit/check_hub_fanout
tests_unit_check_ratelimit_SOURCES = tests/unit/check_ratelimit.c
tests_unit_check_ratelimit_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_ratelimit_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_history_SOURCES = tests/unit/check_history.c
tests_unit_check_history_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_history_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_history
UNIT_TESTS += tests/unit/check_history
tests_unit_check_www_SOURCES = tests/unit/check_www.c
tests_unit_check_www_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_www_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_www
UNIT_TESTS += tests/unit/check_www
tests_unit_check_peers_SOURCES = tests/unit/check_peers.c
tests_unit_check_peers_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_peers_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_peers
UNIT_TESTS += tests/unit/check_peers
tests_unit_check_msg_SOURCES = tests/unit/check_msg.c tests/unit/deflate_assert.h
tests_unit_check_msg_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_msg_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_msg
UNIT_TESTS += tests/unit/check_msg
tests_unit_check_cluster_SOURCES = tests/unit/check_cluster.c
tests_unit_check_cluster_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_cluster_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_cluster
UNIT_TESTS += tests/unit/check_cluster
# The Engine.IO / Socket.IO codecs: pure functions, no socket.
tests_unit_check_eio_SOURCES = tests/unit/check_eio.c tests/unit/check_main.h
tests_unit_check_eio_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_eio_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_eio
UNIT_TESTS += tests/unit/check_eio

tests_unit_check_rdb_SOURCES = tests/unit/check_rdb.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_rdb_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_rdb_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
check_PROGRAMS += tests/unit/check_rdb
UNIT_TESTS += tests/unit/check_rdb
# rdb's two private parts, each on its own: a connection that keeps itself
# up, and the Sentinels' answer.
check_PROGRAMS += tests/unit/check_rdb_link tests/unit/check_rdb_sentinel
UNIT_TESTS += tests/unit/check_rdb_link tests/unit/check_rdb_sentinel
tests_unit_check_rdb_link_SOURCES = tests/unit/check_rdb_link.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_rdb_link_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_rdb_link_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_rdb_sentinel_SOURCES = tests/unit/check_rdb_sentinel.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_rdb_sentinel_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_rdb_sentinel_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)

# Tests of the connection layer run it on real loopback sockets (and, where
# it talks to Redis, a real redis-server) through one fixture.
GW_FIXTURE = tests/unit/gw_fixture.c tests/unit/gw_fixture.h tests/unit/redis_server.c \
	tests/unit/redis_server.h tests/unit/check_main.h
GW_UNIT_TESTS = tests/unit/check_conn tests/unit/check_websocket tests/unit/check_eventsource \
	tests/unit/check_routes tests/unit/check_serve tests/unit/check_connlog \
	tests/unit/check_conn_io
check_PROGRAMS += $(GW_UNIT_TESTS)
UNIT_TESTS += $(GW_UNIT_TESTS)
tests_unit_check_conn_SOURCES = tests/unit/check_conn.c $(GW_FIXTURE)
tests_unit_check_conn_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_conn_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_conn_io_SOURCES = tests/unit/check_conn_io.c $(GW_FIXTURE) \
	tests/unit/gw_wire.c tests/unit/gw_wire.h
tests_unit_check_conn_io_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_conn_io_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_connlog_SOURCES = tests/unit/check_connlog.c $(GW_FIXTURE) \
	tests/unit/stderr_capture.c tests/unit/stderr_capture.h
tests_unit_check_connlog_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_connlog_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_websocket_SOURCES = tests/unit/check_websocket.c $(GW_FIXTURE) \
	tests/unit/gw_wire.c tests/unit/gw_wire.h
tests_unit_check_websocket_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_websocket_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_eventsource_SOURCES = tests/unit/check_eventsource.c $(GW_FIXTURE)
tests_unit_check_eventsource_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_eventsource_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_routes_SOURCES = tests/unit/check_routes.c $(GW_FIXTURE)
tests_unit_check_routes_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_routes_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
tests_unit_check_serve_SOURCES = tests/unit/check_serve.c $(GW_FIXTURE)
tests_unit_check_serve_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_serve_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)

# proto needs no socket (a recording table of operations); resume, answer,
# stats and gateway run against a real redis-server.
GW_WIRE = tests/unit/gw_wire.c tests/unit/gw_wire.h
GW_UNIT_TESTS += tests/unit/check_proto
tests_unit_check_proto_SOURCES = tests/unit/check_proto.c tests/unit/check_main.h
tests_unit_check_proto_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_proto_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
GW_UNIT_TESTS += tests/unit/check_resume
tests_unit_check_resume_SOURCES = tests/unit/check_resume.c $(GW_FIXTURE) $(GW_WIRE)
tests_unit_check_resume_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_resume_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
GW_UNIT_TESTS += tests/unit/check_answer
tests_unit_check_answer_SOURCES = tests/unit/check_answer.c $(GW_FIXTURE) $(GW_WIRE)
tests_unit_check_answer_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_answer_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
GW_UNIT_TESTS += tests/unit/check_history_candles
tests_unit_check_history_candles_SOURCES = tests/unit/check_history_candles.c $(GW_FIXTURE) \
	$(GW_WIRE)
tests_unit_check_history_candles_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_history_candles_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
GW_UNIT_TESTS += tests/unit/check_stats
tests_unit_check_stats_SOURCES = tests/unit/check_stats.c $(GW_FIXTURE) $(GW_WIRE)
tests_unit_check_stats_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_stats_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
GW_UNIT_TESTS += tests/unit/check_gateway
tests_unit_check_gateway_SOURCES = tests/unit/check_gateway.c $(GW_FIXTURE) $(GW_WIRE)
tests_unit_check_gateway_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_gateway_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)

# The Socket.IO endpoint (issue #17): one program per module, each a client
# of the endpoint on loopback (sio_client), the session table also driven
# directly.
SIO_CLIENT = tests/unit/sio_client.c tests/unit/sio_client.h
GW_UNIT_TESTS += tests/unit/check_socketio
tests_unit_check_socketio_SOURCES = tests/unit/check_socketio.c $(GW_FIXTURE) $(GW_WIRE) \
	$(SIO_CLIENT)
tests_unit_check_socketio_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_socketio_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
GW_UNIT_TESTS += tests/unit/check_sio_events
tests_unit_check_sio_events_SOURCES = tests/unit/check_sio_events.c $(GW_FIXTURE) $(GW_WIRE) \
	$(SIO_CLIENT)
tests_unit_check_sio_events_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_sio_events_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)
GW_UNIT_TESTS += tests/unit/check_sio_session
tests_unit_check_sio_session_SOURCES = tests/unit/check_sio_session.c $(GW_FIXTURE) $(GW_WIRE) \
	$(SIO_CLIENT)
tests_unit_check_sio_session_CFLAGS = $(UNIT_CFLAGS) $(GATEWAY_CFLAGS)
tests_unit_check_sio_session_LDADD = $(GATEWAY_LIBS) $(UNIT_LIBS)

# 21-candles-serve.sh: the feeder's candles of the market data as the gateway
# and cryptopulse-fcgi serve them, against candles computed in the test.
# 22-candles-apache.sh: the same through the shipped Apache site, ETag/304 kept.
INTEGRATION_TESTS += tests/integration/21-candles-serve.sh tests/integration/22-candles-apache.sh
dist_noinst_SCRIPTS += tests/integration/21-candles-serve.sh tests/integration/candles_serve.py \
	tests/integration/22-candles-apache.sh
# The README's /history row (Performance): bench/history_bench.sh [SECONDS] [CONCURRENCY].
EXTRA_DIST += bench/history_bench.sh
