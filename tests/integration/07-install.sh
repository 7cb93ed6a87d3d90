#!/usr/bin/env bash
# 07-install: what `make install` does to an operator's files, and where the
# installed programs look for theirs.
# - make install DESTDIR=... twice, with the installed Apache and lighttpd
#   site files edited between: the edits survive (the fresh versions land
#   beside them as cryptopulse.conf.sample), as Debian's conffiles do;
#   make uninstall leaves edited files and removes what it installed.
# - configure --prefix=A, make, configure --prefix=B, make in one tree (a
#   copy made with `make distdir`): the gateway's default WWW_ROOT (shown by
#   --help) names B.
. "$(dirname "$0")/lib.sh"

MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS # not the jobserver or variables of the make running the tests
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
sysconf=$(sed -n 's/^sysconfdir = //p' "$top_builddir/Makefile")
sysconf=${sysconf//\$\{prefix\}/$prefix}
D=$WORK/dest
install_once() {
    within 300 $MAKE -s -C "$top_builddir" install DESTDIR="$D" >>"$WORK/install.log" 2>&1 ||
        fail "make install DESTDIR=$D failed: $(tail -n 20 "$WORK/install.log")"
}

# ---- make install keeps edited site files --------------------------------------
install_once
APACHE_SITE=$D$sysconf/cryptopulse/apache2/cryptopulse.conf
LIGHTTPD_SITE=$D$sysconf/cryptopulse/lighttpd/cryptopulse.conf
for f in "$APACHE_SITE" "$LIGHTTPD_SITE"; do
    [ -f "$f" ] || fail "make install did not install $f"
    cmp -s "$f" "$f.sample" || fail "$f.sample differs from the first $f installed"
done
cmp -s "$APACHE_SITE" "$top_builddir/apache/cryptopulse.conf" || fail "$APACHE_SITE is not the built site"
[ -f "$D$sysconf/cryptopulse/cryptopulse.env.sample" ] || fail "no cryptopulse.env.sample installed"
echo "ok - first install: site files and their .sample copies"

sed -i 's|^Define cryptopulse_gateway1 .*|Define cryptopulse_gateway1 10.0.0.7:3000 # operator|' "$APACHE_SITE"
sed -i 's|^var.cryptopulse_gateway1_port = .*|var.cryptopulse_gateway1_port = 4000 # operator|' "$LIGHTTPD_SITE"
echo "CRYPTOPULSE_TEST_EDIT=1" >"$D$sysconf/cryptopulse/cryptopulse.env"
install_once
grep -q '10.0.0.7:3000 # operator' "$APACHE_SITE" || fail "make install overwrote the edited $APACHE_SITE"
grep -q '4000 # operator' "$LIGHTTPD_SITE" || fail "make install overwrote the edited $LIGHTTPD_SITE"
grep -q CRYPTOPULSE_TEST_EDIT "$D$sysconf/cryptopulse/cryptopulse.env" ||
    fail "make install overwrote cryptopulse.env"
cmp -s "$APACHE_SITE.sample" "$top_builddir/apache/cryptopulse.conf" ||
    fail "the second install did not refresh $APACHE_SITE.sample"
grep -q "keeping" "$WORK/install.log" || fail "make install did not say it kept the edited files"
echo "ok - second install kept the operator's edits, refreshed the .sample copies"

within 300 $MAKE -s -C "$top_builddir" uninstall DESTDIR="$D" >>"$WORK/install.log" 2>&1 ||
    fail "make uninstall failed: $(tail -n 20 "$WORK/install.log")"
[ -f "$APACHE_SITE" ] && [ -f "$LIGHTTPD_SITE" ] || fail "make uninstall removed edited site files"
[ ! -e "$APACHE_SITE.sample" ] || fail "make uninstall left $APACHE_SITE.sample"
echo "ok - uninstall keeps edited files"

# ---- a new --prefix in a built tree ----------------------------------------------
SRC=$WORK/src
within 300 $MAKE -s -C "$top_builddir" distdir distdir="$SRC" >"$WORK/distdir.log" 2>&1 ||
    fail "make distdir failed: $(tail -n 20 "$WORK/distdir.log")"
build_with_prefix() {
    (cd "$SRC" && within 300 ./configure -q --prefix="$1" &&
        within 600 $MAKE -s -j"$(nproc)" gateway/cryptopulse-gateway \
            systemd/cryptopulse-feeder.service apache/cryptopulse.conf) >>"$WORK/build.log" 2>&1 ||
        fail "configure --prefix=$1 && make failed: $(tail -n 20 "$WORK/build.log")"
}
www_default() {
    "$SRC/gateway/cryptopulse-gateway" --help | sed -n 's/.*\[WWW_ROOT, default: \([^]]*\)\].*/\1/p'
}
build_with_prefix "$WORK/A"
[ "$(www_default)" = "$WORK/A/share/cryptopulse/www" ] || fail "prefix A: WWW_ROOT default $(www_default)"
build_with_prefix "$WORK/B"
[ "$(www_default)" = "$WORK/B/share/cryptopulse/www" ] ||
    fail "after configure --prefix=B and make, WWW_ROOT default is still $(www_default)"
echo "ok - configure --prefix=B then make: WWW_ROOT default $(www_default)"
# make prefix=C (no configure): the program, the units and the site files follow.
(cd "$SRC" && within 600 $MAKE -s prefix="$WORK/C" gateway/cryptopulse-gateway \
    systemd/cryptopulse-feeder.service apache/cryptopulse.conf) >>"$WORK/build.log" 2>&1 ||
    fail "make prefix=C failed: $(tail -n 20 "$WORK/build.log")"
[ "$(www_default)" = "$WORK/C/share/cryptopulse/www" ] || fail "make prefix=C: WWW_ROOT $(www_default)"
grep -q "^ExecStart=$WORK/C/bin/cryptopulse-feeder --config $WORK/C/etc/cryptopulse/" \
    "$SRC/systemd/cryptopulse-feeder.service" ||
    fail "make prefix=C left the unit at: $(grep ExecStart "$SRC/systemd/cryptopulse-feeder.service")"
grep -q "$WORK/C/share/cryptopulse" "$SRC/apache/cryptopulse.conf" ||
    fail "make prefix=C left the Apache site at the old paths"
echo "ok - make prefix=C: the program, units and site files follow"
echo "PASS: $TEST_NAME"
