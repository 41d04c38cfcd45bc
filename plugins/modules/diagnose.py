# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/diagnose.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: diagnose
short_description: Diagnose the Azure Backup snapshot timeout (GuestAgentSnapshotTaskStatusError) on a VM
version_added: 0.1.0
description:
  - Diagnoses the causes of the Azure Backup failure "Could not communicate with the VM agent for snapshot
    status. Snapshot VM sub-task timed out" on one host and returns one finding per check of the
    collection's check catalog (C(platform), C(connectivity), C(agent), C(extension), C(snapshot) and C(backup) causes).
  - All facts are gathered in B(one) module execution on the host; the findings are evaluated on the
    controller, so no check needs a task of its own. Linux hosts run M(azure_backup.snapshot_doctor.guest_info);
    Windows hosts run M(ansible.windows.win_powershell) with a read-only script shipped with this collection
    (C(plugins/plugin_utils/windows/gather.ps1)), whose raw output is interpreted on the controller.
  - The findings are also set as the fact C(snapshot_doctor) (C(ansible_facts.snapshot_doctor)).
  - Platform network probes never go to the Azure platform addresses of a host that is not an Azure VM,
    unless O(assume_azure) is set or an endpoint is overridden.
  - A host is treated as Windows when its connection prefers PowerShell modules (winrm, psrp, ssh with the
    powershell shell), as the ansible.windows action plugins decide it.
  - Use the C(azure_backup.snapshot_doctor.diagnose) role to run it over an inventory and write the report
    files (findings.json, report.md, report.html, junit.xml).
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  control_plane:
    description:
      - What Azure says about this host's VM, as returned for it by M(azure_backup.snapshot_doctor.control_plane_facts)
        (its RV(azure_backup.snapshot_doctor.control_plane_facts#module:hosts) entry for this host). The control-plane checks
        (for example C(agent.azure_status), C(backup.last_job)) are evaluated from it beside the guest's facts.
      - Without it the control-plane checks report C(skip).
      - The C(azure_backup.snapshot_doctor.diagnose) role passes it when C(diagnose_azure) is true.
    type: dict
  causes:
    description:
      - The causes to diagnose; findings of other causes are left out and their facts are not gathered.
      - The C(platform) facts are always gathered because every other check depends on them.
    type: list
    elements: str
    choices: [platform, connectivity, agent, extension, snapshot, backup]
    default: [platform, connectivity, agent, extension, snapshot, backup]
  root:
    description:
      - Root of the file system to analyse. Anything else than C(/) is offline mode, for the OS disk of a
        broken VM mounted on a rescue VM (Azure's repair workflow) - file-based checks read under O(root),
        process, service runtime, network and load checks report C(skip).
      - A Windows OS disk (NTFS through ntfs-3g) mounted on a Linux rescue VM is recognised by its
        C(Windows/System32/config/SYSTEM) and diagnosed with the Windows checks; its registry hives are read
        with the Python package regipy, which the rescue VM then needs.
    type: path
    default: /
  assume_azure:
    description:
      - Treat the host as an Azure VM even when its DMI identity is not Azure's (labs, nested setups).
        Without it, platform probes are skipped on a host that is not an Azure VM.
    type: bool
    default: false
  wireserver:
    description:
      - Address of the wireserver to probe (an address without a port; ports in O(wireserver_ports)).
      - Another address than Azure's counts as an endpoint override (probed on any host).
    type: str
    default: 168.63.129.16
  wireserver_ports:
    description: TCP ports of the wireserver to probe (C(32526) is the HostGAPlugin).
    type: list
    elements: int
    default: [80, 32526]
  imds:
    description:
      - Instance metadata service to probe, C(address) or C(address:port) (port C(80) when none is given).
      - Another address than Azure's counts as an endpoint override.
    type: str
    default: 169.254.169.254
  https_endpoints:
    description:
      - Azure public endpoints probed over HTTPS (TCP, then a TLS handshake), as C(host) or C(host:port).
      - Another list than the default counts as an endpoint override.
    type: list
    elements: str
    default: ['login.microsoftonline.com:443']
  proxy:
    description:
      - C(http://host:port) proxy to use for the HTTPS probes instead of what the host configures;
        an empty string means no proxy.
    type: str
  ca_file:
    description: CA bundle on the host to verify the TLS handshakes against; default the system CA store.
    type: path
  probe_timeout:
    description:
      - Seconds each network probe may take. Probes run concurrently, so the whole probe stage takes
        about this long even when every endpoint is blackholed. Must be greater than 0.
    type: float
    default: 5.0
  command_timeout:
    description: Seconds one command on the host (systemctl, waagent -version, ip, iptables-save) may take.
    type: float
    default: 10.0
  log_tail_kib:
    description: How many KiB of the end of the agent log are scanned for errors (1 to 10000).
    type: int
    default: 256
  load_samples:
    description: How many CPU and memory samples are taken for the load check (1 to 10000).
    type: int
    default: 3
  load_interval:
    description: Seconds between two load samples (each sample measures over this interval). Not negative.
    type: float
    default: 0.1
  load_threshold_percent:
    description: CPU or memory use (percent) at or above which the load check warns or fails.
    type: float
    default: 90.0
  min_agent_version:
    description:
      - Minimum Linux agent version (daemon and goal-state agent), from Microsoft's minimum version
        support page (KB 4049215).
    type: str
    default: 2.2.53.1
  min_extension_version:
    description: Minimum VMSnapshotLinux handler version (the article's).
    type: str
    default: 1.0.91.0
  transitioning_minutes:
    description: Minutes after which a C(transitioning) extension status counts as stale.
    type: float
    default: 20.0
  return_facts:
    description: Also return the raw facts gathered on the host (key RV(facts)), for debugging.
    type: bool
    default: false
attributes:
  action:
    support: full
    description: Runs as an action plugin; the host runs one module, the evaluation happens on the controller.
  async:
    support: none
    description: Not supported; the diagnosis is bounded by its own timeouts.
  bypass_host_loop:
    support: none
    description: Runs once per host.
  check_mode:
    support: full
    description: It only reads; check mode changes nothing.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  facts:
    support: full
    description: Sets C(ansible_facts.snapshot_doctor).
  platform:
    support: full
    platforms: [posix, windows]
    description: Linux hosts (guest_info) and Windows hosts (ansible.windows.win_powershell, PowerShell 5.1).
notes:
  - The findings follow the collection's checks.md contract; check ids are stable.
  - Evidence that may hold log excerpts is redacted (SAS signatures, credentials) before it is returned.
  - Windows needs the ansible.windows collection on the controller. On Windows O(root) and O(ca_file) are not
    used (the machine's certificate store verifies TLS; an offline Windows disk is read from a Linux rescue VM),
    O(min_agent_version) left at its Linux default means the Windows minimum 2.7.41491.1010, O(min_extension_version)
    left at its Linux default means no minimum (none is documented for the Windows handler), and O(load_interval)
    is at least 1 second (Windows' formatted counters are cooked over about a second).
  - The Windows script is bounded - sections run concurrently under one deadline, every command has
    O(command_timeout), the probes run concurrently under O(probe_timeout) - and it changes nothing, so it also
    runs in check mode.
seealso:
  - module: azure_backup.snapshot_doctor.guest_info
  - name: Troubleshoot Azure Backup failure - GuestAgentSnapshotTaskStatusError
    description: The Microsoft article whose causes the checks follow.
    link: https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout
"""

EXAMPLES = r"""
- name: Diagnose every cause
  azure_backup.snapshot_doctor.diagnose:
  register: diagnosis

- name: Only the agent and the extension
  azure_backup.snapshot_doctor.diagnose:
    causes: [agent, extension]

- name: Analyse the OS disk of a broken VM mounted on a rescue VM
  azure_backup.snapshot_doctor.diagnose:
    root: /mnt/rescue

- name: Probe stand-in endpoints (a lab), treating the host as Azure
  azure_backup.snapshot_doctor.diagnose:
    assume_azure: true
    wireserver: 10.213.0.2
    imds: 10.213.0.3:80
    https_endpoints: [management.lab.test:443]
    probe_timeout: 2

- name: Show what failed
  ansible.builtin.debug:
    msg: "{{ ansible_facts.snapshot_doctor.findings | selectattr('status', 'equalto', 'fail') | map(attribute='check') }}"
"""

RETURN = r"""
findings:
  description:
    - One finding per check of the diagnosed causes, in catalog order.
    - Keys C(check), C(cause), C(status) (C(fail), C(error), C(warn), C(info), C(pass), C(skip)), C(summary),
      C(evidence) (dict), C(remedy), C(fix) (the collection role that fixes it, for C(fail)/C(warn)) and
      C(doc) (link to the article's section).
  returned: success
  type: list
  elements: dict
  sample:
    - check: agent.service
      cause: agent
      status: fail
      summary: walinuxagent.service is inactive (dead) and disabled
      evidence: {unit: walinuxagent.service, active: inactive, enabled: disabled}
      remedy: Enable and start the agent service; the agent role does this.
      fix: agent
      doc: https://learn.microsoft.com/azure/backup/backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout
summary:
  description: C(worst) status, C(counts) per status, and the worst status per cause (C(causes)).
  returned: success
  type: dict
  sample: {worst: fail, counts: {fail: 1, error: 0, warn: 2, info: 1, pass: 14, skip: 5},
           causes: {platform: pass, connectivity: pass, agent: fail, extension: info, snapshot: pass}}
platform:
  description: C(os), C(distribution), C(version) and C(azure_vm) (DMI identity is Azure's, or O(assume_azure)).
  returned: always
  type: dict
  sample: {os: linux, distribution: debian, version: '12', azure_vm: true}
causes:
  description: The causes that were diagnosed.
  returned: success
  type: list
  elements: str
gathered_at:
  description: When the facts were gathered on the host (ISO 8601 UTC).
  returned: success
  type: str
offline:
  description: Whether O(root) pointed at a mounted disk instead of the running system.
  returned: success
  type: bool
collection_version:
  description: Version of this collection.
  returned: success
  type: str
unsupported:
  description: True for a host whose OS this version cannot diagnose; the task then fails.
  returned: when the OS is not supported
  type: bool
facts:
  description: The facts the findings were evaluated from (see docs/facts.md; Windows in its own section).
  returned: when O(return_facts=true)
  type: dict
ansible_facts:
  description: The same diagnosis as a fact.
  returned: success
  type: dict
  contains:
    snapshot_doctor:
      description: C(findings), C(summary), C(platform), C(causes), C(gathered_at), C(offline), C(collection_version).
      type: dict
      returned: success
"""
