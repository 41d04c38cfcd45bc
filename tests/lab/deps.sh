#!/bin/sh
# Host requirements of the lab (run as root by `make lab-deps`). Installs only what is missing, so
# nothing the machine already has is upgraded, and never installs systemd-container on the host:
# systemd-nspawn is unpacked from the .deb into the lab cache instead.
set -eu

CACHE="${LAB_CACHE:-/var/cache/snapshot-doctor-lab}"
NSPAWN_DIR="${LAB_NSPAWN_DIR:-$CACHE/systemd-container}"
# tinyproxy-bin is the proxy binary without the packaged service (the lab runs its own instance).
PACKAGES="debootstrap dnsmasq-base tinyproxy-bin iptables openssl openssh-client iproute2 procps util-linux curl"

if [ "$(id -u)" -ne 0 ]; then
    echo "lab-deps: run as root" >&2
    exit 1
fi

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $package"
    fi
done

lists_fresh() {
    # Package lists exist and are younger than a day.
    [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 -print -quit 2>/dev/null)" ]
}

if [ -n "$missing" ] || [ ! -x "$NSPAWN_DIR/usr/bin/systemd-nspawn" ]; then
    lists_fresh || apt-get update
fi

if [ -n "$missing" ]; then
    echo "lab-deps: installing$missing"
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
fi

if [ ! -x "$NSPAWN_DIR/usr/bin/systemd-nspawn" ]; then
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    host_version="$(dpkg-query -W -f='${Version}' systemd)"
    # Same version as the host's systemd when the archive still has it (nspawn links against the
    # host's libsystemd-shared), else the candidate of the same release.
    (cd "$work" && { apt-get download "systemd-container=$host_version" 2>/dev/null \
                     || apt-get download systemd-container; })
    mkdir -p "$NSPAWN_DIR.partial"
    dpkg -x "$work"/systemd-container_*.deb "$NSPAWN_DIR.partial"
    "$NSPAWN_DIR.partial/usr/bin/systemd-nspawn" --version >/dev/null
    rm -rf "$NSPAWN_DIR"
    mv "$NSPAWN_DIR.partial" "$NSPAWN_DIR"
    echo "lab-deps: systemd-nspawn unpacked into $NSPAWN_DIR"
fi
echo "lab-deps: ok ($("$NSPAWN_DIR/usr/bin/systemd-nspawn" --version | head -1))"
