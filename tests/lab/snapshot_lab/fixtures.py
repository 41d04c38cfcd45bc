"""Realistic on-disk state of the Linux backup extension (VMSnapshotLinux) in a guest.

A healthy lab guest carries one handler at a current version whose last status is `success`, as on
an Azure VM with backup enabled. The extension faults rewrite these files. Formats follow the
agent's handler layout: HandlerEnvironment.json, config/<seq>.settings, status/<seq>.status.
"""
import json
import time
import uuid

from . import config

CURRENT_VERSION = "1.0.9225.0"
OLD_VERSION = "1.0.70.0"          # older than the article's minimum, 1.0.91.0
SEQUENCE = 0
LOG_DIR = "/var/log/azure/" + config.VMSNAPSHOT_HANDLER

# Error the extension reports when it cannot reach storage (azure-linux-extensions VMBackup).
ERROR_CODE = 76
ERROR_NAME = "FailedRetryableSnapshotFailedNoNetwork"


def vm_id(name):
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, name + ".snapshot-doctor.lab.test"))


def handler_dir(version):
    return "%s/%s-%s" % (config.AGENT_LIB, config.VMSNAPSHOT_HANDLER, version)


def status_path(version, sequence=SEQUENCE):
    return "%s/status/%d.status" % (handler_dir(version), sequence)


def utc(seconds_ago=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


def status_document(status, code, message, seconds_ago=0):
    return json.dumps([{
        "version": "1.0",
        "timestampUTC": utc(seconds_ago),
        "status": {
            "name": config.VMSNAPSHOT_HANDLER,
            "operation": "Enable",
            "status": status,
            "code": code,
            "formattedMessage": {"lang": "en-US", "message": message},
            "substatus": [{"name": "VmHealthState", "status": "success", "code": 0,
                           "formattedMessage": {"lang": "en-US", "message": "VM Healthy"}}],
        },
    }], indent=1) + "\n"


def success_status():
    return status_document("success", 1, "Enable Succeeded", seconds_ago=1800)


def error_status():
    return status_document("error", ERROR_CODE,
                           "Error: %s. Snapshot failed as the VM cannot reach the storage "
                           "endpoints; check outbound connectivity and proxy settings." % ERROR_NAME,
                           seconds_ago=600)


def transitioning_status(seconds_ago):
    return status_document("transitioning", 0, "Enable in progress", seconds_ago=seconds_ago)


def handler_files(version, status_text):
    """(path, content, mode) of one installed handler version."""
    base = handler_dir(version)
    environment = [{"name": config.VMSNAPSHOT_HANDLER, "version": 1.0, "handlerEnvironment": {
        "logFolder": LOG_DIR, "configFolder": base + "/config", "statusFolder": base + "/status",
        "heartbeatFile": base + "/heartbeat.log"}}]
    manifest = [{"name": "VMSnapshotLinux", "version": 1.0, "handlerManifest": {
        "installCommand": "main/handle.sh install", "uninstallCommand": "main/handle.sh uninstall",
        "updateCommand": "main/handle.sh update", "enableCommand": "main/handle.sh enable",
        "disableCommand": "main/handle.sh disable", "rebootAfterInstall": False,
        "reportHeartbeat": False}}]
    settings = {"runtimeSettings": [{"handlerSettings": {
        "protectedSettingsCertThumbprint": "0F1A2B3C4D5E6F708192A3B4C5D6E7F801234567",
        "protectedSettings": "MIIB+wYJKoZIhvcNAQcDoIIB7DCCAegCAQAxggFzLABSECRETNOTREAL==",
        "publicSettings": {"locale": "en-us", "taskId": str(uuid.uuid4()),
                           "commandToExecute": "snapshot", "commandStartTimeUTCTicks": "0",
                           "vmType": "microsoft.compute/virtualmachines"}}}]}
    return [
        (base + "/HandlerEnvironment.json", json.dumps(environment) + "\n", 0o644),
        (base + "/HandlerManifest.json", json.dumps(manifest) + "\n", 0o644),
        (base + "/config/%d.settings" % SEQUENCE, json.dumps(settings) + "\n", 0o600),
        (base + "/status/%d.status" % SEQUENCE, status_text, 0o644),
        (base + "/main/handle.sh", "#!/bin/sh\n# lab stand-in: the real handler is not run in the lab\n"
                                   "exit 0\n", 0o755),
    ]


def extension_log(version):
    stamp = utc(1800).replace("T", " ").rstrip("Z")
    return ("%s  Info  [%s] Starting enable\n%s  Info  snapshot succeeded, Enable Succeeded\n"
            % (stamp, version, stamp))


def install_healthy_extension(root, write):
    """Called before boot with the host-side writer for the guest tree."""
    for path, content, mode in handler_files(CURRENT_VERSION, success_status()):
        write(root, path, content, mode)
    write(root, LOG_DIR + "/extension.log", extension_log(CURRENT_VERSION), 0o644)
