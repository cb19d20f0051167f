#!/usr/bin/env bash
# Make sure the browser tests (tests/test_report_browser.py) have a Chromium.  Playwright drives
# it, so only the browser is needed (Debian package `chromium`; no chromedriver).
#
#   Chromium already installed        -> nothing to do, no root needed, exit 0
#   missing, root or passwordless sudo -> apt-get install chromium
#   missing and cannot be installed    -> say exactly what to install; exit 1, or exit 0 with
#                                         --optional (`make test`: the browser tests then skip,
#                                         except under CI=true, where they fail)
# RSNPROP_CHROMIUM may name any Chromium or Chrome executable instead.
set -uo pipefail
optional=0
[ "${1:-}" = "--optional" ] && optional=1

for candidate in "${RSNPROP_CHROMIUM:-}" chromium chromium-browser; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    exit 0
  fi
done

apt_install() {  # waits for another apt run (up to 10 minutes) instead of failing on its lock
  "$@" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q &&
    "$@" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q chromium
}
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt_install && exit 0
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    apt_install sudo -n && exit 0
  fi
fi

cat >&2 <<'MSG'
system-deps: no Chromium found, and it cannot be installed here (needs root or passwordless sudo).
  Install one of:
    Debian, Ubuntu:  sudo apt-get install chromium   (Ubuntu: chromium-browser)
    Fedora:          sudo dnf install chromium
    macOS:           brew install --cask chromium
  or set RSNPROP_CHROMIUM=/path/to/chromium-or-chrome.
  Without it the browser tests (tests/test_report_browser.py) are skipped; under CI=true they fail.
MSG
exit $((1 - optional))
