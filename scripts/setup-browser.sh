#!/usr/bin/env bash
# Debian's Chromium and its driver for the browser tests (tests/test_ui_browser.py).
# Idempotent: does nothing when both are installed. Needs root (apt-get) to install.
# Playwright's own browser download cannot work here; the tests point Playwright
# at /usr/bin/chromium instead.
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "setup-browser: chromium is missing and installing it needs root (apt-get install chromium chromium-driver)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
chromium --version
