# tests/: Check unit tests (tests/unit/check_<module>.c, one program per
# module) and integration tests against real servers (tests/integration/).
# Each folder's local.mk adds its own unit-test programs to UNIT_TESTS.
UNIT_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(JANSSON_CFLAGS)
UNIT_LIBS = $(CHECK_LIBS)

# The lib/ tests are declared in lib/local.mk, next to their modules.

# Unit tests first, then integration tests (which need the built programs).
TESTS += $(UNIT_TESTS) $(INTEGRATION_TESTS)

INTEGRATION_TESTS += \
	tests/integration/05-help-man.sh tests/integration/06-quickstart.sh tests/integration/07-install.sh tests/integration/20-e2e-replay.sh \
	tests/integration/40-ws-http-edges.sh tests/integration/41-ws-node.sh \
	tests/integration/43-tcp-nodelay.sh tests/integration/46-bad-ticks.sh \
	tests/integration/45-ws-slow-consumer.sh tests/integration/48-gateway-signals.sh \
	tests/integration/49-sighup-reload.sh tests/integration/61-cluster-reload.sh \
	tests/integration/68-systemd-reload.sh \
	tests/integration/50-sse-resume.sh tests/integration/60-cluster-workers.sh \
	tests/integration/62-redis-outage.sh tests/integration/63-redis-sentinel.sh \
	tests/integration/47-tls.sh tests/integration/90-faults.sh \
	tests/integration/44-connection-log.sh tests/integration/09-logs.sh \
	tests/integration/64-redis-down-log.sh tests/integration/08-original-env.sh \
	tests/integration/04-settings-documented.sh tests/integration/60-cluster-socketio.sh
dist_noinst_SCRIPTS += tests/integration/05-help-man.sh tests/integration/06-quickstart.sh tests/integration/07-install.sh tests/integration/20-e2e-replay.sh \
	tests/integration/40-ws-http-edges.sh tests/integration/41-ws-node.sh \
	tests/integration/43-tcp-nodelay.sh tests/integration/45-ws-slow-consumer.sh \
	tests/integration/46-bad-ticks.sh \
	tests/integration/48-gateway-signals.sh tests/integration/lib.sh \
	tests/integration/49-sighup-reload.sh tests/integration/61-cluster-reload.sh \
	tests/integration/68-systemd-reload.sh \
	tests/integration/ws_client.py tests/integration/ws_raw.py \
	tests/integration/50-sse-resume.sh tests/integration/sse_client.py tests/integration/sse_cut.py tests/integration/sse_replay_edges.py \
	tests/integration/60-cluster-workers.sh tests/integration/62-redis-outage.sh \
	tests/integration/63-redis-sentinel.sh tests/integration/47-tls.sh \
	tests/integration/90-faults.sh \
	tests/integration/44-connection-log.sh tests/integration/09-logs.sh \
	tests/integration/64-redis-down-log.sh tests/integration/08-original-env.sh \
	tests/integration/04-settings-documented.sh tests/integration/60-cluster-socketio.sh
# The Node.js client of 41-ws-node.sh.  The test installs its npm dependency
# (ws, from the lock file) into the build tree; clean removes it again.
EXTRA_DIST += tests/integration/node/package.json tests/integration/node/package-lock.json \
	tests/integration/node/ws_node_client.js
clean-local: clean-local-node
clean-local-node:
	-rm -rf tests/integration/node/node_modules
	-test '$(srcdir)' = . || rm -f tests/integration/node/package.json \
		tests/integration/node/package-lock.json tests/integration/node/ws_node_client.js
.PHONY: clean-local-node

# Integration tests find the build tree and ../shared through the environment.
AM_TESTS_ENVIRONMENT = \
	top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	export top_builddir top_srcdir;

# 70-browser-dashboard.sh: headless Chromium through playwright-core, which the
# test installs from the lock file into the build tree; clean removes it and
# the screenshots (tests/integration/browser/output/) again.
INTEGRATION_TESTS += tests/integration/70-browser-dashboard.sh
dist_noinst_SCRIPTS += tests/integration/70-browser-dashboard.sh
EXTRA_DIST += tests/integration/browser/package.json tests/integration/browser/package-lock.json \
	tests/integration/browser/dashboard_test.js
# 71-browser-candles.sh: the candlestick chart, the same way from its own
# folder (tests/integration/candles_browser/output/ has its screenshots).
INTEGRATION_TESTS += tests/integration/71-browser-candles.sh
dist_noinst_SCRIPTS += tests/integration/71-browser-candles.sh
EXTRA_DIST += tests/integration/candles_browser/package.json \
	tests/integration/candles_browser/package-lock.json \
	tests/integration/candles_browser/candles_test.js tests/integration/candles_browser/candles_fixture.py
# 72-browser-client.sh: cryptopulse.js and <cryptopulse-ticker> on the
# example page, the same way from its own folder
# (tests/integration/client_browser/output/ has its screenshots).
INTEGRATION_TESTS += tests/integration/72-browser-client.sh
dist_noinst_SCRIPTS += tests/integration/72-browser-client.sh
EXTRA_DIST += tests/integration/client_browser/package.json \
	tests/integration/client_browser/package-lock.json \
	tests/integration/client_browser/client_test.js
clean-local: clean-local-browser
clean-local-browser:
	-rm -rf tests/integration/browser/node_modules tests/integration/browser/output
	-rm -rf tests/integration/candles_browser/node_modules tests/integration/candles_browser/output
	-rm -rf tests/integration/client_browser/node_modules tests/integration/client_browser/output
	-rm -f tests/integration/.browser.lock
	-test '$(srcdir)' = . || rm -f tests/integration/browser/package.json \
		tests/integration/browser/package-lock.json tests/integration/browser/dashboard_test.js \
		tests/integration/candles_browser/package.json tests/integration/candles_browser/package-lock.json \
		tests/integration/candles_browser/candles_test.js tests/integration/candles_browser/candles_fixture.py \
		tests/integration/client_browser/package.json tests/integration/client_browser/package-lock.json \
		tests/integration/client_browser/client_test.js
.PHONY: clean-local-browser

# 65-proxy-apache.sh, 66-proxy-lighttpd.sh: the shipped site configurations
# (apache/, lighttpd/ in the build tree) in private instances of the real
# servers, which scripts/install-deps.sh installs.
# 67-proxy-health-checks.sh: Apache's health checks on /health/live keep a
# gateway whose feeder is gone and take out one that is down.
INTEGRATION_TESTS += tests/integration/65-proxy-apache.sh tests/integration/66-proxy-lighttpd.sh \
	tests/integration/67-proxy-health-checks.sh
dist_noinst_SCRIPTS += tests/integration/65-proxy-apache.sh \
	tests/integration/66-proxy-lighttpd.sh tests/integration/proxy_lib.sh \
	tests/integration/67-proxy-health-checks.sh tests/integration/apache_lib.sh \
	tests/integration/proxy_client.py

# 42-socketio-node.sh (direct) and 69-proxy-socketio.sh (through Apache and
# lighttpd, two gateways behind each): the real socket.io-client 4.x, which
# the tests install from the lock file into the build tree; clean removes it.
INTEGRATION_TESTS += tests/integration/42-socketio-node.sh tests/integration/69-proxy-socketio.sh
dist_noinst_SCRIPTS += tests/integration/42-socketio-node.sh tests/integration/69-proxy-socketio.sh
EXTRA_DIST += tests/integration/socketio/package.json tests/integration/socketio/package-lock.json \
	tests/integration/socketio/sio_client.js
clean-local: clean-local-socketio
clean-local-socketio:
	-rm -rf tests/integration/socketio/node_modules
	-test '$(srcdir)' = . || rm -f tests/integration/socketio/package.json \
		tests/integration/socketio/package-lock.json tests/integration/socketio/sio_client.js
.PHONY: clean-local-socketio

# tests/js/: the client library www/cryptopulse.js. run.sh runs its unit
# tests in Node's test runner (fakes, no network); npm-install.sh installs
# the npm tarball below offline into a fresh project; types.sh has
# TypeScript (from its lock file) check the JSDoc types as an editor would.
# All skip without Node.js 20. make check-js runs just these three.
TESTS += tests/js/run.sh tests/js/npm-install.sh tests/js/types.sh
dist_noinst_SCRIPTS += tests/js/run.sh tests/js/npm-install.sh tests/js/types.sh
EXTRA_DIST += tests/js/fakes.mjs tests/js/connection.test.mjs tests/js/client.test.mjs \
	tests/js/share.test.mjs tests/js/types/package.json tests/js/types/package-lock.json \
	tests/js/types/consumer.ts
check-js:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/js/run.sh tests/js/npm-install.sh tests/js/types.sh'
.PHONY: check-js
clean-local: clean-local-js-types
clean-local-js-types:
	-rm -rf tests/js/types/node_modules tests/js/types/npm.log
	-test '$(srcdir)' = . || rm -f tests/js/types/package.json tests/js/types/package-lock.json
.PHONY: clean-local-js-types
