"""The AWX inventory source the README recommends (awx/inventory.azure_rm.yml), run by the real azure_rm inventory
plugin against the fake ARM: it yields the groups the playbooks and job templates use, and hosts the control
plane maps to their VMs without more variables."""
import os

from azure_run import run_inventory

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(REPO, 'awx', 'inventory.azure_rm.yml')
VM = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/'


def test_the_awx_inventory_source_gives_the_os_groups_and_the_vm_ids(fake_azure):
    fake = fake_azure('basic')
    rc, inventory, output = run_inventory(SOURCE, fake)
    assert rc == 0, output
    assert sorted(inventory['linux']['hosts']) == ['vm-lin-1', 'vm-lin-2']
    assert inventory['windows']['hosts'] == ['vm-win-1']
    # the deallocated VM stays in the inventory (Azure says why), outside the group the guest diagnosis can reach
    assert sorted(inventory['running']['hosts']) == ['vm-lin-1', 'vm-win-1']
    hostvars = inventory['_meta']['hostvars']
    assert hostvars['vm-win-1']['id'] == VM + 'vm-win-1'  # what control_plane_facts maps a host by
    assert hostvars['vm-lin-1']['ansible_host'] == '10.0.0.4'
    assert fake.writes() == []
