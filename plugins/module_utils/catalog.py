# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check catalog: the one source of truth for check ids, causes, fix roles and doc links.

Pure Python (no Ansible import) so that modules, action plugins, docs generators and unit tests
all read the same table. Ids are stable once shipped: add checks, never rename them.
"""
from __future__ import absolute_import, division, print_function

import collections

__metaclass__ = type

# Causes in report order; the first is a precondition, the next four are the article's causes, the last is
# what the Recovery Services vault says (the backup jobs, the restore points), read from Azure.
CAUSES = ('platform', 'connectivity', 'agent', 'extension', 'snapshot', 'backup')

PLATFORMS = ('linux', 'windows')
SCOPES = ('guest', 'control_plane')

# The current Microsoft troubleshooting article, and the general VM backup troubleshooting
# article that took over the SQL, cloud-service schedule and high-CPU rows.
ARTICLE_URL = ('https://learn.microsoft.com/azure/backup/'
               'backup-azure-troubleshoot-vm-backup-fails-snapshot-timeout')
VMS_ARTICLE_URL = 'https://learn.microsoft.com/azure/backup/backup-azure-vms-troubleshoot'

# Section anchors, as generated from the headings of the articles' current versions (2025-11):
# the step-by-step guide (steps 2 and 4 name the agent service and the 168.63.129.16 ports 80, 443
# and 32526), the Linux agent and configuration sections, the snapshot-status section (DHCP, power
# state), and the VMs article's "Troubleshoot VM snapshot issues" (SQL VSS, 4 VMs per cloud
# service, CPU/memory above 90 %).
_DOC_OVERVIEW = ARTICLE_URL + '#step-by-step-guide-to-troubleshoot-backup-failures'
_DOC_AGENT_HEALTH = ARTICLE_URL + '#step-2-check-azure-vm-guest-agent-service-health'
_DOC_EXTENSION_HEALTH = ARTICLE_URL + '#step-4-check-azure-backup-extension-health'
_DOC_NETWORK = _DOC_EXTENSION_HEALTH
_DOC_AGENT_LINUX = ARTICLE_URL + '#the-agent-installed-in-the-vm-is-out-of-date-for-linux-vms'
_DOC_AGENT_CONFIG_LINUX = ARTICLE_URL + '#vm-agent-configuration-options-are-not-set-for-linux-vms'
_DOC_EXTENSION_STATUS = ARTICLE_URL + '#usererrorvmprovisioningstatefailed---the-vm-is-in-failed-provisioning-state'
_DOC_SNAPSHOT = ARTICLE_URL + '#the-snapshot-status-cannot-be-retrieved-or-a-snapshot-cannot-be-taken'
_DOC_VMS_SNAPSHOT = VMS_ARTICLE_URL + '#troubleshoot-vm-snapshot-issues'
# The error-code sections of the article that the control-plane checks follow. The first two headings carry an
# explicit <a name> anchor, which keeps Microsoft's own mixed case (the article's own links use it); the third
# is generated from its heading.
_DOC_AGENT_UNAVAILABLE = (ARTICLE_URL + '#UserErrorGuestAgentStatusUnavailable-vm-agent-unable-to-communicate-with-'
                          'azure-backup')
_DOC_NO_NETWORK = (ARTICLE_URL + '#ExtensionSnapshotFailedNoNetwork-snapshot-operation-failed-due-to-no-network-'
                   'connectivity-on-the-virtual-machine')
_DOC_RP_LIMIT = ARTICLE_URL + '#usererrorrpcollectionlimitreached---the-restore-point-collection-max-limit-has-reached'


class Check(collections.namedtuple(
        'Check', ['id', 'cause', 'title', 'platforms', 'scope', 'fix', 'doc', 'rules'])):
    """One row of the catalog.

    ``rules`` maps a status to the one-line meaning of that status for this check; a status
    that is not a key cannot be produced by the check (besides 'error' and 'skip', which every
    check may produce: see ``findings``).
    """
    __slots__ = ()

    def can_be(self, status):
        """True when this check may report ``status``."""
        return status in ('error', 'skip') or status in self.rules

    def as_dict(self):
        """A JSON-ready copy, for generated docs and reports."""
        row = self._asdict()
        row['platforms'] = list(self.platforms)
        row['rules'] = dict(self.rules)
        return dict(row)


_BOTH = ('linux', 'windows')
_LINUX = ('linux',)
_WINDOWS = ('windows',)

CHECKS = (
    # -- platform --------------------------------------------------------------------------
    Check('platform.azure', 'platform', 'The host is an Azure VM', _BOTH, 'guest', None, _DOC_OVERVIEW, {
        'pass': 'the DMI/BIOS identity is Azure\'s (or the run treats the host as Azure)',
        'info': 'not an Azure VM: platform probes are skipped',
    }),
    Check('platform.tls', 'platform', 'TLS 1.2 is usable by .NET (Windows)',
          _WINDOWS, 'guest', None, _DOC_VMS_SNAPSHOT, {
              'pass': 'SchUseStrongCrypto (or SystemDefaultTlsVersions) is 1 in the 64- and 32-bit .NET 4 keys',
              'warn': 'only one registry view enables strong cryptography',
              'fail': 'neither view lets .NET use TLS 1.2 (ExtensionSnapshotFailedNoSecureNetwork)',
          }),
    # -- connectivity (article cause 1) -----------------------------------------------------
    Check('connectivity.wireserver', 'connectivity', 'The wireserver answers on ports 80 and 32526',
          _BOTH, 'guest', 'connectivity', _DOC_NETWORK, {
              'pass': 'TCP to the wireserver succeeds on both ports',
              'fail': 'TCP to the wireserver fails on at least one port',
          }),
    Check('connectivity.imds', 'connectivity', 'The instance metadata service answers',
          _BOTH, 'guest', 'connectivity', _DOC_NETWORK, {
              'pass': 'TCP to the instance metadata service succeeds',
              'warn': 'the instance metadata service is unreachable (the backup does not need it)',
          }),
    Check('connectivity.https', 'connectivity', 'HTTPS to Azure public endpoints works',
          _BOTH, 'guest', 'connectivity', _DOC_NETWORK, {
              'pass': 'TCP 443 and a TLS handshake succeed for every endpoint',
              'fail': 'an endpoint the backups need cannot be reached over HTTPS, directly or through the proxy',
          }),
    Check('connectivity.dns', 'connectivity', 'The HTTPS endpoints\' names resolve',
          _BOTH, 'guest', 'connectivity', _DOC_NETWORK, {
              'pass': 'every endpoint name resolves',
              'warn': 'names do not resolve in the guest, but a proxy resolves them for the agent',
              'fail': 'an endpoint name the backups need does not resolve',
          }),
    Check('connectivity.proxy', 'connectivity', 'The configured proxy is reachable and consistent',
          _BOTH, 'guest', 'connectivity', _DOC_NETWORK, {
              'pass': 'the proxy is reachable and every place that configures it agrees',
              'info': 'no proxy is configured',
              'warn': 'the places that configure the proxy disagree',
              'fail': 'the proxy is unreachable or needs authentication (not supported by VM backup)',
          }),
    Check('connectivity.route', 'connectivity', 'The kernel has a usable route to the wireserver',
          _BOTH, 'guest', 'connectivity', _DOC_NETWORK, {
              'pass': 'a usable route to the wireserver exists',
              'fail': 'no route, or an unreachable/prohibit/blackhole route to the wireserver',
          }),
    Check('connectivity.firewall', 'connectivity', 'No local firewall rule blocks root\'s platform traffic',
          _BOTH, 'guest', 'connectivity', _DOC_NETWORK, {
              'pass': 'no rule drops root\'s traffic to the wireserver or to port 443 '
                      '(the agent\'s own non-root drop rules are expected)',
              'warn': 'the firewall rules could only be read in part',
              'fail': 'a rule drops or rejects root\'s traffic to the wireserver or to port 443',
          }),
    Check('connectivity.nsg', 'connectivity', 'The network security groups allow outbound HTTPS to Azure Storage',
          _BOTH, 'control_plane', None, _DOC_NO_NETWORK, {
              'pass': 'no network security group on the primary NIC or its subnet, or both let outbound TCP 443 reach '
                      'the Storage (or AzureBackup) service tag',
              'fail': 'a Deny rule of the NIC\'s or the subnet\'s network security group takes outbound TCP 443 to '
                      'Storage and AzureBackup before any Allow (ExtensionSnapshotFailedNoNetwork)',
          }),
    # -- agent (article cause 2) ------------------------------------------------------------
    Check('agent.installed', 'agent', 'The VM agent is installed',
          _BOTH, 'guest', 'agent', _DOC_AGENT_HEALTH, {
              'pass': 'the agent package or binary is present',
              'fail': 'the agent is not installed',
          }),
    Check('agent.version', 'agent', 'The VM agent is at or above the minimum version',
          _BOTH, 'guest', 'agent', _DOC_AGENT_HEALTH, {
              'pass': 'daemon and goal-state agent versions are at or above the minimum',
              'warn': 'the goal-state agent version is unknown',
              'fail': 'the agent version is below the minimum',
          }),
    Check('agent.service', 'agent', 'The VM agent service is enabled and running',
          _BOTH, 'guest', 'agent', _DOC_AGENT_HEALTH, {
              'pass': 'the service is enabled (automatic) and running',
              'warn': 'the service runs but is not enabled at boot',
              'fail': 'the service is inactive, or is missing',
          }),
    Check('agent.process', 'agent', 'The agent daemon and extension handler processes exist',
          _LINUX, 'guest', 'agent', _DOC_AGENT_LINUX, {
              'pass': 'both the daemon and the -run-exthandlers process exist',
              'fail': 'the daemon or the extension handler process is missing',
          }),
    Check('agent.autorestart', 'agent', 'The agent service restarts itself after a crash',
          _BOTH, 'guest', 'agent', _DOC_AGENT_LINUX, {
              'pass': 'the service manager restarts the agent after a crash',
              'warn': 'the agent is not restarted after a crash',
          }),
    Check('agent.crashes', 'agent', 'The agent services did not crash recently (Windows)',
          _WINDOWS, 'guest', 'agent', _DOC_AGENT_HEALTH, {
              'pass': 'no crash of the agent services or executables in the last 24 hours',
              'warn': 'one crash in the last 24 hours',
              'fail': 'repeated crashes in the last 24 hours',
          }),
    Check('agent.certificate', 'agent', 'The CRP tenant certificate exists and is valid (Windows)',
          _WINDOWS, 'guest', 'agent', _DOC_AGENT_HEALTH, {
              'pass': 'a TenantEncryptionCert certificate is within its validity',
              'fail': 'no tenant certificate, or every one has expired (GuestAgentCertificateNotFound)',
          }),
    Check('agent.extensions_enabled', 'agent', 'Extension processing is enabled in the agent',
          _LINUX, 'guest', 'agent', _DOC_AGENT_CONFIG_LINUX, {
              'pass': 'Extensions.Enabled is y (or unset: the default is y)',
              'fail': 'Extensions.Enabled is n: the agent ignores the backup extension',
          }),
    Check('agent.autoupdate', 'agent', 'The agent may update itself',
          _LINUX, 'guest', 'agent', _DOC_AGENT_LINUX, {
              'pass': 'AutoUpdate.Enabled is y',
              'warn': 'AutoUpdate.Enabled is n: the goal-state agent cannot update',
          }),
    Check('agent.verbose_logging', 'agent', 'Verbose agent logging state',
          _LINUX, 'guest', 'agent', _DOC_AGENT_LINUX, {
              'info': 'the Logs.Verbose value',
          }),
    Check('agent.log_errors', 'agent', 'Recent errors in the agent log',
          _LINUX, 'guest', 'collect_logs', _DOC_AGENT_LINUX, {
              'pass': 'no recent error lines',
              'info': 'recent error lines that are known side effects (shown as an excerpt)',
              'warn': 'recent error lines (shown as an excerpt)',
          }),
    Check('agent.azure_status', 'agent', 'Azure reports the VM agent Ready',
          _BOTH, 'control_plane', None, _DOC_AGENT_UNAVAILABLE, {
              'pass': 'the instance view reports the VM agent Ready (ProvisioningState/succeeded)',
              'fail': 'the VM agent is Not Ready, or Azure has no status of it (UserErrorGuestAgentStatusUnavailable); '
                      'Azure\'s message in the evidence',
          }),
    # -- extension (article cause 3) --------------------------------------------------------
    Check('extension.installed', 'extension', 'The VM snapshot extension handler is on disk',
          _BOTH, 'guest', 'extension', _DOC_EXTENSION_HEALTH, {
              'pass': 'a VMSnapshot handler directory exists',
              'info': 'no handler on disk (backup not enabled yet, or the extension was removed)',
          }),
    Check('extension.version', 'extension', 'The newest installed handler is at or above the minimum',
          _BOTH, 'guest', 'extension', _DOC_EXTENSION_HEALTH, {
              'pass': 'the newest handler version is at or above the minimum',
              'fail': 'the newest handler version is below the minimum',
          }),
    Check('extension.status', 'extension', 'The handler\'s newest status file reports success',
          _BOTH, 'guest', 'extension', _DOC_EXTENSION_STATUS, {
              'pass': 'the newest status is success',
              'info': 'no status file yet',
              'warn': 'the status is transitioning for too long, or warning',
              'fail': 'the status is error (code and message in the evidence)',
          }),
    Check('extension.stale', 'extension', 'Only one handler version is on disk',
          _BOTH, 'guest', 'extension', _DOC_EXTENSION_HEALTH, {
              'pass': 'at most one handler version on disk',
              'warn': 'several handler versions on disk at once',
          }),
    Check('extension.provider_service', 'extension', 'The IaaSVmProvider service is automatic and running',
          _WINDOWS, 'guest', 'extension', _DOC_EXTENSION_HEALTH, {
              'pass': 'IaaSVmProvider exists, starts automatically and runs',
              'fail': 'IaaSVmProvider is missing, not automatic, or stopped',
          }),
    Check('extension.blocked', 'extension', 'The backup extension\'s executable is not blocked (Windows)',
          _WINDOWS, 'guest', None, _DOC_EXTENSION_HEALTH, {
              'pass': 'no AppLocker block and no crash of IaaSBcdrExtension.exe in the last 24 hours',
              'warn': 'AppLocker would block IaaSBcdrExtension.exe (audit mode)',
              'fail': 'IaaSBcdrExtension.exe was blocked by AppLocker or crashed (antivirus, policy)',
          }),
    Check('extension.provisioning', 'extension', 'Every VM extension is provisioned in Azure',
          _BOTH, 'control_plane', None, _DOC_EXTENSION_STATUS, {
              'pass': 'the VM and every extension are in provisioning succeeded, and the backup extension reports '
                      'no error',
              'warn': 'the VM or an extension is still being provisioned (updating, transitioning)',
              'fail': 'the VM or an extension failed to provision, or the VMSnapshot extension reports an error '
                      '(UserErrorVmProvisioningStateFailed; code and message in the evidence)',
          }),
    # -- snapshot (article cause 4) ---------------------------------------------------------
    Check('snapshot.load', 'snapshot', 'CPU and memory use stay below the threshold',
          _BOTH, 'guest', None, _DOC_VMS_SNAPSHOT, {
              'pass': 'CPU and memory use stay below the threshold',
              'warn': 'CPU or memory use reaches the threshold in some samples, or CPU in every sample but no '
                      'lasting figure confirms it (a burst)',
              'fail': 'CPU use at or above the threshold in every sample and lasting (pressure stall information, '
                      'the 1-minute load per CPU, or a window of at least 10 s), work waiting for the CPU that '
                      'share of the last 10 s and of the window, or memory use (without reclaimable cache) high in '
                      'every sample',
          }),
    Check('snapshot.dhcp', 'snapshot', 'DHCP is enabled for the primary interface in the guest',
          _BOTH, 'guest', 'snapshot', _DOC_SNAPSHOT, {
              'pass': 'the primary interface is configured by DHCP',
              'warn': 'the network configuration could not be attributed with certainty',
              'fail': 'the primary interface has a static configuration in the guest',
          }),
    Check('snapshot.sql_vss', 'snapshot', 'SQL Server backups use VSS copy backup',
          _WINDOWS, 'guest', 'snapshot', _DOC_VMS_SNAPSHOT, {
              'pass': 'SQL Server absent, or UseVSSCopyBackup is "True"',
              'fail': 'SQL Server present and UseVSSCopyBackup is not "True"',
          }),
    Check('snapshot.vss', 'snapshot', 'VSS writers are stable and the VSS services usable (Windows)',
          _WINDOWS, 'guest', 'snapshot', _DOC_VMS_SNAPSHOT, {
              'pass': 'every VSS writer is [1] Stable with no error, and VSS, COMSysApp and MSDTC exist and are not '
                      'disabled',
              'warn': 'every writer is stable but one reports a last error',
              'fail': 'a writer is not stable (ExtensionFailedVssWriterInBadState), or a VSS service is disabled '
                      'or missing (ExtensionSnapshotFailedCOM)',
          }),
    Check('snapshot.power_state', 'snapshot', 'The power state in Azure agrees with the guest',
          _BOTH, 'control_plane', None, _DOC_SNAPSHOT, {
              'pass': 'Azure reports the VM running',
              'warn': 'Azure reports the VM between two states (starting, stopping, deallocating)',
              'fail': 'the VM is stopped or deallocated in Azure (a VM shut down from inside reports wrongly), or the '
                      'guest answers while Azure says it is stopped (they disagree)',
          }),
    Check('snapshot.schedule', 'snapshot', 'Backups of one availability set or cloud service are staggered',
          _BOTH, 'control_plane', None, _DOC_VMS_SNAPSHOT, {
              'pass': 'no more than 4 VMs of the VM\'s availability set or cloud service start their backup at its time',
              'fail': 'more than 4 VMs of one availability set or cloud service start their backup at the same time '
                      '(a staggered schedule is proposed)',
          }),
    # -- backup (what the Recovery Services vault says) -------------------------------------------------
    Check('backup.last_job', 'backup', 'The VM\'s last backup job succeeded',
          _BOTH, 'control_plane', None, _DOC_OVERVIEW, {
              'pass': 'the last backup job completed',
              'info': 'a backup job is in progress, or the VM is not protected by a vault the run read',
              'warn': 'the last backup job completed with warnings or was cancelled, or a protected VM had no backup '
                      'job in the window read',
              'fail': 'the last backup job failed (its error code, message and the checks that explain the code in '
                      'the evidence)',
          }),
    Check('backup.restore_points', 'backup', 'The VM\'s restore points can be cleaned up',
          _BOTH, 'control_plane', None, _DOC_RP_LIMIT, {
              'pass': 'fewer restore points than the limit, and no lock on their collection or resource group',
              'fail': 'the VM has the maximum number of restore points, or a lock on the collection, its resource '
                      'group (AzureBackupRG_<geo>_<n>) or the subscription blocks their cleanup '
                      '(UserErrorRpCollectionLimitReached)',
          }),
)

_BY_ID = dict((check.id, check) for check in CHECKS)


class ErrorCode(collections.namedtuple('ErrorCode', ['message', 'checks'])):
    """A backup job's error code: the error message the articles give for it (what the job's error details say),
    and the checks whose `fail` or `warn` on the same VM explain it, in the order the articles list the causes."""
    __slots__ = ()


_AGENT_CHECKS = ('agent.azure_status', 'agent.installed', 'agent.service', 'agent.process', 'agent.version')
_SNAPSHOT_CHECKS = ('snapshot.power_state', 'snapshot.dhcp', 'snapshot.load')
_NETWORK_CHECKS = ('connectivity.nsg', 'connectivity.wireserver', 'connectivity.https', 'connectivity.dns',
                   'connectivity.proxy', 'connectivity.route', 'connectivity.firewall')

# Backup job error codes -> what they mean and which checks explain them. Sources: the articles' sections named
# after each code (ARTICLE_URL, VMS_ARTICLE_URL, both 11/2025). The jobs' error details carry a number and the
# message; the name appears in the portal and the articles, so a job is recognised by either (plugin_utils/azure).
ERROR_CODES = {
    'GuestAgentSnapshotTaskStatusError': ErrorCode(
        'Could not communicate with the VM agent for snapshot status',
        _AGENT_CHECKS + ('agent.extensions_enabled', 'extension.blocked') + _SNAPSHOT_CHECKS),
    'UserErrorGuestAgentStatusUnavailable': ErrorCode(
        'VM Agent unable to communicate with Azure Backup',
        _AGENT_CHECKS + ('extension.provisioning', 'snapshot.power_state', 'connectivity.wireserver')),
    'UserErrorVmProvisioningStateFailed': ErrorCode(
        'The VM is in failed provisioning state', ('extension.provisioning', 'extension.status')),
    'ExtensionSnapshotFailedNoNetwork': ErrorCode(
        'Snapshot operation failed due to no network connectivity on the virtual machine',
        _NETWORK_CHECKS + ('snapshot.dhcp', 'snapshot.power_state')),
    'ExtensionOperationFailedForManagedDisks': ErrorCode(
        'VMSnapshot extension operation failed',
        _SNAPSHOT_CHECKS + _AGENT_CHECKS + ('extension.status', 'extension.provisioning')),
    'BackUpOperationFailed': ErrorCode(
        'Backup failed with an internal error - Please retry the operation in a few minutes',
        _AGENT_CHECKS + _SNAPSHOT_CHECKS + ('backup.restore_points', 'extension.version')),
    'BackUpOperationFailedV2': ErrorCode(
        'Backup failed with an internal error - Please retry the operation in a few minutes',
        _AGENT_CHECKS + _SNAPSHOT_CHECKS + ('backup.restore_points', 'extension.version')),
    'UserErrorRpCollectionLimitReached': ErrorCode(
        'The Restore Point collection max limit has reached', ('backup.restore_points',)),
    'UserErrorFsFreezeFailed': ErrorCode(
        'Failed to freeze one or more mount-points of the VM to take a file-system consistent snapshot',
        ('extension.status',)),
    'ExtensionFailedVssWriterInBadState': ErrorCode(
        'Snapshot operation failed because VSS writers were in a bad state', ('snapshot.vss', 'snapshot.load')),
    'ExtensionSnapshotFailedNoSecureNetwork': ErrorCode(
        'The snapshot operation failed because of failure to create a secure network communication channel',
        ('platform.tls',)),
    # An Azure Policy denies what the backup creates (tags, the restore point resource group): no guest check.
    'UserErrorRequestDisallowedByPolicy': ErrorCode(
        'An invalid policy is configured on the VM which is preventing Snapshot operation', ()),
    'ExtensionFailedTimeoutVMNetworkUnresponsive': ErrorCode(
        'Snapshot operation failed due to inadequate VM resources', ('snapshot.load',)),
    'UserErrorVmNotInDesirableState': ErrorCode(
        'VM is not in a state that allows backups', ('snapshot.power_state', 'extension.provisioning')),
    'ExtensionStuckInDeletionState': ErrorCode(
        'Extension state is not supportive to the backup operation', ('extension.provisioning', 'agent.azure_status')),
}


class Fix(collections.namedtuple('Fix', ['name', 'role', 'checks', 'default', 'risky', 'title'])):
    """One fix of the remediation: its switch ``remediate_<name>`` (also its tag), the role that applies it
    and the checks whose `fail` or `warn` call for it. ``risky`` fixes change the network path, remove
    state or restart services other than the agent's, and are off unless asked for."""
    __slots__ = ()


FIXES = (
    Fix('agent_install', 'agent', ('agent.installed',), True, False, 'install the agent package'),
    Fix('agent_upgrade', 'agent', ('agent.version',), True, False, 'upgrade the agent package'),
    Fix('agent_service', 'agent', ('agent.installed', 'agent.service', 'agent.process'), True, False,
        'enable and start the agent service'),
    Fix('agent_autorestart', 'agent', ('agent.autorestart',), True, False, 'restart the agent after a crash'),
    Fix('agent_extensions_enabled', 'agent', ('agent.extensions_enabled',), True, False,
        'set Extensions.Enabled=y'),
    Fix('agent_autoupdate', 'agent', ('agent.autoupdate',), True, False, 'set AutoUpdate.Enabled=y'),
    Fix('connectivity_proxy', 'connectivity', ('connectivity.proxy',), True, False,
        'set or remove the agent\'s proxy (needs remediate_proxy_state)'),
    Fix('connectivity_firewall', 'connectivity', ('connectivity.firewall',), False, True,
        'accept root\'s platform traffic before the blocking firewall rules'),
    Fix('connectivity_route', 'connectivity', ('connectivity.route',), False, True,
        'replace a broken route to the wireserver'),
    Fix('connectivity_nsg', 'connectivity', ('connectivity.nsg',), False, True,
        'add Allow rules for outbound TCP 443 to the Storage and AzureBackup service tags to the VM\'s NSGs (Azure)'),
    Fix('extension_provider_service', 'extension', ('extension.provider_service',), True, False,
        'set IaaSVmProvider automatic and start it (Windows)'),
    Fix('extension_reset', 'extension', ('extension.version', 'extension.status', 'extension.provider_service'),
        False, True, 'reset the VMSnapshot extension in the guest (Windows; pair with its removal in Azure)'),
    Fix('extension_remove', 'extension',
        ('extension.version', 'extension.status', 'extension.stale', 'extension.provisioning'), True, False,
        'remove the VMSnapshot extension in Azure, which the next backup installs again (Linux: and its handler '
        'directories in the guest)'),
    Fix('snapshot_dhcp', 'snapshot', ('snapshot.dhcp',), False, True,
        'configure the primary interface by DHCP (rolls back by itself)'),
    Fix('snapshot_sql_vss', 'snapshot', ('snapshot.sql_vss',), True, False,
        'set UseVSSCopyBackup=True where SQL Server runs (Windows)'),
    Fix('snapshot_vss_services', 'snapshot', ('snapshot.vss',), True, False,
        'start VSS, COMSysApp and MSDTC, Manual where disabled (Windows)'),
    Fix('snapshot_vss_writer_restart', 'snapshot', ('snapshot.vss',), False, True,
        'restart the services of failed VSS writers (Windows)'),
    Fix('snapshot_load_report', 'snapshot', ('snapshot.load',), True, False,
        'report high CPU or memory use with the on-demand backup advice'),
    Fix('snapshot_schedule', 'snapshot', ('snapshot.schedule',), False, True,
        'move the VMs snapshot.schedule proposes to copies of their backup policy that start later (Azure)'),
    # Last of the fixes that change something: it proves them (remediation.plan).
    Fix('backup_on_demand', 'backup', ('backup.last_job',), True, False,
        'run an on-demand backup after the fixes and follow its job to its end (Azure)'),
    Fix('collect_logs', 'collect_logs', ('agent.log_errors',), False, False, 'collect redacted logs'),
)
_FIXES_BY_NAME = dict((fix.name, fix) for fix in FIXES)


def get_fix(name):
    """Return the Fix called ``name``; KeyError naming it for an unknown one."""
    try:
        return _FIXES_BY_NAME[name]
    except (KeyError, TypeError):
        raise KeyError('unknown fix %r (known: %s)' % (name, ', '.join(sorted(_FIXES_BY_NAME)))) from None


def fixes_for(check_id):
    """The fixes a failing or warning ``check_id`` calls for, in catalog order."""
    return tuple(fix for fix in FIXES if check_id in fix.checks)


def error_code_checks(code):
    """The checks that explain the backup job error ``code`` (empty for an unknown code)."""
    entry = ERROR_CODES.get(code)
    return entry.checks if entry else ()


def get_check(check_id):
    """Return the Check for ``check_id``; KeyError naming the id for an unknown one."""
    try:
        return _BY_ID[check_id]
    except (KeyError, TypeError):
        raise KeyError('unknown check id %r (known: %s)' % (check_id, ', '.join(sorted(_BY_ID)))) from None


def checks_for(platform=None, cause=None, scope=None):
    """Checks in catalog order, filtered by platform, cause and scope (None means any)."""
    for name, value, allowed in (('platform', platform, PLATFORMS), ('cause', cause, CAUSES),
                                 ('scope', scope, SCOPES)):
        if value is not None and value not in allowed:
            raise ValueError('unknown %s %r (expected one of %s)' % (name, value, ', '.join(allowed)))
    return tuple(check for check in CHECKS
                 if (platform is None or platform in check.platforms)
                 and (cause is None or check.cause == cause)
                 and (scope is None or check.scope == scope))
