# load/: cryptopulse-load, the load generator and meter.  Its protocol
# modules (SSE parsing, histograms, the phase plan, price scanning) form a
# noinst library shared with the unit tests; the client side of WebSocket
# (wsc), frame headers, accept keys and inflation come from
# wsproto/libwsproto.a.
noinst_LIBRARIES += load/libload.a
load_libload_a_SOURCES = \
	load/lstats.c load/lstats.h \
	load/phase.c load/phase.h \
	load/ssec.c load/ssec.h \
	load/scan.c load/scan.h \
	load/verdict.c load/verdict.h \
	load/lopts.c load/lopts.h \
	load/ticktab.c load/ticktab.h \
	load/worker.c load/load.h
LOAD_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/load $(WSPROTO_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS)
LOAD_LIBS = load/libload.a $(WSPROTO_LIBS) $(LIBEVENT_LIBS)
load_libload_a_CFLAGS = $(LOAD_CFLAGS)

bin_PROGRAMS += load/cryptopulse-load
load_cryptopulse_load_SOURCES = load/load_main.c
load_cryptopulse_load_CFLAGS = $(LOAD_CFLAGS)
load_cryptopulse_load_LDADD = $(LOAD_LIBS)
dist_man_MANS += man/cryptopulse-load.1

LOAD_UNIT_TESTS = tests/unit/check_load_stats \
	tests/unit/check_load_sse tests/unit/check_load_scan tests/unit/check_load_verdict \
	tests/unit/check_load_lopts tests/unit/check_load_ticktab
check_PROGRAMS += $(LOAD_UNIT_TESTS)
UNIT_TESTS += $(LOAD_UNIT_TESTS)
tests_unit_check_load_stats_SOURCES = tests/unit/check_load_stats.c
tests_unit_check_load_stats_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_load_stats_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_load_sse_SOURCES = tests/unit/check_load_sse.c
tests_unit_check_load_sse_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_load_sse_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_load_scan_SOURCES = tests/unit/check_load_scan.c
tests_unit_check_load_scan_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_load_scan_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_load_verdict_SOURCES = tests/unit/check_load_verdict.c
tests_unit_check_load_verdict_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_load_verdict_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_load_lopts_SOURCES = tests/unit/check_load_lopts.c
tests_unit_check_load_lopts_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_load_lopts_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_load_ticktab_SOURCES = tests/unit/check_load_ticktab.c
tests_unit_check_load_ticktab_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_load_ticktab_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)

INTEGRATION_TESTS += tests/integration/80-load-small.sh
dist_noinst_SCRIPTS += tests/integration/80-load-small.sh

# The benchmark: not part of make check (it takes minutes and needs nginx
# with nchan for the comparison); see Performance in README.md.  BENCH_ARGS
# passes options to bench/run.sh, e.g. BENCH_ARGS="--only ws-10k --sustain 10".
EXTRA_DIST += bench/run.sh bench/live_soak.sh bench/nchan.conf.in bench/nchan_bridge.py bench/burst.py bench/table.py \
	bench/deps.txt bench/results.md
bench: all
	$(top_srcdir)/bench/run.sh --build '$(abs_top_builddir)' $(BENCH_ARGS)
.PHONY: bench
