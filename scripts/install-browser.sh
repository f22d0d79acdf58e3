#!/usr/bin/env bash
# Debian's Chromium for the review app's browser tests (tests/test_review_browser.py).
# Playwright drives it through executable_path=/usr/bin/chromium; never run `playwright install`
# (it downloads its own browser build, which this project does not use).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version || true
