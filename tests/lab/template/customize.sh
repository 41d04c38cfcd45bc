#!/bin/sh
# Runs inside the freshly bootstrapped template (chroot) once, at build time. Part of the recipe.
set -eu

# The agent's unit only starts under Hyper-V (ConditionVirtualization=microsoft); the lab is a container.
mkdir -p /etc/systemd/system/walinuxagent.service.d
cat > /etc/systemd/system/walinuxagent.service.d/10-lab.conf <<'UNIT'
# snapshot-doctor lab: allow the agent to start inside systemd-nspawn.
[Unit]
ConditionVirtualization=

# The lab's healthy baseline restarts the agent like upstream's unit (Debian's has no Restart=);
# the restart_no fault overrides this.
[Service]
Restart=always
RestartSec=5
UNIT

# The lab's healthy baseline of /etc/waagent.conf (Debian ships AutoUpdate.Enabled=n): what the
# article asks for. No resource disk exists in a container, so the agent must not look for one.
sed -i -e 's/^AutoUpdate.Enabled=.*/AutoUpdate.Enabled=y/' \
       -e 's/^ResourceDisk.Format=.*/ResourceDisk.Format=n/' /etc/waagent.conf
grep -q '^AutoUpdate.Enabled=y' /etc/waagent.conf

# A provisioned VM: the sentinel's content is the DMI instance id, which a container lacks (empty).
mkdir -p /var/lib/waagent
: > /var/lib/waagent/provisioned

# Primary NIC by DHCP, as on Azure images (the static-IP faults change this file).
cat > /etc/network/interfaces <<'IFACES'
# interfaces(5) file used by ifup(8) and ifdown(8)
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
IFACES

# Host keys are made per guest at lab-up; the template must not carry shared ones.
rm -f /etc/ssh/ssh_host_*

# Boot faster inside a container: nothing here needs these.
systemctl mask systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-udev-trigger.service systemd-udev-settle.service getty@tty1.service \
    systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
    fstrim.timer man-db.timer >/dev/null 2>&1 || true
systemctl enable ssh.service walinuxagent.service networking.service >/dev/null

# An empty machine-id: systemd-nspawn hands each guest its own.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/* /var/log/*.log
