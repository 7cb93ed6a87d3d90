# systemd/: unit files for the feeder, the gateway (one instance per port)
# and the FastCGI daemon, with the installed paths filled in at make time
# (web_conf_edit, from apache/local.mk).  Installed under
# $(systemdsystemunitdir), by default $(prefix)/lib/systemd/system; systemd
# reads /lib/systemd/system and /etc/systemd/system, so install with
# prefix=/usr, or "make install systemdsystemunitdir=/etc/systemd/system".
systemdsystemunitdir = $(prefix)/lib/systemd/system
systemdsystemunit_DATA = systemd/cryptopulse-feeder.service \
	systemd/cryptopulse-gateway@.service systemd/cryptopulse-fcgi.service
EXTRA_DIST += systemd/cryptopulse-feeder.service.in \
	systemd/cryptopulse-gateway@.service.in systemd/cryptopulse-fcgi.service.in
CLEANFILES += $(systemdsystemunit_DATA)

unit_edit = $(AM_V_GEN)$(MKDIR_P) systemd && rm -f $@ $@.tmp && \
	$(web_conf_edit) $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@
systemd/cryptopulse-feeder.service: $(srcdir)/systemd/cryptopulse-feeder.service.in Makefile lib/paths.h
	$(unit_edit)
systemd/cryptopulse-gateway@.service: $(srcdir)/systemd/cryptopulse-gateway@.service.in Makefile lib/paths.h
	$(unit_edit)
systemd/cryptopulse-fcgi.service: $(srcdir)/systemd/cryptopulse-fcgi.service.in Makefile lib/paths.h
	$(unit_edit)
