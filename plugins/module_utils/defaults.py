# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Platform knowledge in one place: endpoints, identities, minimum versions, thresholds, paths, names.

Pure Python. Every value names its source; a run overrides endpoints and thresholds through the
modules' and roles' options, never by editing code paths that use these names.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# --- Platform endpoints --------------------------------------------------------------------
# The wireserver: a virtual public IP that every Azure VM reaches through its host. Port 80 serves
# the goal state, 32526 the HostGAPlugin (extension artifacts, status upload). Source: Microsoft
# "What is IP address 168.63.129.16?" and the current troubleshooting article (ports 80, 443, 32526).
WIRESERVER_ADDRESS = '168.63.129.16'
WIRESERVER_PORTS = (80, 32526)

# The instance metadata service (IMDS). Source: Microsoft "Azure Instance Metadata Service".
IMDS_ADDRESS = '169.254.169.254'
IMDS_PORT = 80

# HTTPS endpoints probed by connectivity.https (host, port); the run can replace the list.
# Source: the current troubleshooting article, step 4: with a supported agent, extension packages and
# status travel through the wireserver (168.63.129.16 ports 80, 443, 32526), and only agents below
# the supported minimum need direct access to Azure Storage of the region; "Prepare to back up Azure
# VMs" lists the AzureActiveDirectory (Microsoft Entra ID) service tag as an outbound requirement.
# Storage endpoints are per storage account (<account>.blob.core.windows.net), so no name here can
# stand for all of them: add the accounts your VMs use for a precise check.
DEFAULT_HTTPS_ENDPOINTS = (
    # Microsoft Entra ID: token endpoint used by Azure Backup (AzureActiveDirectory service tag).
    ('login.microsoftonline.com', 443),
)
HTTPS_PORT = 443

# --- Azure identity (DMI / SMBIOS) --------------------------------------------------------
# Hyper-V in Azure sets this chassis asset tag; WALinuxAgent and cloud-init test it to detect Azure.
AZURE_CHASSIS_ASSET_TAG = '7783-7084-3265-9085'
AZURE_SYS_VENDOR = 'Microsoft Corporation'
AZURE_PRODUCT_NAME = 'Virtual Machine'
# Where Linux exposes those values (readable without root except product_serial).
DMI_PATHS = {
    'chassis_asset_tag': '/sys/class/dmi/id/chassis_asset_tag',
    'sys_vendor': '/sys/class/dmi/id/sys_vendor',
    'product_name': '/sys/class/dmi/id/product_name',
}

# --- Minimum versions ----------------------------------------------------------------------
# Source: Microsoft "Minimum version support for virtual machine agents in Azure" (KB 4049215,
# https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/support-extensions-agent-version):
# "the Linux Agent version ... must be later than or equal to version 2.2.53.1" (since July 2022).
# A distribution may ship an older daemon; then the auto-updated goal-state agent must meet it.
MIN_LINUX_AGENT_VERSION = '2.2.53.1'
AGENT_VERSION_SOURCE_URL = ('https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/'
                            'support-extensions-agent-version')
# Source: the same Microsoft page ("later than or equal to version 2.7.41491.1010"), which is also
# vmassist's minimum; backup-azure-vms-troubleshoot still names 2.6.1198.718, the older floor.
MIN_WINDOWS_AGENT_VERSION = '2.7.41491.1010'
# Source: the article, cause 3: VMSnapshotLinux 1.0.91.0 or later.
MIN_LINUX_EXTENSION_VERSION = '1.0.91.0'
MIN_WINDOWS_EXTENSION_VERSION = None  # no documented minimum; the check reports the version only

# --- Thresholds ------------------------------------------------------------------------------
# Source: backup-azure-vms-troubleshoot "Backup fails with high CPU/memory usage" (above 90 %).
LOAD_THRESHOLD_PERCENT = 90
# Three samples 0.1 s apart: several readings rather than one (a burst is a warn; a fail needs every
# sample and a figure that lasts, below), over a window about as long as the rest of the gathering, which it
# overlaps, so that the diagnosis costs about as much as fact gathering (tests/bench/results.md;
# 5 x 1 s measured 1.6-2.8 times `ansible -m setup`, 5 x 0.1 s up to 1.28). Ten ticks of the
# kernel's 100 Hz clock per CPU is the finest sample that still resolves 10 %. Raise
# diagnose_load_samples or diagnose_load_interval to watch a longer window.
LOAD_SAMPLES = 3
LOAD_SAMPLE_INTERVAL_SECONDS = 0.1
# Any burst of work (another host's diagnosis, a cron job) fills a 0.3 s window, so a CPU fail needs a
# figure the kernel keeps over time, compared with the same threshold. Source: the kernel's
# Documentation/accounting/psi.rst: "some avg10" is the share of the last 10 s in which work waited for
# the CPU (waiting means the CPU was saturated that long; 23 s of saturation bring it to 90 %).
LOAD_PSI_AVERAGE = 'avg10'
# A window of samples at least this long is lasting evidence on its own: PSI's shortest average.
LOAD_SUSTAINED_WINDOW_SECONDS = 10.0
# Windows has neither PSI nor a load average: a processor queue longer than this many threads per CPU in
# every sample confirms a saturated CPU. Source: Microsoft's performance guidance for the
# System\Processor Queue Length counter ("a sustained processor queue of more than 2 threads per
# processor indicates a processor bottleneck", Windows Server performance tuning / perfmon counter help).
WINDOWS_QUEUE_PER_CPU = 2
# A status that stays `transitioning` longer than this is stuck: the platform gives up on a
# snapshot task after about 10 minutes, so twice that is clearly too long.
STALE_TRANSITIONING_MINUTES = 20
# Source: backup-azure-vms-troubleshoot, "Troubleshoot VM snapshot issues": "If more than four VMs share the
# same cloud service, spread the VMs across multiple backup policies. Stagger the backup times, so no more than
# four VM backups start at the same time. Try to separate the start times in the policies by at least an hour."
# snapshot.schedule applies it to availability sets too (the ARM successor of a cloud service's VM group).
MAX_CONCURRENT_BACKUPS_PER_CLOUD_SERVICE = 4
BACKUP_STAGGER_MINUTES = 60
# Timeout for one TCP connect or TLS handshake of a probe.
PROBE_TIMEOUT_SECONDS = 5.0
# Timeout for one command on the host (systemctl, waagent -version, ip, iptables-save).
COMMAND_TIMEOUT_SECONDS = 10.0
# How much of the end of the agent log is scanned for error lines.
LOG_TAIL_KIB = 256

# --- Azure control plane (read on the controller) ------------------------------------------------
# Source: backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout, UserErrorRpCollectionLimitReached: "only
# 18 instant RPs can be associated with a VM at any given time" and "The number of restore points across
# restore point collections and resource groups for a VM can't exceed 18".
MAX_RESTORE_POINTS_PER_VM = 18
# The same section: the Backup service keeps a VM's restore point collection in a resource group it creates,
# named AzureBackupRG_<Geo>_<number> (a policy may name another one; the collection's own group is read too).
BACKUP_RESOURCE_GROUP_PREFIX = 'AzureBackupRG_'
# How many days of backup jobs are read by default.
AZURE_JOB_DAYS = 7
# Instance views (agent and extension statuses, power state): one GET per VM of the run, unless the run has more
# than this many VMs in one subscription; then one statusOnly list of the subscription's VMs (each VM with its
# instance view) keeps the request count bounded. Below it, the GETs run concurrently and read nothing about VMs
# outside the run. Whether that list carries the agent's status is not verified here: the facts say so when a
# VM's is missing, and plan_requests(instance_views='per_vm') forces the GETs.
INSTANCE_VIEW_LIST_ABOVE = 50

# --- Linux paths ------------------------------------------------------------------------------
# Sources: WALinuxAgent (azurelinuxagent/common/conf.py defaults) and azure-linux-extensions VMBackup.
WAAGENT_CONF = '/etc/waagent.conf'
WAAGENT_LIB_DIR = '/var/lib/waagent'
WAAGENT_LOG = '/var/log/waagent.log'
WIRESERVER_ENDPOINT_FILE = '/var/lib/waagent/WireServerEndpoint'
EXTENSION_PUBLISHER = 'Microsoft.Azure.RecoveryServices'
LINUX_EXTENSION_TYPE = 'VMSnapshotLinux'
WINDOWS_EXTENSION_TYPE = 'VMSnapshot'
# A handler directory is this prefix followed by its version, under WAAGENT_LIB_DIR.
LINUX_EXTENSION_HANDLER_PREFIX = EXTENSION_PUBLISHER + '.' + LINUX_EXTENSION_TYPE + '-'
# Extension.LogDir default /var/log/azure; the handler logs in a directory named after it.
EXTENSION_LOG_ROOT = '/var/log/azure'
LINUX_EXTENSION_LOG_DIR = EXTENSION_LOG_ROOT + '/' + EXTENSION_PUBLISHER + '.' + LINUX_EXTENSION_TYPE
ENVIRONMENT_FILE = '/etc/environment'
VMBACKUP_CONF = '/etc/azure/vmbackup.conf'
AGENT_LOG_COLLECTOR_ARCHIVE = '/var/lib/waagent/logcollector/logs.zip'

# --- Windows paths and names (source: domain-facts, Microsoft's Windows agent docs) -------------
WINDOWS_AGENT_EXE = r'C:\WindowsAzure\Packages\WaAppAgent.exe'
WINDOWS_AGENT_SERVICES = ('WindowsAzureGuestAgent', 'RdAgent')
WINDOWS_PROVIDER_SERVICE = 'IaaSVmProvider'
WINDOWS_EXTENSION_DIR = r'C:\Packages\Plugins\Microsoft.Azure.RecoveryServices.VMSnapshot'
WINDOWS_EXTENSION_LOG_DIR = r'C:\WindowsAzure\Logs\Plugins\Microsoft.Azure.RecoveryServices.VMSnapshot'
WINDOWS_GUEST_AGENT_KEY = r'HKLM:\SOFTWARE\Microsoft\Virtual Machine\Guest'
WINDOWS_BCDR_KEY = r'HKLM:\SOFTWARE\Microsoft\BcdrAgent'
WINDOWS_VSS_COPY_VALUE = 'UseVSSCopyBackup'
# LocalSystem's proxy settings: the extension runs as LocalSystem.
WINDOWS_LOCALSYSTEM_INTERNET_SETTINGS = (
    r'HKU:\S-1-5-18\Software\Microsoft\Windows\CurrentVersion\Internet Settings')

# --- Agent package and service names per distribution ------------------------------------------
# Source: the distributions' packages (Debian waagent, Ubuntu walinuxagent, Fedora/RHEL WALinuxAgent,
# SUSE python-azure-agent) and the units they ship.
_AGENT_NAMES_BY_DISTRIBUTION = {
    'debian': {'package': 'waagent', 'service': 'walinuxagent'},
    'ubuntu': {'package': 'walinuxagent', 'service': 'walinuxagent'},
}
_AGENT_NAMES_BY_FAMILY = {
    'debian': {'package': 'waagent', 'service': 'walinuxagent'},
    'redhat': {'package': 'WALinuxAgent', 'service': 'waagent'},
    'suse': {'package': 'python-azure-agent', 'service': 'waagent'},
}
# Upstream's own unit name, for anything unknown (a source install uses it).
_AGENT_NAMES_FALLBACK = {'package': 'WALinuxAgent', 'service': 'waagent'}
# The OS families the roles have the agent's package and unit names for (the others get upstream's).
SUPPORTED_AGENT_FAMILIES = tuple(sorted(_AGENT_NAMES_BY_FAMILY))


def agent_names(distribution, os_family):
    """{'package': ..., 'service': ...} for the Linux agent, from Ansible's distribution facts.

    The distribution wins over the family (Ubuntu is in the Debian family but names the package
    differently); case does not matter; an unknown pair gets upstream's names.
    """
    for table, key in ((_AGENT_NAMES_BY_DISTRIBUTION, distribution), (_AGENT_NAMES_BY_FAMILY, os_family)):
        if isinstance(key, str) and key.strip().lower() in table:
            return dict(table[key.strip().lower()])
    return dict(_AGENT_NAMES_FALLBACK)
