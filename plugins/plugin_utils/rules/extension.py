# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules of the extension cause (article cause 3: the backup extension fails to update or load)."""
from __future__ import absolute_import, division, print_function

from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils import defaults
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.catalog import PLATFORMS
from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.version import version_at_least
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.azure.facts import TRANSITIONAL_STATES
from ansible_collections.azure_backup.snapshot_doctor.plugins.plugin_utils.engine import (
    RULES, Error, Skip, finding)

__metaclass__ = type


def _handlers(ctx):
    handlers = ctx.observation('extension', 'handlers')
    items = handlers.get('items')
    if not isinstance(items, list):
        raise Error('facts malformed: extension.handlers has no item list')
    return items


@RULES.rule('linux', 'extension.installed')
def _extension_installed(ctx):
    items = _handlers(ctx)
    if not items:
        return finding('extension.installed', 'info', 'no VMSnapshotLinux handler on disk (backup not '
                       'enabled yet, or the extension was removed)', {'handlers': []})
    return finding('extension.installed', 'pass', 'VMSnapshotLinux %s on disk'
                   % ', '.join(item.get('version') for item in items),
                   {'handlers': [item.get('path') for item in items]})


def _need_handlers(ctx, handler='VMSnapshotLinux'):
    items = _handlers(ctx)
    if not items:
        raise Skip('no %s handler on disk' % handler)
    return items


@RULES.rule('linux', 'extension.version')
def _extension_version(ctx):
    items = _need_handlers(ctx)
    newest = items[-1].get('version')
    minimum = ctx.options['min_extension_version']
    evidence = {'newest': newest, 'minimum': minimum}
    if minimum is None:
        raise Skip('no minimum extension version configured')
    at_least = version_at_least(newest, minimum)
    if at_least is None:
        raise Error('cannot compare handler version %r with minimum %r' % (newest, minimum))
    if not at_least:
        return finding('extension.version', 'fail', 'newest handler %s is below %s' % (newest, minimum),
                       evidence, 'Uninstall the extension (Azure removes and reinstalls it at the next '
                       'backup); the extension role does this.')
    return finding('extension.version', 'pass', 'newest handler %s is at or above %s' % (newest, minimum),
                   evidence)


@RULES.rule('linux', 'extension.status')
def _extension_status(ctx):
    items = _need_handlers(ctx)
    newest = items[-1]
    status = newest.get('status')
    if not isinstance(status, dict):
        raise Error('facts lack the status of handler %s' % newest.get('version'))
    if status.get('result') == 'error':
        raise Error('status of handler %s unreadable: %s' % (newest.get('version'), status.get('message')))
    if status.get('result') != 'ok':
        raise Skip('status not gathered: %s' % status.get('message'))
    evidence = dict((key, status.get(key)) for key in ('file', 'status', 'operation', 'code', 'message',
                                                       'timestamp_utc', 'age_seconds'))
    evidence['handler'] = newest.get('version')
    if not status.get('file'):
        return finding('extension.status', 'info', 'handler %s has no status file yet' % newest.get('version'),
                       evidence)
    state = status.get('status')
    remedy = 'Uninstall the extension so that Azure reinstalls it at the next backup; the extension role does this.'
    if state == 'success':
        return finding('extension.status', 'pass', '%s succeeded (%s)'
                       % (status.get('operation'), status.get('timestamp_utc')), evidence)
    if state == 'error':
        return finding('extension.status', 'fail', '%s failed with code %s: %s'
                       % (status.get('operation'), status.get('code'), status.get('message')), evidence, remedy)
    if state == 'warning':
        return finding('extension.status', 'warn', '%s reported a warning (code %s): %s'
                       % (status.get('operation'), status.get('code'), status.get('message')), evidence)
    if state == 'transitioning':
        limit = float(ctx.options['transitioning_minutes']) * 60
        age = status.get('age_seconds')
        if isinstance(age, (int, float)) and age > limit:
            return finding('extension.status', 'warn', '%s has been transitioning for %d minutes (limit %g)'
                           % (status.get('operation'), age // 60, limit / 60), evidence, remedy)
        return finding('extension.status', 'info', '%s is in progress (transitioning)'
                       % status.get('operation'), evidence)
    raise Error('unknown extension status %r' % state)


@RULES.rule('linux', 'extension.stale')
def _extension_stale(ctx):
    items = _need_handlers(ctx)
    versions = [item.get('version') for item in items]
    if len(items) > 1:
        return finding('extension.stale', 'warn', '%d handler versions on disk: %s'
                       % (len(items), ', '.join(versions)), {'versions': versions},
                       'Uninstall the extension so that one fresh version is installed.')
    return finding('extension.stale', 'pass', 'one handler version on disk (%s)' % versions[0],
                   {'versions': versions})


# -- Windows -------------------------------------------------------------------------------------------------------
WINDOWS_EXTENSION_EXECUTABLE = 'IaaSBcdrExtension.exe'


@RULES.rule('windows', 'extension.installed')
def _windows_extension_installed(ctx):
    items = _handlers(ctx)
    if not items:
        return finding('extension.installed', 'info', 'no VMSnapshot handler under %s (backup not enabled yet, '
                       'or the extension was removed)' % defaults.WINDOWS_EXTENSION_DIR, {'handlers': []})
    return finding('extension.installed', 'pass', 'VMSnapshot %s on disk'
                   % ', '.join(str(item.get('version')) for item in items),
                   {'handlers': [item.get('path') for item in items]})


@RULES.rule('windows', 'extension.version')
def _windows_extension_version(ctx):
    items = _need_handlers(ctx, 'VMSnapshot')
    minimum = ctx.options['min_extension_version']
    if minimum == defaults.MIN_LINUX_EXTENSION_VERSION:  # the default is the Linux handler's
        minimum = defaults.MIN_WINDOWS_EXTENSION_VERSION
    if minimum is None:
        raise Skip('no documented minimum for the Windows VMSnapshot handler (newest on disk: %s); set '
                   'min_extension_version to check one' % items[-1].get('version'))
    return _extension_version(ctx)


@RULES.rule('windows', 'extension.status')
def _windows_extension_status(ctx):
    _need_handlers(ctx, 'VMSnapshot')
    return _extension_status(ctx)  # the same status file, parsed by the same parser


@RULES.rule('windows', 'extension.stale')
def _windows_extension_stale(ctx):
    _need_handlers(ctx, 'VMSnapshot')
    return _extension_stale(ctx)


@RULES.rule('windows', 'extension.provider_service')
def _windows_extension_provider_service(ctx):
    service = ctx.observation('extension', 'provider_service')
    evidence = dict((key, service.get(key)) for key in ('name', 'present', 'state', 'start_mode'))
    offline = ctx.facts.get('offline')  # a disk: only the start mode is known
    if service.get('present') and service.get('start_mode') == 'Auto' and (offline or service.get('state') == 'Running'):
        return finding('extension.provider_service', 'pass', 'IaaSVmProvider is automatic and %s'
                       % ('running' if not offline else 'starts at boot (offline: running state not observable)'),
                       evidence)
    summary = 'IaaSVmProvider is missing' if not service.get('present') else 'IaaSVmProvider is %s, start mode %s' % (
        service.get('state'), service.get('start_mode'))
    return finding('extension.provider_service', 'fail', summary, evidence,
                   'Set IaaSVmProvider to start automatically and start it; if it is missing, reset the '
                   'extension (remove it in Azure, then run an on-demand backup).')


@RULES.rule('windows', 'extension.blocked')
def _windows_extension_blocked(ctx):
    applocker = ctx.observation('extension', 'applocker_events')
    application = ctx.observation('extension', 'application_errors')
    name = WINDOWS_EXTENSION_EXECUTABLE.lower()

    def names_it(event):
        return name in ' '.join([str(event.get('message'))] + [str(value) for value in event.get('properties') or []]).lower()

    blocked = [event for event in applocker.get('events') or [] if event.get('id') == 8004 and names_it(event)]
    audited = [event for event in applocker.get('events') or [] if event.get('id') == 8003 and names_it(event)]
    crashed = [event for event in application.get('events') or [] if event.get('id') == 1000
               and str((event.get('properties') or [''])[0]).lower() == name]
    evidence = {'hours': application.get('hours'), 'events': [
        {'id': event.get('id'), 'log': event.get('log'), 'time_utc': event.get('time_utc'),
         'message': event.get('message')} for event in (blocked + crashed + audited)[:10]]}
    remedy = ('Allow %s (C:\\Packages\\Plugins\\Microsoft.Azure.RecoveryServices.VMSnapshot\\...) in AppLocker and '
              'exclude the plugin folder from antivirus scanning.' % WINDOWS_EXTENSION_EXECUTABLE)
    if blocked or crashed:
        return finding('extension.blocked', 'fail', '%s was blocked by AppLocker %d time(s) and crashed %d time(s) '
                       'in the last %s hours' % (WINDOWS_EXTENSION_EXECUTABLE, len(blocked), len(crashed),
                                                 application.get('hours')), evidence, remedy)
    if audited:
        return finding('extension.blocked', 'warn', 'AppLocker (audit mode) would block %s'
                       % WINDOWS_EXTENSION_EXECUTABLE, evidence, remedy)
    return finding('extension.blocked', 'pass', 'no AppLocker block and no crash of %s in the last %s hours'
                   % (WINDOWS_EXTENSION_EXECUTABLE, application.get('hours')), evidence)


# -- Both, from Azure ----------------------------------------------------------------------------------------------
def _extension_failed(item):
    """'code: message' when Azure reports ``item`` (an extension of the instance view) failed, else None."""
    statuses = [item] + list(item.get('substatuses') or [])
    bad = [status for status in statuses if (status.get('level') or '').lower() == 'error']
    if item.get('provisioning_state') == 'failed' or bad:
        worst = bad[0] if bad else item
        return '%s: %s' % (worst.get('status_code') or worst.get('code'), worst.get('message') or
                           worst.get('display_status') or 'no message')
    return None


@RULES.rule(PLATFORMS, 'extension.provisioning')
def _extension_provisioning(ctx):
    extensions = ctx.azure('extensions')
    vm = ctx.azure('vm')
    items = extensions.get('items') or []
    snapshot = extensions.get('snapshot')
    evidence = {'vm_provisioning_state': vm.get('provisioning_state'),
                'extensions': [dict((key, item.get(key)) for key in (
                    'name', 'type', 'version', 'provisioning_state', 'status_code', 'level', 'message'))
                    for item in items],
                'snapshot_extension': snapshot and snapshot.get('name')}
    problems = ['extension %s: %s' % (item.get('name'), _extension_failed(item)) for item in items
                if _extension_failed(item)]
    if vm.get('provisioning_state') == 'failed':
        message = vm.get('provisioning_message') or 'no message'
        problems.insert(0, 'the VM is in failed provisioning state: %s' % message)
    if problems:
        remedy = ('Uninstall the failed %s extension (Azure portal > VM > Extensions) and run an on-demand backup, '
                  'which installs it again; ' % snapshot.get('name') if snapshot and _extension_failed(snapshot)
                  else '')
        return finding('extension.provisioning', 'fail', '; '.join(problems), evidence,
                       remedy + 'resolve the other failed extensions, then retry the backup '
                       '(UserErrorVmProvisioningStateFailed).')
    changing = ['extension %s is %s' % (item.get('name'), item.get('provisioning_state')) for item in items
                if item.get('provisioning_state') in TRANSITIONAL_STATES]
    if vm.get('provisioning_state') in TRANSITIONAL_STATES:
        changing.insert(0, 'the VM is %s' % vm.get('provisioning_state'))
    if changing:
        return finding('extension.provisioning', 'warn', '%s: a backup now may fail' % '; '.join(changing), evidence,
                       'Wait until Azure reports provisioning succeeded, then retry the backup.')
    if not items:
        return finding('extension.provisioning', 'pass', 'the VM has no extension in Azure (the first backup '
                       'installs %s)' % ('VMSnapshot' if vm.get('os_type') == 'Windows' else 'VMSnapshotLinux'),
                       evidence)
    return finding('extension.provisioning', 'pass', 'the VM and its %d extension(s) are provisioned%s' % (
        len(items), ', the backup extension %s reports no error' % snapshot.get('name') if snapshot else ''),
        evidence)
