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
	www/package.json
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
