#!/bin/sh
# The npm tarball that make dist (and make check) builds,
# cryptopulse-client-<version>.tgz, installs offline into a fresh project and
# imports there by its package name. Skipped (77) without npm or Node.js 20.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
command -v npm >/dev/null 2>&1 || { echo "SKIP: npm not found"; exit 77; }
command -v node >/dev/null 2>&1 || { echo "SKIP: node not found"; exit 77; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "SKIP: node $major is older than 20"; exit 77; fi

version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
tgz=$builddir/cryptopulse-client-$version.tgz
[ -f "$tgz" ] || { echo "FAIL: $tgz was not built (make check builds it)"; exit 1; }
echo "tarball: $tgz"
tar tzf "$tgz" | sort >"${TMPDIR:-/tmp}/cp-npm-list.$$"
for f in package/package.json package/cryptopulse.js package/cryptopulse-connection.js package/cryptopulse-share.js; do
    grep -qx "$f" "${TMPDIR:-/tmp}/cp-npm-list.$$" || { echo "FAIL: $f not in the tarball"; cat "${TMPDIR:-/tmp}/cp-npm-list.$$"; exit 1; }
done
rm -f "${TMPDIR:-/tmp}/cp-npm-list.$$"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
printf '{"name":"cp-npm-install-test","version":"1.0.0","private":true,"type":"module"}\n' >package.json
npm install --offline --no-audit --no-fund --ignore-scripts "$tgz" >npm.log 2>&1 || { cat npm.log; echo "FAIL: npm install"; exit 1; }
got=$(node -e "import('cryptopulse-client').then((m) => {
  if (typeof m.connect !== 'function' || typeof m.default.connect !== 'function') throw new Error('no connect');
  console.log(m.VERSION);
}).catch((e) => { console.error(e); process.exit(1); })")
[ "$got" = "$version" ] || { echo "FAIL: the installed package says VERSION '$got', configure.ac '$version'"; exit 1; }
# The widget's entry point, with everything it imports, is in the tarball.
tver=$(node -e "import('cryptopulse-client/ticker').then((m) => {
  if (typeof m.CryptoPulseTicker !== 'function') throw new Error('no CryptoPulseTicker');
  console.log(m.VERSION);
}).catch((e) => { console.error(e); process.exit(1); })") || { echo "FAIL: cryptopulse-client/ticker does not load"; exit 1; }
[ "$tver" = "$version" ] || { echo "FAIL: cryptopulse-client/ticker says VERSION '$tver'"; exit 1; }
echo "installed cryptopulse-client $got from the tarball; connect() is there"
