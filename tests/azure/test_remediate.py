"""The remediate playbook's Azure side against the fake Azure Resource Manager, with the real azure.azcollection
modules: the backup extension removed, the NSG rules added, a VM moved to a policy that starts later, then an
on-demand backup followed to its end. Asserted on the fake's request log and on remediation.json: check mode sends
no write; each write is exactly the request expected; each appears in the report with its request id; a second run
sends no write; a failed backup job leaves the VM not fixed with the job's error code.

The guests are this machine (local connection, diagnose_assume_azure), each mapped to a VM of the scenario; every
guest fix is switched off, so only the Azure side acts.
"""
import copy
import datetime
import json
import os
import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from azure_run import local_inventory, run_playbook
from fake_arm import ARM, FakeAzure, iso, load_scenario, parse_time

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
RG_APP = SUB + "/resourceGroups/rg-app"
VM_LIN = RG_APP + "/providers/Microsoft.Compute/virtualMachines/vm-lin-1"
VM_WEB5 = RG_APP + "/providers/Microsoft.Compute/virtualMachines/vm-web-5"
AVSET = RG_APP + "/providers/Microsoft.Compute/availabilitySets/as-web"
NSG_SUBNET = RG_APP + "/providers/Microsoft.Network/networkSecurityGroups/nsg-subnet"
VAULT = SUB + "/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/vault-1"
POLICY = VAULT + "/backupPolicies/DefaultPolicy"
POLICY_2300 = VAULT + "/backupPolicies/DefaultPolicy-2300"


def item(vm_name, resource_group="rg-app"):
    return ("%s/backupFabrics/Azure/protectionContainers/iaasvmcontainer;iaasvmcontainerv2;%s;%s/protectedItems/"
            "vm;iaasvmcontainerv2;%s;%s" % (VAULT, resource_group, vm_name, resource_group, vm_name))


# Every guest fix off: the guest here is this machine, only the Azure side may act.
GUEST_SWITCHES_OFF = dict(("remediate_" + name, False) for name in (
    "agent_install", "agent_upgrade", "agent_service", "agent_autorestart", "agent_extensions_enabled",
    "agent_autoupdate", "connectivity_proxy", "extension_provider_service", "snapshot_sql_vss",
    "snapshot_vss_services", "snapshot_load_report"))
PLAYBOOK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "playbooks", "remediate.yml")
WRITE_METHODS = ("PUT", "PATCH", "DELETE", "POST")
ACTIVITY = re.compile(r"^/subscriptions/([^/]+)/providers/microsoft\.insights/eventtypes/management/values$")


class RemediationFake(FakeAzure):
    """The fake, plus what Azure does around a remediation that the fake does not model itself:

    - the activity log: each write to ARM is an event whose properties.serviceRequestId is the write's
      x-ms-request-id (Azure Monitor's documented event schema), listed by eventTimestamp;
    - a deleted extension leaves the VM's instance view at once;
    - a backup job that completes installs the backup extension again, as Azure Backup does;
    - a PUT on a protected item changes its policy and keeps its other properties, as Azure's does;
    - an NSG lists the security rule PUT as its child.
    """

    def __init__(self, scenario):
        super().__init__(scenario)
        self.events = []
        self._job_vms = {}

    def handle(self, method, host, target, headers, raw, batch=False):
        parts = urlsplit(target)
        if host == ARM and method == "GET" and ACTIVITY.match(parts.path.lower()):
            return self._activity(parts, headers)
        status, extra, answer = super().handle(method, host, target, headers, raw, batch)
        if host == ARM and method in WRITE_METHODS and status < 400 and not batch and parts.path != "/batch":
            path = parts.path.rsplit("/", 1)[0] if method == "POST" else parts.path
            self.events.append({
                "eventTimestamp": iso(datetime.datetime.now(datetime.timezone.utc)), "resourceId": path,
                "operationName": {"value": "%s/%s" % (self._type_of(path), "action" if method == "POST" else
                                                      "delete" if method == "DELETE" else "write")},
                "status": {"value": "Accepted" if status == 202 else "Succeeded"},
                "httpRequest": {"method": method, "clientRequestId": headers.get("x-ms-client-request-id")},
                "correlationId": extra["x-ms-request-id"],
                "properties": {"statusCode": str(status), "serviceRequestId": extra["x-ms-request-id"]}})
            if method == "DELETE" and "/extensions/" in path.lower():
                self._forget_extension(path)
        return status, extra, answer

    def _activity(self, parts, headers):
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        times = re.findall(r"eventTimestamp\s+(ge|le)\s+'([^']+)'", query.get("$filter", ""))
        events = list(self.events)
        for operator, value in times:
            bound = parse_time(value)
            events = [e for e in events if (parse_time(e["eventTimestamp"]) >= bound if operator == "ge"
                                            else parse_time(e["eventTimestamp"]) <= bound)]
        status = 200 if times and query.get("api-version") == "2015-04-01" else 400
        answer = {"value": events} if status == 200 else {"error": {"code": "BadRequest", "message": "$filter"}}
        request_id = "activity-" + str(len(self.requests))
        self._log({"method": "GET", "host": ARM, "path": parts.path, "query": query,
                   "api_version": query.get("api-version"),
                   "bearer": headers.get("Authorization", "") == "Bearer " + self.token, "body": None,
                   "status": status, "request_id": request_id, "batch": False})
        return status, {"x-ms-request-id": request_id}, answer

    def _forget_extension(self, path):
        view = self.resources.get(path.lower().rsplit("/extensions/", 1)[0] + "/instanceview")
        if view is not None:
            name = path.rsplit("/", 1)[1].lower()
            view["extensions"] = [e for e in view.get("extensions", []) if e.get("name", "").lower() != name]

    def _put(self, path, key, body):
        if "/protecteditems/" in key and key in self.resources:
            self.resources[key].setdefault("properties", {}).update(copy.deepcopy(body.get("properties") or {}))
            return 200, {}, copy.deepcopy(self.resources[key])
        status, extra, answer = super()._put(path, key, body)
        parent, separator, _name = key.rpartition("/securityrules/")
        if separator and parent in self.resources:  # the NSG lists its rules
            rules = self.resources[parent].setdefault("properties", {}).setdefault("securityRules", [])
            rules[:] = [rule for rule in rules if rule.get("id", "").lower() != key] + [copy.deepcopy(answer)]
        return status, extra, answer

    def _start_job(self, item_key):
        job_key = super()._start_job(item_key)
        self._job_vms[job_key] = self.resources[item_key]["properties"].get("sourceResourceId")
        return job_key

    def _finish_job(self, key):
        super()._finish_job(key)
        vm_id = self._job_vms.get(key)
        if self.resources[key]["properties"]["status"] != "Completed" or not vm_id:
            return
        vm = self.resources[vm_id.lower()]
        name = "VMSnapshot" if vm["properties"]["storageProfile"]["osDisk"]["osType"] == "Windows" else "VMSnapshotLinux"
        self._store(vm_id + "/extensions/" + name, {"type": "Microsoft.Compute/virtualMachines/extensions",
                                                    "properties": {"publisher": "Microsoft.Azure.RecoveryServices",
                                                                   "type": name, "provisioningState": "Succeeded"}})
        view = self.resources.get(vm_id.lower() + "/instanceview")
        if view is not None:
            view["extensions"] = [e for e in view.get("extensions", []) if e.get("name") != name] + [{
                "name": name, "type": "Microsoft.Azure.RecoveryServices." + name, "typeHandlerVersion": "1.0.9225.0",
                "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info",
                              "displayStatus": "Provisioning succeeded"}]}]


def scenario(crowded=False, backup_outcomes=None):
    """basic.json with vm-lin-1's backup extension failed in Azure; ``crowded`` adds 5 VMs of one availability
    set whose backups start at 22:00 together (the proposal moves vm-web-5 to 23:00)."""
    data = load_scenario("basic")
    resources = data["resources"]
    view = resources[VM_LIN + "/instanceView"]
    view["extensions"][0]["statuses"] = [{"code": "ProvisioningState/failed/-1", "level": "Error",
                                          "displayStatus": "Provisioning failed",
                                          "message": "Enable failed: the snapshot handler did not answer"}]
    if crowded:
        resources[AVSET] = {"type": "Microsoft.Compute/availabilitySets", "location": "westeurope", "properties": {}}
        for number in range(1, 6):
            vm_id = RG_APP + "/providers/Microsoft.Compute/virtualMachines/vm-web-%d" % number
            resources[vm_id] = {"type": "Microsoft.Compute/virtualMachines", "location": "westeurope", "properties": {
                "provisioningState": "Succeeded", "availabilitySet": {"id": AVSET},
                "storageProfile": {"osDisk": {"osType": "Linux"}}, "networkProfile": {"networkInterfaces": []}}}
            resources[item("vm-web-%d" % number)] = {
                "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
                "properties": {"friendlyName": "vm-web-%d" % number, "virtualMachineId": vm_id, "sourceResourceId": vm_id,
                               "protectedItemType": "Microsoft.Compute/virtualMachines",
                               "backupManagementType": "AzureIaasVM", "workloadType": "VM",
                               "containerName": "iaasvmcontainerv2;rg-app;vm-web-%d" % number,
                               "protectionState": "Protected", "policyId": POLICY, "policyName": "DefaultPolicy"}}
    if backup_outcomes:
        data["backup_outcomes"] = backup_outcomes
    return data


@pytest.fixture
def remediation_fake():
    started = []

    def start(data):
        fake = RemediationFake(data)
        fake.__enter__()
        started.append(fake)
        return fake

    yield start
    for fake in reversed(started):
        fake.__exit__(None, None, None)


def remediate(fake, tmp_path, hosts, check=False, **switches):
    inventory = local_inventory(dict((name, {"diagnose_azure_vm_id": vm_id, "diagnose_assume_azure": True})
                                     for name, vm_id in hosts.items()))
    extra = dict(GUEST_SWITCHES_OFF, remediate_azure=True, remediate_report_dir=str(tmp_path / "report"),
                 remediate_backup_poll_delay=1, remediate_backup_timeout=60, **switches)
    rc, results = run_playbook(PLAYBOOK, fake, extra_vars=extra, inventory=inventory, check=check, diff=check)
    assert rc == 0 and not results.failed(), results.output[-5000:]
    with open(tmp_path / "report" / "remediation.json") as handle:
        return results, json.load(handle)


def writes(fake):
    return sorted((entry["method"], entry["path"].lower(), entry["api_version"], json.dumps(entry["body"], sort_keys=True))
                  for entry in fake.writes())


def rule_body(tag, priority):
    return {"properties": {
        "description": "snapshot_doctor: Azure Backup needs outbound HTTPS to %s.westeurope "
                       "(ExtensionSnapshotFailedNoNetwork)" % tag,
        "protocol": "Tcp", "sourceAddressPrefix": "VirtualNetwork", "sourcePortRange": "*",
        "destinationAddressPrefix": tag + ".westeurope", "destinationPortRange": "443", "access": "Allow",
        "priority": priority, "direction": "Outbound"}}


def staggered_default_policy():
    return {"properties": {
        "backupManagementType": "AzureIaasVM", "instantRpRetentionRangeInDays": 2, "timeZone": "UTC",
        "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily",
                           "scheduleRunTimes": ["2025-01-01T23:00:00Z"], "scheduleWeeklyFrequency": 0},
        "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy", "dailySchedule": {
            "retentionTimes": ["2025-01-01T23:00:00Z"], "retentionDuration": {"count": 30, "durationType": "Days"}}}}}


BACKUP = {"properties": {"objectType": "IaasVMBackupRequest"}}
EXPECTED_WRITES = sorted((method, path.lower(), api_version, json.dumps(body, sort_keys=True)) for method, path, api_version, body in (
    ("DELETE", VM_LIN + "/extensions/VMSnapshotLinux", "2024-07-01", None),
    ("PUT", NSG_SUBNET + "/securityRules/snapshot-doctor-allow-storage-443", "2024-05-01", rule_body("Storage", 199)),
    ("PUT", NSG_SUBNET + "/securityRules/snapshot-doctor-allow-azurebackup-443", "2024-05-01",
     rule_body("AzureBackup", 198)),
    ("PUT", POLICY_2300, "2019-05-13", staggered_default_policy()),
    ("PUT", item("vm-web-5"), "2019-05-13", {"properties": {
        "protectedItemType": "Microsoft.Compute/virtualMachines", "sourceResourceId": VM_WEB5, "policyId": POLICY_2300}}),
    ("POST", item("vm-lin-1") + "/backup", "2016-12-01", BACKUP),
    ("POST", item("vm-web-5") + "/backup", "2016-12-01", BACKUP),
))
HOSTS = {"vm-lin-1": VM_LIN, "vm-web-5": VM_WEB5}
RISKY_ON = {"remediate_connectivity_nsg": True, "remediate_snapshot_schedule": True}


def test_check_mode_sends_no_write_and_shows_the_changes(remediation_fake, tmp_path):
    fake = remediation_fake(scenario(crowded=True))
    results, report = remediate(fake, tmp_path, HOSTS, check=True, **RISKY_ON)
    assert fake.writes() == []
    assert all(entry["method"] == "GET" and entry["bearer"] for entry in fake.arm_requests())
    assert report["check_mode"] is True and report["azure_writes"] == []
    assert report["hosts"]["vm-lin-1"]["fixes"] == ["connectivity_nsg", "extension_remove", "backup_on_demand"]
    assert report["hosts"]["vm-web-5"]["fixes"] == ["snapshot_schedule", "backup_on_demand"]
    assert report["hosts"]["vm-lin-1"]["vm"] == "not proven"
    # --check --diff: the staggered policy and the VM's move.
    assert "DefaultPolicy-2300 (a copy of DefaultPolicy starting at 23:00)" in results.output
    assert "+policy: %s" % POLICY_2300 in results.output and "-policy: %s" % POLICY in results.output


def test_a_run_writes_exactly_the_fixes_proves_them_and_a_second_run_writes_nothing(remediation_fake, tmp_path):
    fake = remediation_fake(scenario(crowded=True))
    results, report = remediate(fake, tmp_path, HOSTS, **RISKY_ON)
    assert writes(fake) == EXPECTED_WRITES
    assert all(entry["bearer"] for entry in fake.arm_requests())
    # Every write is in the report with the request id Azure gave it.
    sent = sorted((entry["method"], entry["path"].lower(), entry["request_id"]) for entry in fake.writes())
    reported = sorted((write["method"], write["path"].lower(), write["request_id"]) for write in report["azure_writes"])
    assert reported == sent
    for write in report["azure_writes"]:
        assert write["hosts"] == (["vm-web-5"] if "vm-web-5" in write["path"] or "2300" in write["path"]
                                  else ["vm-lin-1"]), write
    for host in HOSTS:
        entry = report["hosts"][host]
        assert entry["vm"] == "fixed", entry
        assert entry["backup_job"]["status"] == "Completed" and entry["backup_job"]["id"].startswith(VAULT)
    lin = report["hosts"]["vm-lin-1"]
    assert "Azure Backup installs it again at the next backup" in " ".join(lin["notes"])
    statuses = dict((row["check"], (row["before"], row["after"])) for row in lin["checks"])
    assert statuses["extension.provisioning"] == ("fail", "pass")
    assert statuses["connectivity.nsg"] == ("fail", "pass")
    markdown = (tmp_path / "report" / "remediation.md").read_text()
    assert "VM: **fixed**" in markdown and fake.writes()[0]["request_id"] in markdown

    fake.reset_log()
    results, report = remediate(fake, tmp_path, HOSTS, **RISKY_ON)
    assert fake.writes() == []
    assert [entry["fixes"] for entry in report["hosts"].values()] == [[], []]


def test_a_failed_backup_job_leaves_the_vm_not_fixed_with_its_error_code(remediation_fake, tmp_path):
    fake = remediation_fake(scenario(backup_outcomes={"vm-lin-1": {
        "status": "Failed", "errorCode": "ExtensionSnapshotFailedNoNetwork",
        "errorString": "Snapshot operation failed due to no network connectivity on the virtual machine."}}))
    results, report = remediate(fake, tmp_path, {"vm-lin-1": VM_LIN})
    assert [(entry["method"], entry["path"].lower()) for entry in fake.writes()] == [
        ("DELETE", (VM_LIN + "/extensions/VMSnapshotLinux").lower()), ("POST", (item("vm-lin-1") + "/backup").lower())]
    entry = report["hosts"]["vm-lin-1"]
    assert entry["vm"] == "not fixed"
    assert entry["backup_job"]["status"] == "Failed"
    assert entry["backup_job"]["error_code"] == "ExtensionSnapshotFailedNoNetwork"
    assert "ExtensionSnapshotFailedNoNetwork" in entry["vm_why"]
    assert "VM: **not fixed**" in (tmp_path / "report" / "remediation.md").read_text()
