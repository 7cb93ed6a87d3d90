# load/: cryptopulse-load, the load generator and meter.  Every module but
# main() is in a noinst library shared with the unit tests: the parent's
# cli (options), spawn (worker processes), reports (their pipes), procstat
# (the server's RSS and CPU) and summary (progress, table, JSON line); the
# worker (its clients and schedule); and the pure cores — ssec (SSE),
# scan (price messages), sioc (Socket.IO packets), lstats (histograms),
# phase (the plan), verdict, lopts and ticktab.  The client side of WebSocket (wsc), frame headers and
# inflation come from wsproto/libwsproto.a.
noinst_LIBRARIES += load/libload.a
load_libload_a_SOURCES = \
	load/lstats.c load/lstats.h \
	load/phase.c load/phase.h \
	load/ssec.c load/ssec.h \
	load/scan.c load/scan.h \
	load/sioc.c load/sioc.h \
	load/verdict.c load/verdict.h \
	load/lopts.c load/lopts.h \
	load/ticktab.c load/ticktab.h \
	load/cli.c load/cli.h \
	load/procstat.c load/procstat.h \
	load/reports.c load/reports.h \
	load/summary.c load/summary.h \
	load/spawn.c load/spawn.h \
	load/client.c load/client.h \
	load/worker.c load/load.c load/load.h
LOAD_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/load $(WSPROTO_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(JANSSON_CFLAGS)
LOAD_LIBS = load/libload.a $(WSPROTO_LIBS) $(LIBEVENT_LIBS)
load_libload_a_CFLAGS = $(LOAD_CFLAGS)

bin_PROGRAMS += load/cryptopulse-load
load_cryptopulse_load_SOURCES = load/load_main.c
load_cryptopulse_load_CFLAGS = $(LOAD_CFLAGS)
load_cryptopulse_load_LDADD = $(LOAD_LIBS)
dist_man_MANS += man/cryptopulse-load.1

# Unit tests: one program per module (tests/unit/check_<module>.c), linked
# with the same library as the program.
LOAD_UNIT_TESTS = tests/unit/check_lstats tests/unit/check_phase tests/unit/check_ssec \
	tests/unit/check_scan tests/unit/check_sioc tests/unit/check_verdict tests/unit/check_lopts \
	tests/unit/check_ticktab tests/unit/check_cli tests/unit/check_procstat \
	tests/unit/check_reports tests/unit/check_summary tests/unit/check_spawn \
	tests/unit/check_client tests/unit/check_worker tests/unit/check_load
check_PROGRAMS += $(LOAD_UNIT_TESTS)
UNIT_TESTS += $(LOAD_UNIT_TESTS)
tests_unit_check_lstats_SOURCES = tests/unit/check_lstats.c tests/unit/check_main.h
tests_unit_check_lstats_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_lstats_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_phase_SOURCES = tests/unit/check_phase.c tests/unit/check_main.h
tests_unit_check_phase_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_phase_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_ssec_SOURCES = tests/unit/check_ssec.c tests/unit/check_main.h
tests_unit_check_ssec_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_ssec_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_scan_SOURCES = tests/unit/check_scan.c tests/unit/check_main.h
tests_unit_check_scan_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_scan_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_sioc_SOURCES = tests/unit/check_sioc.c tests/unit/check_main.h
tests_unit_check_sioc_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_sioc_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_verdict_SOURCES = tests/unit/check_verdict.c tests/unit/check_main.h
tests_unit_check_verdict_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_verdict_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_lopts_SOURCES = tests/unit/check_lopts.c tests/unit/check_main.h
tests_unit_check_lopts_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_lopts_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_ticktab_SOURCES = tests/unit/check_ticktab.c tests/unit/check_main.h
tests_unit_check_ticktab_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_ticktab_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_cli_SOURCES = tests/unit/check_cli.c tests/unit/check_main.h
tests_unit_check_cli_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_cli_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_procstat_SOURCES = tests/unit/check_procstat.c tests/unit/check_main.h
tests_unit_check_procstat_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_procstat_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_reports_SOURCES = tests/unit/check_reports.c tests/unit/check_main.h
tests_unit_check_reports_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_reports_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_summary_SOURCES = tests/unit/check_summary.c tests/unit/check_main.h
tests_unit_check_summary_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_summary_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_load_SOURCES = tests/unit/check_load.c tests/unit/check_main.h
tests_unit_check_load_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_load_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_spawn_SOURCES = tests/unit/check_spawn.c tests/unit/check_main.h
tests_unit_check_spawn_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_spawn_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
# check_client and check_worker run the clients against a tiny scripted
# server of their own (tests/unit/tiny_server.h) on 127.0.0.1.
tests_unit_check_client_SOURCES = tests/unit/check_client.c tests/unit/check_main.h \
	tests/unit/tiny_server.h
tests_unit_check_client_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_client_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)
tests_unit_check_worker_SOURCES = tests/unit/check_worker.c tests/unit/check_main.h \
	tests/unit/tiny_server.h
tests_unit_check_worker_CFLAGS = $(UNIT_CFLAGS) $(LOAD_CFLAGS)
tests_unit_check_worker_LDADD = $(LOAD_LIBS) $(UNIT_LIBS)

INTEGRATION_TESTS += tests/integration/80-load-small.sh
dist_noinst_SCRIPTS += tests/integration/80-load-small.sh

# The benchmark: not part of make check (it takes minutes and needs nginx
# with nchan for the comparison); see Performance in README.md.  BENCH_ARGS
# passes options to bench/run.sh, e.g. BENCH_ARGS="--only ws-10k --sustain 10".
EXTRA_DIST += bench/run.sh bench/live_soak.sh bench/nchan.conf.in bench/nchan_bridge.py bench/burst.py bench/table.py \
	bench/deps.txt bench/results.md bench/socketio-node/package.json \
	bench/socketio-node/package-lock.json bench/socketio-node/server.js
bench: all
	$(top_srcdir)/bench/run.sh --build '$(abs_top_builddir)' $(BENCH_ARGS)
.PHONY: bench
