# apache/, lighttpd/, etc/: sample web-server configurations and the sample
# settings file, installed under $(sysconfdir)/cryptopulse.  The @bindir@ and
# @pkgdatadir@ paths are filled in at make time, not by configure, so that
# "make prefix=..." and "make install prefix=..." get the right paths too.
#
# The site files are the operator's to edit, so they behave as Debian's
# conffiles: make install always writes the fresh one as
# cryptopulse.conf.sample and copies it to cryptopulse.conf only when there is
# none; make uninstall removes cryptopulse.conf only when it is unedited.
apacheconfdir = $(sysconfdir)/cryptopulse/apache2
lighttpdconfdir = $(sysconfdir)/cryptopulse/lighttpd
noinst_DATA = apache/cryptopulse.conf lighttpd/cryptopulse.conf
sampleconfdir = $(sysconfdir)/cryptopulse
dist_sampleconf_DATA = etc/cryptopulse.env.sample

# install_conffile FILE DIR: DIR/cryptopulse.conf.sample, and
# DIR/cryptopulse.conf unless it exists.
install_conffile = install_conffile() { \
	$(MKDIR_P) "$(DESTDIR)$$2" && \
	$(INSTALL_DATA) "$$1" "$(DESTDIR)$$2/cryptopulse.conf.sample" && \
	if test -e "$(DESTDIR)$$2/cryptopulse.conf"; then \
		cmp -s "$$1" "$(DESTDIR)$$2/cryptopulse.conf" || \
		echo "keeping $(DESTDIR)$$2/cryptopulse.conf (edited); the new one is cryptopulse.conf.sample"; \
	else $(INSTALL_DATA) "$$1" "$(DESTDIR)$$2/cryptopulse.conf"; fi; }
uninstall_conffile = uninstall_conffile() { \
	if cmp -s "$(DESTDIR)$$1/cryptopulse.conf" "$(DESTDIR)$$1/cryptopulse.conf.sample"; then \
		rm -f "$(DESTDIR)$$1/cryptopulse.conf"; \
	elif test -e "$(DESTDIR)$$1/cryptopulse.conf"; then \
		echo "keeping $(DESTDIR)$$1/cryptopulse.conf (edited)"; fi; \
	rm -f "$(DESTDIR)$$1/cryptopulse.conf.sample"; }

install-data-local: $(noinst_DATA)
	@$(install_conffile); \
	install_conffile apache/cryptopulse.conf "$(apacheconfdir)" && \
	install_conffile lighttpd/cryptopulse.conf "$(lighttpdconfdir)"
uninstall-local:
	@$(uninstall_conffile); \
	uninstall_conffile "$(apacheconfdir)"; uninstall_conffile "$(lighttpdconfdir)"

EXTRA_DIST += apache/cryptopulse.conf.in lighttpd/cryptopulse.conf.in
CLEANFILES += apache/cryptopulse.conf lighttpd/cryptopulse.conf

web_conf_edit = sed \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g'

apache/cryptopulse.conf: $(srcdir)/apache/cryptopulse.conf.in Makefile lib/paths.h
	$(AM_V_GEN)$(MKDIR_P) apache && rm -f $@ $@.tmp && \
	$(web_conf_edit) $(srcdir)/apache/cryptopulse.conf.in >$@.tmp && mv $@.tmp $@

lighttpd/cryptopulse.conf: $(srcdir)/lighttpd/cryptopulse.conf.in Makefile lib/paths.h
	$(AM_V_GEN)$(MKDIR_P) lighttpd && rm -f $@ $@.tmp && \
	$(web_conf_edit) $(srcdir)/lighttpd/cryptopulse.conf.in >$@.tmp && mv $@.tmp $@
