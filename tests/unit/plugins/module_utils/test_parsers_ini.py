from ansible_collections.azure_backup.snapshot_doctor.plugins.module_utils.parsers import ini_items


def test_ini_items_reads_sections_keys_and_values_and_skips_comments():
    text = ('# a comment\nOrphan=1\n\n[Unit]\nDescription = Azure Linux Agent\n; another comment\n'
            '[Service]\r\nRestart=\nRestartSec=5\n  ExecStart=/usr/sbin/waagent -daemon  \n')
    assert list(ini_items(text)) == [
        (None, 'Orphan', '1'),
        ('Unit', 'Description', 'Azure Linux Agent'),
        ('Service', 'Restart', ''),
        ('Service', 'RestartSec', '5'),
        ('Service', 'ExecStart', '/usr/sbin/waagent -daemon'),
    ]


def test_ini_items_keeps_a_line_without_equals_as_a_key_with_no_value():
    assert list(ini_items('[ipv4]\nmethod\n')) == [('ipv4', 'method', '')]
