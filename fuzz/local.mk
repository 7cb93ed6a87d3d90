# fuzz/: libFuzzer harnesses, one per parser that meets untrusted bytes
# (fuzz/<target>.c), their seed corpora (fuzz/corpus/<target>/) and every
# input that once crashed one (fuzz/regressions/<target>/).
#   - Every build links each harness with replay_main.c as a plain program,
#     and make check replays corpus and regressions through it (replay.sh).
#   - ./configure --enable-fuzzing CC=clang also links each with libFuzzer;
#     make fuzz FUZZ_SECONDS=N then fuzzes each for N seconds (run.sh);
#     scripts/fuzz.sh does the whole out-of-tree build.
FUZZ_TARGETS = http ws sse proto tick candle eio
FUZZ_SECONDS = 60
FUZZ_GATEWAY_LIBS = $(GATEWAY_LIBS) $(LIBEVENT_LIBS) $(JANSSON_LIBS)
FUZZ_WSPROTO_CFLAGS = $(AM_CFLAGS) $(WSPROTO_CFLAGS)
FUZZ_FEEDER_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/feeder -I$(top_srcdir)/fuzz

FUZZ_REPLAYERS = fuzz/replay-http fuzz/replay-ws fuzz/replay-sse fuzz/replay-proto \
	fuzz/replay-tick fuzz/replay-candle fuzz/replay-eio
check_PROGRAMS += $(FUZZ_REPLAYERS)
fuzz_replay_http_SOURCES = fuzz/http.c fuzz/replay_main.c fuzz/fuzz.h
fuzz_replay_http_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_replay_http_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_replay_ws_SOURCES = fuzz/ws.c fuzz/replay_main.c fuzz/fuzz.h
fuzz_replay_ws_CFLAGS = $(FUZZ_WSPROTO_CFLAGS)
fuzz_replay_ws_LDADD = $(WSPROTO_LIBS)
fuzz_replay_sse_SOURCES = fuzz/sse.c fuzz/replay_main.c fuzz/fuzz.h
fuzz_replay_sse_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_replay_sse_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_replay_proto_SOURCES = fuzz/proto.c fuzz/replay_main.c fuzz/fuzz.h
fuzz_replay_proto_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_replay_proto_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_replay_tick_SOURCES = fuzz/tick.c fuzz/replay_main.c fuzz/fuzz.h
fuzz_replay_tick_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_replay_tick_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_replay_candle_SOURCES = fuzz/candle.c fuzz/replay_main.c fuzz/fuzz.h
fuzz_replay_candle_CFLAGS = $(FUZZ_FEEDER_CFLAGS)
fuzz_replay_candle_LDADD = $(FEEDER_LIBS)
fuzz_replay_eio_SOURCES = fuzz/eio.c fuzz/replay_main.c fuzz/fuzz.h
fuzz_replay_eio_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_replay_eio_LDADD = $(FUZZ_GATEWAY_LIBS)

TESTS += fuzz/replay.sh
dist_noinst_SCRIPTS += fuzz/replay.sh fuzz/run.sh scripts/fuzz.sh
EXTRA_DIST += fuzz/corpus fuzz/regressions

if FUZZING
FUZZERS = fuzz/fuzz-http fuzz/fuzz-ws fuzz/fuzz-sse fuzz/fuzz-proto fuzz/fuzz-tick \
	fuzz/fuzz-candle fuzz/fuzz-eio
noinst_PROGRAMS += $(FUZZERS)
fuzz_fuzz_http_SOURCES = fuzz/http.c fuzz/fuzz.h
fuzz_fuzz_http_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_fuzz_http_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_http_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_fuzz_ws_SOURCES = fuzz/ws.c fuzz/fuzz.h
fuzz_fuzz_ws_CFLAGS = $(FUZZ_WSPROTO_CFLAGS)
fuzz_fuzz_ws_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_ws_LDADD = $(WSPROTO_LIBS)
fuzz_fuzz_sse_SOURCES = fuzz/sse.c fuzz/fuzz.h
fuzz_fuzz_sse_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_fuzz_sse_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_sse_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_fuzz_proto_SOURCES = fuzz/proto.c fuzz/fuzz.h
fuzz_fuzz_proto_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_fuzz_proto_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_proto_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_fuzz_tick_SOURCES = fuzz/tick.c fuzz/fuzz.h
fuzz_fuzz_tick_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_fuzz_tick_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_tick_LDADD = $(FUZZ_GATEWAY_LIBS)
fuzz_fuzz_candle_SOURCES = fuzz/candle.c fuzz/fuzz.h
fuzz_fuzz_candle_CFLAGS = $(FUZZ_FEEDER_CFLAGS)
fuzz_fuzz_candle_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_candle_LDADD = $(FEEDER_LIBS)
fuzz_fuzz_eio_SOURCES = fuzz/eio.c fuzz/fuzz.h
fuzz_fuzz_eio_CFLAGS = $(GATEWAY_CFLAGS)
fuzz_fuzz_eio_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_eio_LDADD = $(FUZZ_GATEWAY_LIBS)

# Each fuzzer for FUZZ_SECONDS on a copy of its corpus and regressions, in
# fuzz/run/<target>/; fails, naming the reproducer, if any crashed.
fuzz: $(FUZZERS)
	$(AM_V_at)$(SHELL) $(srcdir)/fuzz/run.sh '$(srcdir)/fuzz' fuzz '$(FUZZ_SECONDS)' $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz: configure with --enable-fuzzing CC=clang first (or run scripts/fuzz.sh)" >&2; exit 1
endif
.PHONY: fuzz
clean-local: clean-local-fuzz
clean-local-fuzz:
	-rm -rf fuzz/run
.PHONY: clean-local-fuzz
