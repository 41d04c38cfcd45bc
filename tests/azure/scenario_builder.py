"""Build fake-ARM scenarios in code: VMs with their NIC, instance view, backup extension, protected item and
jobs, each shaped as basic.json (whose bodies follow the Azure REST API reference's examples; see README.md).

    scenario = Scenario()
    scenario.vault('vault-1')
    scenario.vm('web1', agent='Not Ready', job=('Failed', 'GuestAgentSnapshotTaskStatusError'))
    with FakeAzure(scenario.data) as fake: ...
"""
import copy

SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
EXTENSION_TYPE = {"linux": "VMSnapshotLinux", "windows": "VMSnapshot"}
POWER_DISPLAY = {"running": "VM running", "stopped": "VM stopped", "deallocated": "VM deallocated",
                 "starting": "VM starting"}


def rg_id(resource_group):
    return "/subscriptions/%s/resourceGroups/%s" % (SUBSCRIPTION, resource_group)


def vm_id(name, resource_group="rg-app"):
    return rg_id(resource_group) + "/providers/Microsoft.Compute/virtualMachines/" + name


def nsg_rule(name, access, priority, destination="Internet", port="443"):
    """One outbound security rule."""
    return {"name": name, "properties": {
        "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port, "sourceAddressPrefix": "*",
        "destinationAddressPrefix": destination, "access": access, "priority": priority, "direction": "Outbound"}}


class Scenario:
    """A scenario dict (``.data``) grown VM by VM."""

    def __init__(self, comment="built by scenario_builder"):
        self.data = {"_comment": comment, "subscription_id": SUBSCRIPTION, "resources": {}, "jobs": []}
        self.vaults = []
        self._jobs = 0

    def put(self, resource_id, body):
        self.data["resources"][resource_id] = body
        return resource_id

    def vault(self, name, resource_group="rg-backup", location="westeurope", schedule="22:00"):
        vault = self.put(rg_id(resource_group) + "/providers/Microsoft.RecoveryServices/vaults/" + name,
                         {"type": "Microsoft.RecoveryServices/vaults", "location": location,
                          "properties": {"provisioningState": "Succeeded"}})
        self.vaults.append(vault)
        self.policy(vault, "DefaultPolicy", schedule)
        return vault

    def policy(self, vault, name, clock):
        return self.put(vault + "/backupPolicies/" + name, {
            "type": "Microsoft.RecoveryServices/vaults/backupPolicies", "properties": {
                "backupManagementType": "AzureIaasVM", "timeZone": "UTC", "instantRpRetentionRangeInDays": 2,
                "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily",
                                   "scheduleRunTimes": ["2025-01-01T%s:00Z" % clock], "scheduleWeeklyFrequency": 0},
                "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy", "dailySchedule": {
                    "retentionTimes": ["2025-01-01T%s:00Z" % clock],
                    "retentionDuration": {"count": 30, "durationType": "Days"}}}}})

    def nsg(self, name, rules, resource_group="rg-app", location="westeurope"):
        nsg = rg_id(resource_group) + "/providers/Microsoft.Network/networkSecurityGroups/" + name
        rules = copy.deepcopy(rules)
        for rule in rules:
            rule["id"] = nsg + "/securityRules/" + rule["name"]
            rule["type"] = "Microsoft.Network/networkSecurityGroups/securityRules"
        return self.put(nsg, {"type": "Microsoft.Network/networkSecurityGroups", "location": location,
                              "properties": {"provisioningState": "Succeeded", "securityRules": rules,
                                             "defaultSecurityRules": [], "networkInterfaces": [], "subnets": []}})

    def vm(self, name, os="linux", resource_group="rg-app", location="westeurope", agent="Ready",
           power="running", extension_state="Succeeded", extension_status=None, nsg=None, availability_set=None,
           vault=None, policy="DefaultPolicy", job=("Completed", None), restore_points=0):
        """A VM and what belongs to it. ``job``: (status, error code) of its last backup job, None for no job;
        ``vault`` None: the first vault protects it, False: not protected. ``extension_status``: (level, code,
        message) of the backup extension in the instance view."""
        vm = vm_id(name, resource_group)
        nic = rg_id(resource_group) + "/providers/Microsoft.Network/networkInterfaces/%s-nic" % name
        extension = EXTENSION_TYPE[os]
        properties = {"vmId": "00000000-0000-4000-8000-%012d" % len(self.data["resources"]),
                      "provisioningState": "Succeeded", "hardwareProfile": {"vmSize": "Standard_B2s"},
                      "storageProfile": {"osDisk": {"osType": os.capitalize(), "name": name + "_OsDisk_1"}},
                      "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": True}}]}}
        if availability_set:
            properties["availabilitySet"] = {"id": rg_id(resource_group)
                                             + "/providers/Microsoft.Compute/availabilitySets/" + availability_set}
        self.put(vm, {"type": "Microsoft.Compute/virtualMachines", "location": location, "properties": properties})
        subnet = rg_id(resource_group) + "/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"
        nic_properties = {"provisioningState": "Succeeded", "primary": True, "virtualMachine": {"id": vm},
                          "ipConfigurations": [{"name": "ipconfig1", "properties": {
                              "privateIPAddress": "10.0.0.4", "primary": True, "subnet": {"id": subnet}}}]}
        if nsg:
            nic_properties["networkSecurityGroup"] = {"id": nsg}
        self.put(nic, {"type": "Microsoft.Network/networkInterfaces", "location": location, "properties": nic_properties})
        self.put(vm + "/extensions/" + extension, {
            "type": "Microsoft.Compute/virtualMachines/extensions", "location": location, "properties": {
                "publisher": "Microsoft.Azure.RecoveryServices", "type": extension, "typeHandlerVersion": "1.0",
                "provisioningState": extension_state}})
        level, code, message = extension_status or (
            "Info" if extension_state == "Succeeded" else "Warning", "ProvisioningState/" + extension_state.lower(), None)
        agent_status = ({"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready",
                         "message": "Guest Agent is running", "time": "now-5m"} if agent == "Ready" else
                        {"code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready",
                         "message": "VM status blob is found but not yet populated.", "time": "now-3h"})
        self.put(vm + "/instanceView", {
            "computerName": name, "vmAgent": {"vmAgentVersion": "2.7.3", "statuses": [agent_status]},
            "extensions": [{"name": extension, "type": "Microsoft.Azure.RecoveryServices." + extension,
                            "statuses": [dict({"code": code, "level": level, "displayStatus": code},
                                              **({"message": message} if message else {}))]}],
            "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
                         {"code": "PowerState/" + power, "level": "Info", "displayStatus": POWER_DISPLAY.get(power, power)}]})
        if vault is False:
            return vm
        vault = vault or self.vaults[0]
        container = "iaasvmcontainerv2;%s;%s" % (resource_group, name)
        self.put("%s/backupFabrics/Azure/protectionContainers/IaasVMContainer;%s/protectedItems/VM;%s"
                 % (vault, container, container), {
                     "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
                     "properties": {"friendlyName": name, "virtualMachineId": vm, "sourceResourceId": vm,
                                    "protectedItemType": "Microsoft.Compute/virtualMachines",
                                    "backupManagementType": "AzureIaasVM", "workloadType": "VM",
                                    "containerName": container, "protectionState": "Protected",
                                    "policyId": vault + "/backupPolicies/" + policy, "policyName": policy}})
        if job:
            self.job(vault, name, *job)
        if restore_points:
            collection = self.put(rg_id("AzureBackupRG_%s_1" % location)
                                  + "/providers/Microsoft.Compute/restorePointCollections/AzureBackup_%s" % name, {
                                      "type": "Microsoft.Compute/restorePointCollections", "location": location,
                                      "properties": {"source": {"id": vm, "location": location},
                                                     "provisioningState": "Succeeded"}})
            for index in range(restore_points):
                self.put(collection + "/restorePoints/AzureBackup_%d" % index, {
                    "type": "Microsoft.Compute/restorePointCollections/restorePoints",
                    "properties": {"provisioningState": "Succeeded", "timeCreated": "now-%dh" % (24 * index + 2)}})
        return vm

    def job(self, vault, vm_name, status, error_code=None, hours_ago=26):
        self._jobs += 1
        errors = [{"errorCode": error_code, "errorString": "%s (recorded in the scenario)" % error_code,
                   "recommendations": []}] if error_code else []
        self.data["jobs"].append({
            "id": "%s/backupJobs/00000000-0000-4000-9000-%012d" % (vault, self._jobs),
            "type": "Microsoft.RecoveryServices/vaults/backupJobs", "properties": {
                "jobType": "AzureIaaSVMJob", "entityFriendlyName": vm_name, "backupManagementType": "AzureIaasVM",
                "operation": "Backup", "status": status, "startTime": "now-%dh" % hours_ago,
                "endTime": None if status == "InProgress" else "now-%dh" % (hours_ago - 1),
                "activityId": "fake-activity-%d" % self._jobs, "errorDetails": errors,
                "extendedInfo": {"propertyBag": {"VM Name": vm_name}}}})

    def lock(self, resource_group, name="no-delete"):
        return self.put(rg_id(resource_group) + "/providers/Microsoft.Authorization/locks/" + name, {
            "type": "Microsoft.Authorization/locks", "properties": {"level": "CanNotDelete"}})
