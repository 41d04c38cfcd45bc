#!/bin/sh
# Host requirement of the unit tests (called by `make units`): hivexregedit (Debian libwin-hivex-perl)
# builds the registry hives of the offline Windows tests. Installs it only when missing; refreshes the
# package lists only when the install fails. Without root it says what to install and does not fail
# (those tests then skip, naming hivexregedit).
set -eu

if command -v hivexregedit >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "unit-deps: hivexregedit is missing: apt-get install libwin-hivex-perl (as root)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends libwin-hivex-perl \
    || { apt-get update && apt-get install -y --no-install-recommends libwin-hivex-perl; }
