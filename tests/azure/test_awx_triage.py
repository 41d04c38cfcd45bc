"""The triage job template as AWX runs it: ansible-runner, the project's awx/triage.yml, survey answers as extra
variables, the Azure credential as environment variables (the fake's), no host of the inventory reachable. The
job succeeds and its custom stats (what a workflow's next node receives) name the VM whose backup failed."""
import json
import os
import shutil
import sys

from azure_run import child_env

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VAULT = ('/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-backup/providers/'
         'Microsoft.RecoveryServices/vaults/vault-1')


def custom_stats(runner):
    for event in runner.events:
        if event.get('event') == 'playbook_on_stats':
            return event['event_data'].get('artifact_data') or {}
    return {}


def test_the_triage_job_template_reports_the_failed_vm_as_custom_stats(fake_azure, tmp_path):
    import ansible_runner
    fake = fake_azure('basic')
    project = tmp_path / 'project'
    shutil.copytree(os.path.join(REPO, 'awx'), str(project / 'awx'))
    localhost = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    inventory = {'all': {'hosts': {'localhost': localhost}}}
    env = child_env(fake, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', ''))
    runner = ansible_runner.run(private_data_dir=str(tmp_path), playbook='awx/triage.yml', inventory=inventory,
                                extravars={'triage_vaults': [VAULT], 'triage_days': 3,
                                           'diagnose_report_dir': str(tmp_path / 'report')},
                                envvars=env, timeout=600, quiet=True)
    assert (runner.status, runner.rc) == ('successful', 0), runner.stdout.read()[-3000:]
    stats = custom_stats(runner)['snapshot_doctor']
    assert sorted(stats['hosts']) == ['vm-win-1']
    assert 'backup.last_job' in stats['hosts']['vm-win-1']['fail']
    with open(str(tmp_path / 'report' / 'findings.json'), encoding='utf-8') as handle:
        assert sorted(json.load(handle)['hosts']) == ['vm-win-1']
    assert fake.writes() == []
