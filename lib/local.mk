# lib/: code shared by more than one program (configuration, logging, Redis
# key names, the price JSON shape, tick ids).
noinst_LIBRARIES += lib/libcpcommon.a
lib_libcpcommon_a_SOURCES = \
	lib/cp_error.c lib/cp_error.h \
	lib/xalloc.c lib/xalloc.h \
	lib/log.c lib/log.h \
	lib/conf.c lib/conf.h \
	lib/confval.c lib/confval.h \
	lib/keys.c lib/keys.h \
	lib/price.c lib/price.h \
	lib/tickid.c lib/tickid.h \
	lib/sentinel.c lib/sentinel.h \
	lib/latency.c lib/latency.h \
	lib/metrics.c lib/metrics.h \
	lib/urlcode.c lib/urlcode.h \
	lib/history.c lib/history.h \
	lib/strlist.c lib/strlist.h
lib_libcpcommon_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(HIREDIS_CFLAGS)
CPCOMMON_LIBS = lib/libcpcommon.a $(JANSSON_LIBS) $(HIREDIS_LIBS)

# Unit tests of lib/ modules kept here rather than in tests/local.mk.
check_PROGRAMS += tests/unit/check_log
UNIT_TESTS += tests/unit/check_log
tests_unit_check_log_SOURCES = tests/unit/check_log.c tests/unit/check_main.h
tests_unit_check_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_log_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)

check_PROGRAMS += tests/unit/check_strlist
UNIT_TESTS += tests/unit/check_strlist
tests_unit_check_strlist_SOURCES = tests/unit/check_strlist.c tests/unit/check_main.h
tests_unit_check_strlist_CFLAGS = $(UNIT_CFLAGS)
tests_unit_check_strlist_LDADD = $(CPCOMMON_LIBS) $(UNIT_LIBS)
