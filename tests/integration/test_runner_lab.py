"""The diagnose playbook as an AWX job template runs it: ansible-runner, the project's wrapper playbook
awx/diagnose.yml, an inventory, survey answers as extra variables, fact caching on.

Uses the guests the other integration tests boot (the session's `lab` fixture), in the state they leave them.
"""
import os

from diagnose_runner import cached_facts, read_findings, run_awx_job


def test_awx_job_run_reports_custom_stats_and_caches_the_fact(lab, tmp_path):
    guests = sorted(lab.state['guests'])
    report_dir = tmp_path / 'report'
    # Survey answers: AWX passes them as extra variables.
    runner, _seconds = run_awx_job(tmp_path / 'job', 'awx/diagnose.yml', lab.inventory,
                                   {'diagnose_report_dir': str(report_dir), 'diagnose_causes': ['agent', 'extension'],
                                    'diagnose_fail_on_findings': False})
    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ('successful', 0), stdout

    # The custom stats of the report task are the job's artifacts: what a workflow's next node gets.
    stats = [event for event in runner.events if event['event'] == 'playbook_on_stats']
    assert len(stats) == 1, stdout
    artifacts = stats[0]['event_data']['artifact_data']['snapshot_doctor']
    assert artifacts['report_dir'] == str(report_dir)
    assert sorted(artifacts['hosts']) == guests
    for guest in guests:
        assert artifacts['hosts'][guest]['reachable'] is True and artifacts['hosts'][guest]['worst'], artifacts
    assert read_findings(report_dir)['hosts'][guests[0]]['findings']

    # The jsonfile fact cache in the run's artifacts holds each guest's diagnosis. Read here in ansible-core 2.19's
    # layout (s1_<host>, __payload__), which ansible-runner 2.4.3's get_fact_cache() and AWX's fact storage, reading
    # <host>, do not find (ansible/ansible-runner#1441; awx-ee pinned ansible-core below 2.19 for it, awx-ee#274).
    cache = os.path.join(runner.config.artifact_dir, 'fact_cache')
    for guest in guests:
        fact = cached_facts(cache, guest)['snapshot_doctor']
        assert sorted(set(item['cause'] for item in fact['findings'])) == ['agent', 'extension'], fact
        assert fact['summary']['worst'] == artifacts['hosts'][guest]['worst']
