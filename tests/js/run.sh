#!/bin/sh
# Unit tests of the client library www/cryptopulse.js in Node's own test
# runner (tests/js/*.test.mjs, fake sockets and clock, no network).
# Skipped (77) without Node.js 20 or later.
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v node >/dev/null 2>&1 || { echo "SKIP: node not found"; exit 77; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "SKIP: node $major is older than 20"; exit 77; fi
exec node --test "$srcdir"/tests/js/*.test.mjs
