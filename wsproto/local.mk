# wsproto/: the WebSocket protocol cores shared by every program that speaks
# RFC 6455 — ws (server side: accept key, frame headers, parser of client
# frames, UTF-8), wsc (client side: opening request, 101 check, decoder of
# server frames, masked encoder) and deflate (permessage-deflate, RFC 7692).
# No I/O and no libevent: the gateway, the load tool, the feeder and the fuzz
# harnesses link wsproto/libwsproto.a, and so do the unit tests.
noinst_LIBRARIES += wsproto/libwsproto.a
wsproto_libwsproto_a_SOURCES = \
	wsproto/ws.c wsproto/ws.h \
	wsproto/wsc.c wsproto/wsc.h \
	wsproto/deflate.c wsproto/deflate.h
WSPROTO_CFLAGS = -I$(top_srcdir)/wsproto $(OPENSSL_CFLAGS) $(ZLIB_CFLAGS)
WSPROTO_LIBS = wsproto/libwsproto.a $(CPCOMMON_LIBS) $(OPENSSL_LIBS) $(ZLIB_LIBS)
wsproto_libwsproto_a_CFLAGS = $(AM_CFLAGS) $(WSPROTO_CFLAGS)

check_PROGRAMS += tests/unit/check_ws tests/unit/check_wsc tests/unit/check_deflate
UNIT_TESTS += tests/unit/check_ws tests/unit/check_wsc tests/unit/check_deflate
tests_unit_check_ws_SOURCES = tests/unit/check_ws.c tests/unit/check_main.h
tests_unit_check_ws_CFLAGS = $(UNIT_CFLAGS) $(WSPROTO_CFLAGS)
tests_unit_check_ws_LDADD = $(WSPROTO_LIBS) $(UNIT_LIBS)
tests_unit_check_wsc_SOURCES = tests/unit/check_wsc.c tests/unit/check_main.h
tests_unit_check_wsc_CFLAGS = $(UNIT_CFLAGS) $(WSPROTO_CFLAGS)
tests_unit_check_wsc_LDADD = $(WSPROTO_LIBS) $(UNIT_LIBS)
tests_unit_check_deflate_SOURCES = tests/unit/check_deflate.c tests/unit/check_main.h \
	tests/unit/deflate_assert.h
tests_unit_check_deflate_CFLAGS = $(UNIT_CFLAGS) $(WSPROTO_CFLAGS) $(ZLIB_CFLAGS)
tests_unit_check_deflate_LDADD = $(WSPROTO_LIBS) $(ZLIB_LIBS) $(UNIT_LIBS)
