# www/: the browser dashboard. Static files (ES modules), no build step;
# installed under $(pkgdatadir)/www, where the gateway serves GET / from
# (PROTOCOL.md section 1) and where Apache can point its DocumentRoot in
# production.
wwwdir = $(pkgdatadir)/www
dist_www_DATA = \
	www/index.html \
	www/app.js \
	www/chart.js \
	www/format.js \
	www/watchlist.js \
	www/style.css \
	www/favicon.svg \
	www/candles.js \
	www/cryptopulse.js \
	www/cryptopulse-connection.js \
	www/cryptopulse-share.js \
	www/package.json \
	www/cryptopulse-ticker.js
# An ordinary page embedding <cryptopulse-ticker> (README "Embedding a live
# price"); the gateway serves it as /examples/index.html.
wwwexamplesdir = $(wwwdir)/examples
dist_wwwexamples_DATA = www/examples/index.html
# Third-party code, loaded by a plain <script> tag: TradingView's
# lightweight-charts (Apache-2.0) as npm ships it, with its license and
# notice (README "Price history charts").
wwwvendordir = $(wwwdir)/vendor
dist_wwwvendor_DATA = \
	www/vendor/lightweight-charts.standalone.production.js \
	www/vendor/lightweight-charts.LICENSE \
	www/vendor/lightweight-charts.NOTICE
# The README's screenshot of the dashboard.
EXTRA_DIST += docs/dashboard.png

# The client library as an npm package (README "Client library"), not
# published: make dist (and make check, for tests/js/npm-install.sh) also
# writes cryptopulse-client-<version>.tgz, npm's layout (files under
# package/), with tar so that npm is not needed to build it.
NPM_TARBALL = cryptopulse-client-$(VERSION).tgz
NPM_FILES = www/package.json www/cryptopulse.js www/cryptopulse-connection.js www/cryptopulse-share.js \
	www/format.js
# The widget, when the tree has it (package.json lists it).
NPM_OPTIONAL = www/cryptopulse-ticker.js
$(NPM_TARBALL): $(NPM_FILES:%=$(srcdir)/%) $(srcdir)/configure.ac
	$(AM_V_GEN)rm -rf npm-pack.tmp && $(MKDIR_P) npm-pack.tmp/package && \
	for f in $(NPM_FILES) $(NPM_OPTIONAL); do \
		if test -f "$(srcdir)/$$f"; then cp "$(srcdir)/$$f" npm-pack.tmp/package/ || exit 1; fi; \
	done && chmod 644 npm-pack.tmp/package/* && \
	(cd npm-pack.tmp && tar --owner=0 --group=0 --numeric-owner --sort=name -czf ../$@.tmp package) && \
	mv $@.tmp $@ && rm -rf npm-pack.tmp
check_DATA = $(NPM_TARBALL)
dist-hook: $(NPM_TARBALL)
DISTCLEANFILES += $(NPM_TARBALL)
CLEANFILES += $(NPM_TARBALL)
