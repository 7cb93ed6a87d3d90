# bench/: cryptopulse-floor, the benchmark's floor (issue 20): a minimal epoll
# WebSocket server that bench/run.sh measures beside the gateway and nchan.
# Built with the rest (so that it cannot rot), never installed.
noinst_PROGRAMS += bench/cryptopulse-floor
bench_cryptopulse_floor_SOURCES = bench/floor.c
bench_cryptopulse_floor_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(OPENSSL_CFLAGS)
bench_cryptopulse_floor_LDADD = $(WSPROTO_LIBS) $(HIREDIS_LIBS)

# 81: the floor's handshake and frames; 82: cryptopulse-load --storm against
# a gateway stopped and started again; 83: bench/run.sh and its tables at a
# small N.
INTEGRATION_TESTS += tests/integration/81-bench-floor.sh tests/integration/82-load-storm.sh \
	tests/integration/83-bench-run.sh
dist_noinst_SCRIPTS += tests/integration/81-bench-floor.sh tests/integration/82-load-storm.sh \
	tests/integration/83-bench-run.sh
