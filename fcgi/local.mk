# fcgi/: cryptopulse-fcgi, the /health handler run by Apache (mod_proxy_fcgi,
# mod_fcgid, mod_cgi) or lighttpd (mod_fastcgi).  The pure modules (routing,
# health JSON, reply bytes) and the Redis probe go into libcpfcgi.a, which the
# program and tests/unit/check_health link.
noinst_LIBRARIES += fcgi/libcpfcgi.a
fcgi_libcpfcgi_a_SOURCES = \
	fcgi/route.c fcgi/route.h \
	fcgi/health.c fcgi/health.h \
	fcgi/reply.c fcgi/reply.h \
	fcgi/probe.c fcgi/probe.h
fcgi_libcpfcgi_a_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS)

bin_PROGRAMS += fcgi/cryptopulse-fcgi
fcgi_cryptopulse_fcgi_SOURCES = fcgi/fcgi_main.c
fcgi_cryptopulse_fcgi_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(JANSSON_CFLAGS)
fcgi_cryptopulse_fcgi_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(HIREDIS_LIBS) \
	$(FCGI_LIBS) $(JANSSON_LIBS)
dist_man_MANS += man/cryptopulse-fcgi.1

check_PROGRAMS += tests/unit/check_health
UNIT_TESTS += tests/unit/check_health
tests_unit_check_health_SOURCES = tests/unit/check_health.c tests/unit/check_main.h
tests_unit_check_health_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fcgi
tests_unit_check_health_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_check_health_LDADD = fcgi/libcpfcgi.a $(CPCOMMON_LIBS) $(UNIT_LIBS)

INTEGRATION_TESTS += tests/integration/30-fcgi-health.sh
dist_noinst_SCRIPTS += tests/integration/30-fcgi-health.sh
