# fcgi/: cryptopulse-fcgi, the /health, /stats and /history handler run by
# Apache (mod_proxy_fcgi, mod_fcgid, mod_cgi) or lighttpd (mod_fastcgi).  The
# pure modules (routing, reply bytes), the Redis probe and the request
# handlers go into libcpfcgi.a, which the program and the tests link; the
# /health rule itself is lib/health.
noinst_LIBRARIES += fcgi/libcpfcgi.a
fcgi_libcpfcgi_a_SOURCES = \
	fcgi/route.c fcgi/route.h \
	fcgi/reply.c fcgi/reply.h \
	fcgi/probe.c fcgi/probe.h \
	fcgi/handlers.c fcgi/handlers.h
fcgi_libcpfcgi_a_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS)

bin_PROGRAMS += fcgi/cryptopulse-fcgi
fcgi_cryptopulse_fcgi_SOURCES = fcgi/fcgi_main.c
fcgi_cryptopulse_fcgi_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS)
fcgi_cryptopulse_fcgi_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(HIREDIS_LIBS) \
	$(FCGI_LIBS) $(JANSSON_LIBS)
dist_man_MANS += man/cryptopulse-fcgi.1

# Each fcgi module has its own test; check_probe and check_handlers run a
# redis-server.
FCGI_UNIT_TESTS = tests/unit/check_route tests/unit/check_reply tests/unit/check_probe \
	tests/unit/check_handlers tests/unit/check_handlers_candles
check_PROGRAMS += $(FCGI_UNIT_TESTS)
UNIT_TESTS += $(FCGI_UNIT_TESTS)
tests_unit_check_route_SOURCES = tests/unit/check_route.c tests/unit/check_main.h
tests_unit_check_route_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fcgi
tests_unit_check_route_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_route_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_reply_SOURCES = tests/unit/check_reply.c tests/unit/check_main.h
tests_unit_check_reply_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fcgi
tests_unit_check_reply_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_reply_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_probe_SOURCES = tests/unit/check_probe.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_probe_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fcgi
tests_unit_check_probe_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_check_probe_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_handlers_SOURCES = tests/unit/check_handlers.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h \
	tests/unit/stderr_capture.c tests/unit/stderr_capture.h
tests_unit_check_handlers_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fcgi
tests_unit_check_handlers_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_handlers_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_handlers_candles_SOURCES = tests/unit/check_handlers_candles.c \
	tests/unit/check_main.h tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_handlers_candles_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fcgi
tests_unit_check_handlers_candles_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_handlers_candles_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(UNIT_LIBS)

INTEGRATION_TESTS += tests/integration/30-fcgi-health.sh
dist_noinst_SCRIPTS += tests/integration/30-fcgi-health.sh
