#!/bin/sh
# The client library's JSDoc types, checked as an editor would use them:
# TypeScript (pinned in tests/js/types/package-lock.json, installed with
# npm ci into the build tree) checks www/cryptopulse.js and
# www/cryptopulse-ticker.js with checkJs, and tests/js/types/consumer.ts,
# which uses the API and marks misuses that must be errors.  Skipped (77)
# without Node.js 20 and npm, or when the npm registry cannot be reached.
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-.}
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "SKIP: node or npm not found"; exit 77; }
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "SKIP: node $major is older than 20"; exit 77; fi
dir=$builddir/tests/js/types
mkdir -p "$dir"
if [ ! -x "$dir/node_modules/.bin/tsc" ] || ! cmp -s "$srcdir/tests/js/types/package-lock.json" "$dir/node_modules/.lock-copy"; then
    cp "$srcdir/tests/js/types/package.json" "$srcdir/tests/js/types/package-lock.json" "$dir/" 2>/dev/null || true
    chmod u+w "$dir/package.json" "$dir/package-lock.json" 2>/dev/null
    if ! (cd "$dir" && npm ci --no-audit --no-fund --fetch-retries 1 --fetch-timeout 30000) >"$dir/npm.log" 2>&1; then
        cat "$dir/npm.log"
        if grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network' "$dir/npm.log"; then
            echo "SKIP: npm ci could not reach the npm registry to install typescript"
            exit 77
        fi
        echo "FAIL: npm ci failed in $dir"
        exit 1
    fi
    cp "$srcdir/tests/js/types/package-lock.json" "$dir/node_modules/.lock-copy"
fi
"$dir/node_modules/.bin/tsc" --noEmit --strict --noImplicitAny false --allowJs --checkJs --target es2022 --module es2022 \
    --moduleResolution bundler --lib es2022,dom,webworker --skipLibCheck \
    "$srcdir/www/cryptopulse.js" "$srcdir/www/cryptopulse-ticker.js" "$srcdir/tests/js/types/consumer.ts" \
    || { echo "FAIL: TypeScript finds the client library's types wrong (above)"; exit 1; }
echo "PASS: the JSDoc types check, and every misuse in consumer.ts is an error"
