"""The snapshot_doctor lab: simulated Azure Linux VMs on one machine, without Docker.

See tests/lab/README.md. Modules: config (names, addresses, paths), template (the cached Debian
rootfs), network (namespaces, bridge, veths), services (fake platform endpoints), guests (overlay +
systemd-nspawn), faults (the fault registry), lab (up/down/status orchestration).
"""
