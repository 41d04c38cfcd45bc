#!/usr/bin/env bash
# `make demo`: the product's two commands on 3 simulated Azure Linux VMs with different faults.
#   1. diagnose the fleet and show where the report is;
#   2. remediate (diagnose, fix what fails, diagnose again) and show the before/after side by side.
# The lab is torn down at the end, also on failure or Ctrl-C, unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

REPORT_DIR="${REPORT_DIR:-$PWD/snapshot-doctor-report}"
lab() { python3 tests/lab/lab.py "$@"; }

teardown() {
    if [ "${KEEP:-}" = 1 ]; then
        echo "KEEP=1: the lab stays up (inventory: $(lab inventory)); 'make lab-down' stops it."
    else
        lab down >/dev/null
    fi
}
trap teardown EXIT

# guest1: the agent is stopped and ignores extensions (cause 2);
# guest2: the agent would not restart after a crash and cannot update itself (cause 2),
#         and a local firewall rule drops root's traffic to the wireserver (cause 1);
# guest3: the backup extension's last status is an error (cause 3: only the control plane can fix it).
echo "== Starting 3 lab guests with faults"
lab up --guests 3 --wait-agent \
    --fault guest1=agent_stopped --fault guest1=extensions_disabled \
    --fault guest2=restart_no --fault guest2=autoupdate_disabled --fault guest2=firewall_root_drop \
    --fault guest3=extension_status_error >/dev/null
inventory="$(lab inventory)"

echo "== 1. Diagnose: ansible-playbook azure_backup.snapshot_doctor.diagnose -i $inventory"
ansible-playbook azure_backup.snapshot_doctor.diagnose -i "$inventory" \
    -e "diagnose_report_dir=$REPORT_DIR/diagnosis"
echo "Report: $REPORT_DIR/diagnosis/report.html (also findings.json, report.md, junit.xml)"

echo "== 2. Remediate: ansible-playbook azure_backup.snapshot_doctor.remediate -i $inventory"
# The firewall fix is risky and off by default; the demo asks for it explicitly.
ansible-playbook azure_backup.snapshot_doctor.remediate -i "$inventory" \
    -e "remediate_report_dir=$REPORT_DIR/remediation" -e remediate_connectivity_firewall=true

echo "== Before and after ($REPORT_DIR/remediation/remediation.md)"
cat "$REPORT_DIR/remediation/remediation.md"
