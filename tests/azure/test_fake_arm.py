"""The fake Azure Resource Manager: its own answers (in process, through its proxy, fast), then the real
azure.azcollection 3.12.0 modules and inventory plugin against it (each module execution costs seconds)."""
import datetime
import http.client
import json

import pytest
import requests

from azure_run import run_inventory, run_playbook
from fake_arm import ARM, CLIENT_ID, CLIENT_SECRET, FakeAzure, JOB_FILTER_TIME, LOGIN, load_scenario, parse_time

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
RG_APP = SUB + "/resourceGroups/rg-app"
VM_LIN = RG_APP + "/providers/Microsoft.Compute/virtualMachines/vm-lin-1"
EXTENSION = VM_LIN + "/extensions/VMSnapshotLinux"
VAULT = SUB + "/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/vault-1"
POLICY = VAULT + "/backupPolicies/DefaultPolicy"
ITEM = (VAULT + "/backupFabrics/Azure/protectionContainers/iaasvmcontainer;iaasvmcontainerv2;rg-app;vm-lin-1"
        "/protectedItems/vm;iaasvmcontainerv2;rg-app;vm-lin-1")


class Client:
    """requests through the fake's proxy, trusting only its CA, with a token from its login endpoint."""

    def __init__(self, fake):
        self.fake = fake
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.proxies = {"https": fake.proxy_url, "http": fake.proxy_url}
        self.session.verify = fake.ca_file
        self.token = None

    def login(self, secret=CLIENT_SECRET):
        return self.session.post("https://%s/%s/oauth2/v2.0/token" % (LOGIN, self.fake.tenant_id), data={
            "client_id": CLIENT_ID, "client_secret": secret, "grant_type": "client_credentials",
            "scope": "https://management.azure.com/.default"})

    def arm(self, method, path, api_version="2024-07-01", body=None, **params):
        if self.token is None:
            self.token = self.login().json()["access_token"]
        if api_version:
            params["api-version"] = api_version
        url = path if path.startswith("https://") else "https://%s%s" % (ARM, path)
        return self.session.request(method, url, params=params, json=body,
                                    headers={"Authorization": "Bearer " + self.token})


@pytest.fixture
def client(fake_azure):
    return Client(fake_azure("basic"))


def job_time(delta_hours):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=delta_hours)
    return when.strftime(JOB_FILTER_TIME)


# -- the fake itself, in process -------------------------------------------------------------------

def test_proxy_refuses_every_other_host(fake_azure):
    fake = fake_azure("basic")
    port = int(fake.proxy_url.rsplit(":", 1)[1])
    for target in ("example.com:443", "management.azure.com:8443", "169.254.169.254:80"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("CONNECT", target)
        assert conn.getresponse().status == 403
        conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "http://169.254.169.254/metadata/instance?api-version=2021-02-01")
    assert conn.getresponse().status == 403
    conn.close()
    assert [r["target"] for r in fake.refused] == [
        "example.com:443", "management.azure.com:8443", "169.254.169.254:80",
        "http://169.254.169.254/metadata/instance?api-version=2021-02-01"]
    assert fake.requests == []


def test_env_leads_only_to_the_proxy(fake_azure, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", "/elsewhere.pem")
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://169.254.169.254/")
    env = fake_azure({"resources": {}}).env
    assert env["NO_PROXY"] == env["no_proxy"] == ""
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] and env["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    assert "AZURE_CLIENT_CERTIFICATE_PATH" not in env and "IDENTITY_ENDPOINT" not in env
    assert env["AZURE_DISABLE_INSTANCE_DISCOVERY"] == "true"
    with pytest.raises(RuntimeError):
        FakeAzure({})._check_env(dict(env, https_proxy="http://proxy.example:3128"))


def test_login_and_bearer(client):
    assert client.login("wrong").status_code == 401
    anonymous = client.session.get("https://%s%s" % (ARM, VM_LIN), params={"api-version": "2024-07-01"})
    assert anonymous.status_code == 401
    assert client.arm("GET", VM_LIN).json()["name"] == "vm-lin-1"
    assert [(r["host"], r["bearer"]) for r in client.fake.requests] == [
        (LOGIN, False), (ARM, False), (LOGIN, False), (ARM, True)]
    assert client.fake.requests[0]["body"]["client_secret"] == "<redacted>"


def test_get_by_id_is_case_insensitive_and_404_has_an_arm_error(client):
    assert client.arm("GET", VM_LIN.upper()).json()["id"] == VM_LIN
    missing = client.arm("GET", RG_APP + "/providers/Microsoft.Compute/virtualMachines/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"
    assert client.arm("GET", SUB + "/resourceGroups/nope").json()["error"]["code"] == "ResourceGroupNotFound"
    assert client.arm("GET", VM_LIN, api_version=None).json()["error"]["code"] == "MissingApiVersionParameter"


def test_lists_page_and_follow_both_paging_styles(fake_azure):
    scenario = load_scenario("basic")
    scenario["page_size"] = 2
    client = Client(fake_azure(scenario))
    first = client.arm("GET", SUB + "/providers/Microsoft.Compute/virtualMachines", statusOnly="true").json()
    assert [vm["name"] for vm in first["value"]] == ["vm-lin-1", "vm-win-1"]
    assert first["value"][1]["properties"]["instanceView"]["vmAgent"]["statuses"][0]["displayStatus"] == "Not Ready"
    second = client.arm("GET", first["nextLink"], api_version=None).json()
    assert [vm["name"] for vm in second["value"]] == ["vm-lin-2"] and "nextLink" not in second
    assert second["value"][0]["properties"]["instanceView"]["statuses"][1]["code"] == "PowerState/deallocated"
    # azure_rm_resource_info's way: the first URL again, with skiptoken=<the whole nextLink>.
    quirk = client.arm("GET", SUB + "/providers/Microsoft.Compute/virtualMachines", skiptoken=first["nextLink"]).json()
    assert [vm["name"] for vm in quirk["value"]] == ["vm-lin-2"]


def test_scope_lists(client):
    locks = client.arm("GET", SUB + "/providers/Microsoft.Authorization/locks", api_version="2020-05-01").json()
    assert [lock["properties"]["level"] for lock in locks["value"]] == ["CanNotDelete"]
    nics = client.arm("GET", SUB + "/providers/Microsoft.Network/networkInterfaces").json()["value"]
    assert sorted(nic["name"] for nic in nics) == ["vm-lin-1-nic", "vm-lin-2-nic", "vm-win-1-nic"]
    in_rg = client.arm("GET", RG_APP + "/providers/Microsoft.Compute/virtualMachines").json()["value"]
    assert [vm["name"] for vm in in_rg] == ["vm-lin-1", "vm-win-1"]
    items = client.arm("GET", VAULT + "/backupProtectedItems", api_version="2019-05-13",
                       **{"$filter": "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'"}).json()["value"]
    assert sorted(item["properties"]["friendlyName"] for item in items) == ["vm-lin-1", "vm-win-1"]
    empty = client.arm("GET", SUB + "/resourceGroups/rg-db/providers/Microsoft.Network/networkSecurityGroups").json()
    assert empty == {"value": []}
    view = client.arm("GET", VM_LIN, **{"$expand": "instanceView"}).json()["properties"]["instanceView"]
    assert view["vmAgent"]["vmAgentVersion"] == "2.7.3"


def test_add_and_relative_times(client):
    added = client.fake.add(VAULT + "/backupJobs/00000000-0000-4000-8000-0000000000aa", {"properties": {
        "entityFriendlyName": "vm-lin-2", "operation": "Backup", "status": "Failed", "startTime": "now-10m"}})
    assert added["name"] == "00000000-0000-4000-8000-0000000000aa"
    started = parse_time(added["properties"]["startTime"])
    assert abs((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds() - 600) < 60
    assert client.arm("GET", added["id"], api_version="2019-05-13").json()["properties"]["status"] == "Failed"


def test_backup_jobs_filter(client):
    def jobs(text):
        answer = client.arm("GET", VAULT + "/backupJobs", api_version="2019-05-13", **{"$filter": text})
        assert answer.status_code == 200, answer.text
        return [(j["properties"]["entityFriendlyName"], j["properties"]["status"]) for j in answer.json()["value"]]

    window = "startTime eq '%s' and endTime eq '%s'" % (job_time(-30), job_time(0))
    assert jobs("operation eq 'Backup' and " + window) == [("vm-lin-1", "Completed"), ("vm-win-1", "Failed")]
    assert jobs("status eq 'Failed' and backupManagementType eq 'AzureIaasVM'") == [("vm-win-1", "Failed")]
    assert len(jobs("startTime eq '%s' and endTime eq '%s'" % (job_time(-72), job_time(0)))) == 4
    bad = client.arm("GET", VAULT + "/backupJobs", api_version="2019-05-13", **{"$filter": "vmName eq 'x'"})
    assert bad.status_code == 400


def test_writes_and_async_operations(client):
    fake = client.fake
    created = client.arm("PUT", RG_APP + "/providers/Microsoft.Network/networkSecurityGroups/nsg-new",
                         body={"location": "westeurope", "properties": {"securityRules": []}})
    assert created.status_code == 201 and created.json()["properties"]["provisioningState"] == "Succeeded"
    assert client.arm("PUT", created.json()["id"], body={"location": "westeurope"}).status_code == 200
    deleted = client.arm("DELETE", EXTENSION)
    assert deleted.status_code == 202
    status_url = deleted.headers["Azure-AsyncOperation"]
    assert deleted.headers["Location"].startswith("https://management.azure.com/")
    assert client.arm("GET", status_url, api_version=None).json()["status"] == "InProgress"
    assert fake.resource(EXTENSION) is not None
    assert client.arm("GET", status_url, api_version=None).json()["status"] == "Succeeded"
    assert fake.resource(EXTENSION) is None
    assert client.arm("DELETE", EXTENSION).status_code == 204
    assert [(w["method"], w["status"]) for w in fake.writes()] == [("PUT", 201), ("PUT", 200), ("DELETE", 202), ("DELETE", 204)]


def test_on_demand_backup_makes_a_job(fake_azure):
    scenario = load_scenario("basic")
    scenario["backup_outcomes"] = {"vm-lin-1": {"status": "Failed", "errorCode": "UserErrorFsFreezeFailed"}}
    client = Client(fake_azure(scenario))
    answer = client.arm("POST", ITEM + "/backup", api_version="2016-12-01",
                        body={"properties": {"objectType": "IaasVMBackupRequest"}})
    assert answer.status_code == 202 and "/operationResults/" in answer.headers["Location"]
    assert client.arm("GET", answer.headers["Location"], api_version=None).status_code == 202
    assert client.arm("GET", answer.headers["Location"], api_version=None).status_code == 204
    mine = "operation eq 'Backup' and startTime eq '%s' and endTime eq '%s'" % (job_time(-1), job_time(1))
    listed = client.arm("GET", VAULT + "/backupJobs", api_version="2019-05-13", **{"$filter": mine}).json()["value"]
    assert [j["properties"]["status"] for j in listed] == ["InProgress"]
    job = client.arm("GET", listed[0]["id"], api_version="2019-05-13").json()["properties"]
    assert job["status"] == "Failed" and job["errorDetails"][0]["errorCode"] == "UserErrorFsFreezeFailed"
    missing = client.arm("POST", ITEM.replace("vm-lin-1", "vm-lin-2") + "/backup", api_version="2016-12-01", body={})
    assert missing.status_code == 404


def test_batch_answers_each_inner_request(client):
    answer = client.arm("POST", "/batch", api_version="2015-11-01", body={"requests": [
        {"httpMethod": "GET", "name": "a", "url": "https://management.azure.com%s?api-version=2024-07-01" % VM_LIN},
        {"httpMethod": "GET", "name": "b", "url": "https://management.azure.com%s/extensions/nope?api-version=2024-07-01" % VM_LIN},
    ]}).json()
    assert [(r["name"], r["httpStatusCode"]) for r in answer["responses"]] == [("a", 200), ("b", 404)]
    assert answer["responses"][0]["content"]["name"] == "vm-lin-1"
    assert [(r["method"], r["batch"]) for r in client.fake.arm_requests()] == [("GET", True), ("GET", True), ("POST", False)]
    assert client.fake.writes() == []


# -- the real azure.azcollection modules, by ansible-playbook ---------------------------------------

def assert_bearer_everywhere(fake):
    assert fake.arm_requests(), "no request reached the fake ARM"
    assert all(entry["bearer"] for entry in fake.arm_requests())
    assert fake.refused == [] and fake.tls_errors == []


RESOURCE_INFO_PAGES = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: List the VMs
      azure.azcollection.azure_rm_resource_info:
        url: "%s/providers/Microsoft.Compute/virtualMachines"
        api_version: "2024-07-01"
""" % SUB


def test_resource_info_follows_pages(fake_azure):
    scenario = load_scenario("basic")
    scenario["page_size"] = 1
    fake = fake_azure(scenario)
    rc, results = run_playbook(RESOURCE_INFO_PAGES, fake)
    assert rc == 0, results.output
    assert [vm["name"] for vm in results.task("List the VMs")["result"]["response"]] == ["vm-lin-1", "vm-win-1", "vm-lin-2"]
    pages = [r for r in fake.arm_requests("GET") if r["path"].endswith("/virtualMachines")]
    assert [bool(r["query"].get("skiptoken")) for r in pages] == [False, True, True]
    assert_bearer_everywhere(fake)
    assert [r["path"].split("/")[-1] for r in fake.requests if r["host"] == LOGIN] == ["openid-configuration", "token"]


VM_INFO = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: VM info
      azure.azcollection.azure_rm_virtualmachine_info:
        resource_group: rg-app
"""


def test_virtualmachine_info(fake_azure):
    fake = fake_azure("basic")
    rc, results = run_playbook(VM_INFO, fake)
    assert rc == 0, results.output
    vms = {vm["name"]: vm for vm in results.task("VM info")["result"]["vms"]}
    assert sorted(vms) == ["vm-lin-1", "vm-win-1"]
    assert vms["vm-lin-1"]["power_state"] == "running" and vms["vm-lin-1"]["vm_agent_version"] == "2.7.3"
    assert vms["vm-win-1"]["os_type"] == "Windows"
    assert fake.writes() == []
    assert_bearer_everywhere(fake)


EXTENSION_ABSENT = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Remove in check mode
      azure.azcollection.azure_rm_virtualmachineextension: &remove
        resource_group: rg-app
        virtual_machine_name: vm-lin-1
        name: VMSnapshotLinux
        state: absent
      check_mode: true
    - name: Remove
      azure.azcollection.azure_rm_virtualmachineextension: *remove
"""


def test_extension_absent_deletes_and_polls_but_not_in_check_mode(fake_azure):
    fake = fake_azure("basic")
    rc, results = run_playbook(EXTENSION_ABSENT, fake)
    assert rc == 0, results.output
    # The module does not support check mode: Ansible skips it. Had it deleted, "Remove" would find nothing.
    assert results.task("Remove in check mode")["status"] == "skipped"
    assert results.task("Remove")["status"] == "changed"
    assert [(w["method"], w["path"], w["status"]) for w in fake.writes()] == [("DELETE", EXTENSION, 202)]
    polls = [r for r in fake.arm_requests("GET") if "/operations/" in r["path"]]
    assert [r["status"] for r in polls] == [200, 200]
    assert fake.resource(EXTENSION) is None
    assert_bearer_everywhere(fake)


BACKUP = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Back up
      azure.azcollection.azure_rm_backupazurevm:
        resource_group: rg-backup
        recovery_vault_name: vault-1
        resource_id: "{{ vm_id }}"
        backup_policy_id: "{{ policy_id }}"
        state: backup
    - name: Jobs
      azure.azcollection.azure_rm_resource_info:
        url: "{{ vault_id }}/backupJobs"
        api_version: "2019-05-13"
"""


def test_backup_triggers_a_job(fake_azure):
    scenario = load_scenario("basic")
    scenario["job_completes_after"] = 0
    fake = fake_azure(scenario)
    rc, results = run_playbook(BACKUP, fake, extra_vars={"vm_id": VM_LIN, "policy_id": POLICY, "vault_id": VAULT})
    assert rc == 0, results.output
    assert results.task("Back up")["status"] == "changed"
    [post] = fake.writes()
    assert (post["method"], post["path"].lower(), post["api_version"]) == ("POST", ITEM.lower() + "/backup", "2016-12-01")
    assert post["body"] == {"properties": {"objectType": "IaasVMBackupRequest"}}
    jobs = results.task("Jobs")["result"]["response"]
    assert jobs[0]["properties"]["entityFriendlyName"] == "vm-lin-1" and jobs[0]["properties"]["status"] == "Completed"
    assert len(jobs) == 5
    assert_bearer_everywhere(fake)


INVENTORY = {
    "plugin": "azure.azcollection.azure_rm",
    "auth_source": "env",
    "plain_host_names": True,
    # By default the plugin leaves out VMs that are not running (vm-lin-2 is deallocated).
    "default_host_filters": [],
    "keyed_groups": [{"prefix": "os", "key": "os_disk.operating_system_type"}],
    "conditional_groups": {"running": "powerstate == 'running'"},
}


def test_inventory_plugin(fake_azure):
    fake = fake_azure("basic")
    rc, inventory, output = run_inventory(INVENTORY, fake)
    assert rc == 0, output
    assert sorted(inventory["os_linux"]["hosts"]) == ["vm-lin-1", "vm-lin-2"]
    assert inventory["os_windows"]["hosts"] == ["vm-win-1"]
    assert sorted(inventory["running"]["hosts"]) == ["vm-lin-1", "vm-win-1"]
    hostvars = inventory["_meta"]["hostvars"]
    assert hostvars["vm-lin-1"]["id"] == VM_LIN
    assert hostvars["vm-lin-1"]["private_ipv4_addresses"] == ["10.0.0.4"]
    assert any(r["path"] == "/batch" for r in fake.arm_requests("POST"))
    assert any(r["batch"] and r["path"].endswith("/instanceView") for r in fake.requests)
    assert fake.writes() == []
    assert_bearer_everywhere(fake)
    assert json.dumps(inventory)  # plain data all the way down
