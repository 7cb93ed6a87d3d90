#!/usr/bin/env bash
# Install the Debian 12 packages CryptoPulse needs to build, run and test.
# Needs root (or sudo) only when something is missing.
set -eu

PACKAGES=(
    build-essential autoconf automake pkg-config
    libevent-dev libhiredis-dev libjansson-dev libssl-dev libfcgi-dev libhttp-parser-dev check
    zlib1g-dev clang-format
    chromium
    redis-server redis-tools redis-sentinel openssl valgrind strace curl python3 python3-websockets libfcgi-bin
    apache2 apache2-utils lighttpd lighttpd-mod-deflate
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm run the browser test and the npm ws client.  A machine that
# has them already (e.g. from NodeSource, whose nodejs conflicts with Debian's
# npm) keeps them; otherwise Debian's are installed.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "run as root, or install sudo" >&2; exit 1; }
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
