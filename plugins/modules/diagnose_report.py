# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the action plugin plugins/action/diagnose_report.py, which does the work.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: diagnose_report
short_description: Write the snapshot_doctor report files from the diagnose results of many hosts
version_added: 0.1.0
description:
  - Runs on the controller only. Turns the registered results of M(azure_backup.snapshot_doctor.diagnose)
    (one per host, whatever their outcome) into a report directory.
  - C(findings.json) follows the collection's checks.md contract (schema 1); C(report.md); C(report.html),
    one self-contained page (a colour matrix of hosts and causes, then each host's findings with evidence,
    remedy and the article's link; everything escaped); C(junit.xml), one test case per host and check
    (C(fail) is a failure, C(error) an error, C(skip) skipped).
  - An unreachable host appears with C(reachable=false) and an C(error) line. A host whose diagnosis failed (for
    example an unsupported OS) appears with C(reachable=true) and C(error). Either has no findings, unless
    O(control_plane) says something about its VM; then it carries the control-plane findings (what Azure says).
  - The directory is created (or tightened) to mode 0700; every file is written atomically with mode 0600.
  - Secrets in evidence (SAS signatures, credentials in URLs) are redacted before anything is written.
author:
  - snapshot_doctor maintainers (@snapshot-doctor)
options:
  results:
    description:
      - Mapping of inventory hostname to that host's registered diagnose result (use
        C(ignore_unreachable) on the diagnose task so unreachable hosts have one).
      - Give either O(results), or O(hosts) and O(result_var).
    type: dict
  hosts:
    description:
      - The hosts to report (for example C(ansible_play_hosts_all)); each one's registered result is read from
        its variable O(result_var) by the action itself.
      - Faster than O(results) for a large fleet, which ansible-core templates and copies whole before the
        action runs. A host without that variable is reported as having no diagnosis result.
    type: list
    elements: str
  result_var:
    description: The variable holding each host's registered diagnose result, with O(hosts).
    type: str
  dest:
    description: The report directory; relative paths are relative to the controller's working directory.
    type: path
    default: snapshot-doctor-report
  formats:
    description: The files to write besides C(findings.json), which is always written.
    type: list
    elements: str
    choices: [html, json, junit, markdown]
    default: [html, json, junit, markdown]
  set_stats:
    description:
      - Also publish C(snapshot_doctor) (C(report_dir), C(summary), C(hosts)) as custom stats, as
        M(ansible.builtin.set_stats) would (AWX/Controller job artifacts; shown with C(show_custom_stats)).
    type: bool
    default: true
  control_plane:
    description:
      - The registered result of M(azure_backup.snapshot_doctor.control_plane_facts) for the run. Its C(fleet)
        context feeds the fleet checks (C(snapshot.schedule)); its host sections give the hosts the guest
        diagnosis could not cover their control-plane findings.
    type: dict
attributes:
  check_mode:
    support: full
    description: The report is the output of a read-only diagnosis; it is written in check mode too.
extends_documentation_fragment:
  - azure_backup.snapshot_doctor.controller
seealso:
  - module: azure_backup.snapshot_doctor.diagnose
"""

EXAMPLES = r"""
- name: Write the report of every host of the play
  azure_backup.snapshot_doctor.diagnose_report:
    hosts: "{{ ansible_play_hosts_all }}"
    result_var: diagnosis
    dest: /srv/reports/snapshot-doctor
  run_once: true

- name: The same from a mapping built beforehand (slower for a large fleet)
  azure_backup.snapshot_doctor.diagnose_report:
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'diagnosis'))) }}"
    dest: /srv/reports/snapshot-doctor
  run_once: true
"""

RETURN = r"""
dest:
  description: Absolute path of the report directory.
  returned: success
  type: str
files:
  description: Paths of the files written.
  returned: success
  type: list
  elements: str
summary:
  description:
    - Fleet counts; C(hosts), C(unreachable), C(undiagnosed), C(hosts_by_worst) (hosts per worst status),
      C(findings) (findings per status).
  returned: success
  type: dict
fleet:
  description:
    - What the fleet stage did between the per-host diagnoses and the renderers; C(rules), the checks judged
      across all hosts, and C(errors), the fleet rules that failed (the hosts' own findings stay then).
  returned: success
  type: dict
  sample: {rules: [], errors: []}
lines:
  description: One line per host, its worst status and the checks that fail, error or warn (for a terminal).
  returned: success
  type: list
  elements: str
  sample:
    - "guest1: info"
    - "guest2: fail - fail: agent.service; warn: agent.autoupdate"
    - "guest3: unreachable (Failed to connect to the host via ssh)"
hosts:
  description:
    - Per host C(reachable), C(worst) status, non-zero C(counts) and the check ids in C(fail), C(error) and
      C(warn) (or C(error), the reason, for a host without findings); small enough for set_stats.
  returned: success
  type: dict
"""
