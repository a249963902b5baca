#!/bin/sh
# Installs Debian's chromium for the browser tests (Playwright drives it; it never downloads one).
set -e
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
    echo "The browser tests need Debian's chromium: run 'sudo apt-get install chromium' once." >&2
    exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
