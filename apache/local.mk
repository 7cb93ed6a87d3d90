# apache/, lighttpd/, etc/: sample web-server configurations and the sample
# settings file, installed under $(sysconfdir)/cryptopulse.  The @bindir@ and
# @pkgdatadir@ paths are filled in at make time, not by configure, so that
# "make prefix=..." and "make install prefix=..." get the right paths too.
apacheconfdir = $(sysconfdir)/cryptopulse/apache2
apacheconf_DATA = apache/cryptopulse.conf
lighttpdconfdir = $(sysconfdir)/cryptopulse/lighttpd
lighttpdconf_DATA = lighttpd/cryptopulse.conf
sampleconfdir = $(sysconfdir)/cryptopulse
dist_sampleconf_DATA = etc/cryptopulse.env.sample

EXTRA_DIST += apache/cryptopulse.conf.in lighttpd/cryptopulse.conf.in
CLEANFILES += apache/cryptopulse.conf lighttpd/cryptopulse.conf

web_conf_edit = sed \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g'

apache/cryptopulse.conf: $(srcdir)/apache/cryptopulse.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) apache && rm -f $@ $@.tmp && \
	$(web_conf_edit) $(srcdir)/apache/cryptopulse.conf.in >$@.tmp && mv $@.tmp $@

lighttpd/cryptopulse.conf: $(srcdir)/lighttpd/cryptopulse.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) lighttpd && rm -f $@ $@.tmp && \
	$(web_conf_edit) $(srcdir)/lighttpd/cryptopulse.conf.in >$@.tmp && mv $@.tmp $@
