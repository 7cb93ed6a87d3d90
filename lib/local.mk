# lib/: code shared by more than one program (configuration and the checks
# of its values, logging and outage reports, Redis key names, the price JSON shape, tick ids,
# Sentinel, the blocking Redis connection, comma lists).
noinst_LIBRARIES += lib/libcpcommon.a
lib_libcpcommon_a_SOURCES = \
	lib/cp_error.c lib/cp_error.h \
	lib/xalloc.c lib/xalloc.h \
	lib/log.c lib/log.h \
	lib/outage.c lib/outage.h \
	lib/conf.c lib/conf.h lib/conf_private.h lib/confargs.c \
	lib/conffile.c lib/conffile.h \
	lib/confreload.c lib/confreload.h \
	lib/confval.c lib/confval.h \
	lib/keys.c lib/keys.h \
	lib/price.c lib/price.h \
	lib/tickid.c lib/tickid.h \
	lib/sentinel.c lib/sentinel.h \
	lib/redis_sync.c lib/redis_sync.h \
	lib/latency.c lib/latency.h \
	lib/metrics.c lib/metrics.h \
	lib/urlcode.c lib/urlcode.h \
	lib/history.c lib/history.h \
	lib/candles.c lib/candles.h \
	lib/etag.c lib/etag.h \
	lib/health.c lib/health.h \
	lib/jsontext.c lib/jsontext.h \
	lib/strlist.c lib/strlist.h
lib_libcpcommon_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(HIREDIS_CFLAGS)
# conf.c's defaults name the installation directories (Makefile.am): also when
# a single program is made, before dependency tracking knows.
lib/libcpcommon_a-conf.$(OBJEXT): lib/paths.h
CPCOMMON_LIBS = lib/libcpcommon.a $(JANSSON_LIBS) $(HIREDIS_LIBS)

# Unit tests: one program per lib/ module (tests/unit/check_<module>.c),
# each linking the same library the programs link.
LIB_UNIT_TESTS = tests/unit/check_cp_error tests/unit/check_xalloc tests/unit/check_log tests/unit/check_outage \
	tests/unit/check_conf tests/unit/check_confval tests/unit/check_keys \
	tests/unit/check_price tests/unit/check_tickid tests/unit/check_sentinel \
	tests/unit/check_latency tests/unit/check_metrics tests/unit/check_urlcode \
	tests/unit/check_strlist tests/unit/check_confreload tests/unit/check_candles \
	tests/unit/check_redis_sync
check_PROGRAMS += $(LIB_UNIT_TESTS)
UNIT_TESTS += $(LIB_UNIT_TESTS)
tests_unit_check_cp_error_SOURCES = tests/unit/check_cp_error.c tests/unit/check_main.h
tests_unit_check_cp_error_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_cp_error_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_xalloc_SOURCES = tests/unit/check_xalloc.c tests/unit/check_main.h
tests_unit_check_xalloc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_xalloc_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_outage_SOURCES = tests/unit/check_outage.c tests/unit/check_main.h \
	tests/unit/stderr_capture.c tests/unit/stderr_capture.h
tests_unit_check_outage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_outage_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_log_SOURCES = tests/unit/check_log.c tests/unit/check_main.h \
	tests/unit/stderr_capture.c tests/unit/stderr_capture.h
tests_unit_check_log_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_log_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_conf_SOURCES = tests/unit/check_conf.c tests/unit/check_main.h \
	tests/unit/stderr_capture.c tests/unit/stderr_capture.h
tests_unit_check_conf_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_conf_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_confreload_SOURCES = tests/unit/check_confreload.c tests/unit/check_main.h \
	tests/unit/stderr_capture.c tests/unit/stderr_capture.h
tests_unit_check_confreload_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_confreload_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_confval_SOURCES = tests/unit/check_confval.c tests/unit/check_main.h
tests_unit_check_confval_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_confval_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_keys_SOURCES = tests/unit/check_keys.c tests/unit/check_main.h
tests_unit_check_keys_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_keys_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_price_SOURCES = tests/unit/check_price.c tests/unit/check_main.h
tests_unit_check_price_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_price_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_tickid_SOURCES = tests/unit/check_tickid.c tests/unit/check_main.h
tests_unit_check_tickid_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_tickid_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
# check_redis_sync runs its own redis-server (tests/unit/redis_server.c).
tests_unit_check_redis_sync_SOURCES = tests/unit/check_redis_sync.c tests/unit/check_main.h \
	tests/unit/redis_server.c tests/unit/redis_server.h
tests_unit_check_redis_sync_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_check_redis_sync_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
# check_sentinel starts its own redis-server and redis-sentinel.
tests_unit_check_sentinel_SOURCES = tests/unit/check_sentinel.c tests/unit/check_main.h
tests_unit_check_sentinel_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_sentinel_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_latency_SOURCES = tests/unit/check_latency.c tests/unit/check_main.h
tests_unit_check_latency_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_latency_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_metrics_SOURCES = tests/unit/check_metrics.c tests/unit/check_main.h
tests_unit_check_metrics_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_metrics_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_urlcode_SOURCES = tests/unit/check_urlcode.c tests/unit/check_main.h
tests_unit_check_urlcode_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_urlcode_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_candles_SOURCES = tests/unit/check_candles.c tests/unit/check_main.h
tests_unit_check_candles_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_candles_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
tests_unit_check_strlist_SOURCES = tests/unit/check_strlist.c tests/unit/check_main.h
tests_unit_check_strlist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_strlist_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)

check_PROGRAMS += tests/unit/check_health
UNIT_TESTS += tests/unit/check_health
tests_unit_check_health_SOURCES = tests/unit/check_health.c tests/unit/check_main.h
tests_unit_check_health_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_health_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)

check_PROGRAMS += tests/unit/check_conffile
UNIT_TESTS += tests/unit/check_conffile
tests_unit_check_conffile_SOURCES = tests/unit/check_conffile.c tests/unit/check_main.h
tests_unit_check_conffile_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_conffile_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)

check_PROGRAMS += tests/unit/check_jsontext
UNIT_TESTS += tests/unit/check_jsontext
tests_unit_check_jsontext_SOURCES = tests/unit/check_jsontext.c tests/unit/check_main.h
tests_unit_check_jsontext_CFLAGS = $(UNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_jsontext_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
