#!/bin/sh
# deps.sh — installs what Guichet needs on Debian 12, or checks it (--check).
# The Debian packages build and test the server; the npm packages (see
# package.json) give the common-password list, the browser test driver and
# Leaflet (embedded in the binary for the interactive maps).
set -e
cd "$(dirname "$0")/.."

PKGS="build-essential pkg-config libmicrohttpd-dev libsqlite3-dev sqlite3 \
libjansson-dev libsodium-dev liboath-dev libqrencode-dev libcsv-dev \
libcurl4-openssl-dev libcmark-dev libxlsxwriter-dev libmagic-dev libzip-dev \
zlib1g-dev libcriterion-dev gettext python3 clang libclang-rt-14-dev \
libproj-dev proj-data libgeos-dev \
chromium nginx-light wrk"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"

if [ "$1" = "--check" ]; then
  [ -z "$missing" ] && [ -d node_modules/playwright-core ] && [ -d node_modules/@zxcvbn-ts/language-common ] \
    && [ -f node_modules/leaflet/dist/leaflet.js ] && exit 0
  exit 1
fi

if [ -n "$missing" ]; then
  echo "deps: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@zxcvbn-ts/language-common ] \
  || [ ! -f node_modules/leaflet/dist/leaflet.js ]; then
  echo "deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
