"""Fake Azure platform endpoints for the lab, run inside the lab namespace (stdlib only).

    python3 -m snapshot_lab.fake_platform --guests guests.json --cert C --key K --log FILE

Serves, on lab addresses only (see config):
  wireserver  WIRESERVER_IP:80     /?comp=versions, goal state, hosting env, shared config,
                                   extensions config (extension processing on hold), health and
                                   telemetry POSTs, status blob PUTs
  HostGAPlugin WIRESERVER_IP:32526 /health, /versions, PUT /status, /vmSettings (404: no Fast Track)
  IMDS        IMDS_IP:80           /metadata/instance[/compute|/network] with `Metadata: true`
  HTTPS       HTTPS_IP:443         TLS with a lab-CA certificate for the HTTPS_NAMES
Each guest is recognised by its source address, so every guest gets its own documents.
"""
import argparse
import json
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

if __package__ in (None, ""):
    sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.dirname(__file__)))
from snapshot_lab import config  # noqa: E402

INCARNATION = 1
CONTAINER_ID = "7f3c1d2e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"
WIRE_VERSION = "2012-11-30"
LOG_LOCK = threading.Lock()


def guest_for(address, guests):
    return guests.get(address) or {"name": "unknown", "vm_id": str(uuid.UUID(int=0)), "mac": ""}


def versions_xml():
    return ('<?xml version="1.0" encoding="utf-8"?>\n<Versions>\n'
            '  <Preferred>\n    <Version>2015-04-05</Version>\n  </Preferred>\n'
            '  <Supported>\n    <Version>2015-04-05</Version>\n    <Version>2012-11-30</Version>\n'
            '    <Version>2012-09-15</Version>\n    <Version>2012-05-15</Version>\n'
            '    <Version>2011-12-31</Version>\n    <Version>2011-10-15</Version>\n'
            '    <Version>2011-08-31</Version>\n    <Version>2011-04-07</Version>\n'
            '    <Version>2010-12-15</Version>\n    <Version>2010-28-10</Version>\n'
            '  </Supported>\n</Versions>\n')


def config_url(guest, kind):
    return ("http://%s:80/machine/%s/%s.%s?comp=config&amp;type=%s&amp;incarnation=%d"
            % (config.WIRESERVER_IP, CONTAINER_ID, guest["vm_id"], guest["name"], kind, INCARNATION))


def goal_state_xml(guest):
    instance = "%s._%s" % (guest["vm_id"], guest["name"])
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<GoalState xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:noNamespaceSchemaLocation="goalstate10.xsd">\n'
            '  <Version>2012-11-30</Version>\n  <Incarnation>%d</Incarnation>\n'
            '  <Machine>\n    <ExpectedState>Started</ExpectedState>\n'
            '    <StopRolesDeadlineHint>300000</StopRolesDeadlineHint>\n'
            '    <LBProbePorts>\n      <Port>16001</Port>\n    </LBProbePorts>\n'
            '    <ExpectHealthReport>FALSE</ExpectHealthReport>\n  </Machine>\n'
            '  <Container>\n    <ContainerId>%s</ContainerId>\n    <RoleInstanceList>\n'
            '      <RoleInstance>\n        <InstanceId>%s</InstanceId>\n        <State>Started</State>\n'
            '        <Configuration>\n'
            '          <HostingEnvironmentConfig>%s</HostingEnvironmentConfig>\n'
            '          <SharedConfig>%s</SharedConfig>\n'
            '          <ExtensionsConfig>%s</ExtensionsConfig>\n'
            '          <FullConfig>%s</FullConfig>\n'
            '          <ConfigName>%s.0.%s.1.xml</ConfigName>\n'
            '        </Configuration>\n      </RoleInstance>\n    </RoleInstanceList>\n'
            '  </Container>\n</GoalState>\n'
            % (INCARNATION, CONTAINER_ID, instance,
               config_url(guest, "hostingEnvironmentConfig"), config_url(guest, "sharedConfig"),
               config_url(guest, "extensionsConfig"), config_url(guest, "fullConfig"),
               instance, instance))


def hosting_environment_xml(guest):
    return ('<HostingEnvironmentConfig version="1.0.0.0" goalStateIncarnation="%d">\n'
            '  <StoredCertificates />\n'
            '  <Deployment name="%s" guid="{%s}" incarnation="0">\n'
            '    <Service name="%s" guid="{00000000-0000-0000-0000-000000000000}" />\n'
            '    <ServiceInstance name="%s.0" guid="{%s}" />\n  </Deployment>\n'
            '  <Incarnation number="1" instance="_%s" guid="{%s}" />\n'
            '  <Role guid="{%s}" name="_%s" hostingEnvironmentVersion="1" software="" '
            'softwareType="ApplicationPackage" entryPoint="" parameters="" settleTimeSeconds="10" />\n'
            '  <HostingEnvironmentSettings name="full" runtime="rd_fabric_stable.lab">\n'
            '    <CAS mode="full" />\n    <PrivilegeLevel mode="max" />\n'
            '  </HostingEnvironmentSettings>\n  <ApplicationSettings />\n'
            '  <ResourceReferences />\n</HostingEnvironmentConfig>\n'
            % (INCARNATION, guest["vm_id"], guest["vm_id"], guest["name"], guest["vm_id"],
               CONTAINER_ID, guest["name"], guest["vm_id"], guest["vm_id"], guest["name"]))


def shared_config_xml(guest):
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<SharedConfig version="1.0.0.0" goalStateIncarnation="%d">\n'
            '  <Deployment name="%s" guid="{%s}" incarnation="0" '
            'isNonCancellableTopologyChangeEnabled="false">\n'
            '    <Service name="%s" guid="{00000000-0000-0000-0000-000000000000}" />\n'
            '    <ServiceInstance name="%s.0" guid="{%s}" />\n  </Deployment>\n'
            '  <Incarnation number="1" instance="_%s" guid="{%s}" />\n'
            '  <Role guid="{%s}" name="_%s" settleTimeSeconds="0" />\n'
            '  <Instances>\n    <Instance id="_%s" address="%s">\n'
            '      <FaultDomains randomId="0" updateId="0" updateCount="0" />\n'
            '      <InputEndpoints />\n    </Instance>\n  </Instances>\n</SharedConfig>\n'
            % (INCARNATION, guest["vm_id"], guest["vm_id"], guest["name"], guest["vm_id"],
               CONTAINER_ID, guest["name"], guest["vm_id"], guest["vm_id"], guest["name"],
               guest["name"], guest.get("ip", "")))


def extensions_config_xml(guest):
    # No plugins and an artifacts profile that puts extension processing on hold: the agent
    # reaches Ready and leaves the VMSnapshotLinux fixtures on disk alone.
    blob = "http://%s:80/vmSettings/%s?sv=2018-03-28&amp;sr=b&amp;sp=r&amp;sig=LABSIGNATURE" % (
        config.WIRESERVER_IP, guest["name"])
    status = "http://%s:80/status/%s.status?sv=2018-03-28&amp;sr=b&amp;sp=rw&amp;sig=LABSIGNATURE" % (
        config.WIRESERVER_IP, guest["name"])
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<Extensions version="1.0.0.0" goalStateIncarnation="%d">\n'
            '  <GuestAgentExtension xmlns:i="http://www.w3.org/2001/XMLSchema-instance">\n'
            '    <GAFamilies />\n  </GuestAgentExtension>\n'
            '  <Plugins />\n  <PluginSettings />\n'
            '  <StatusUploadBlob statusBlobType="BlockBlob">%s</StatusUploadBlob>\n'
            '  <InVMArtifactsProfileBlob statusBlobType="BlockBlob">%s</InVMArtifactsProfileBlob>\n'
            '  <InVMGoalStateMetaData inSvdSeqNo="1" createdOnTicks="638000000000000000" '
            'activityId="%s" correlationId="%s" />\n</Extensions>\n'
            % (INCARNATION, status, blob, guest["vm_id"], CONTAINER_ID))


def imds_compute(guest):
    return {
        "azEnvironment": "AzurePublicCloud", "location": "westeurope", "name": guest["name"],
        "offer": "debian-12", "osType": "Linux", "publisher": "Debian", "sku": "12-gen2",
        "version": "0.20240101.1", "vmId": guest["vm_id"], "vmSize": "Standard_B2s",
        "resourceGroupName": "rg-snapshot-lab", "subscriptionId": "00000000-0000-4000-8000-000000000001",
        "resourceId": "/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/"
                      "rg-snapshot-lab/providers/Microsoft.Compute/virtualMachines/" + guest["name"],
        "provider": "Microsoft.Compute", "zone": "", "vmScaleSetName": "", "tags": "lab:snapshot-doctor",
        "platformFaultDomain": "0", "platformUpdateDomain": "0", "priority": "",
        "storageProfile": {"osDisk": {"osType": "Linux", "name": guest["name"] + "_OsDisk_1",
                                      "caching": "ReadWrite", "createOption": "FromImage",
                                      "diskSizeGB": "30"}},
        "osProfile": {"computerName": guest["name"], "adminUsername": "azureuser",
                      "disablePasswordAuthentication": "true"},
    }


def imds_network(guest):
    return {"interface": [{
        "ipv4": {"ipAddress": [{"privateIpAddress": guest.get("ip", ""), "publicIpAddress": ""}],
                 "subnet": [{"address": config.NETWORK_ADDRESS, "prefix": str(config.PREFIX_LEN)}]},
        "ipv6": {"ipAddress": []}, "macAddress": guest.get("mac", "").replace(":", "").upper()}]}


class LabHandler(BaseHTTPRequestHandler):
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        line = "%s %s:%d %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                     self.server.role, self.server.server_address[1],
                                     self.client_address[0], fmt % args)
        with LOG_LOCK:
            self.server.log.write(line)
            self.server.log.flush()

    def guest(self):
        return guest_for(self.client_address[0], self.server.guests)

    def reply(self, code, body, content_type="text/xml; charset=utf-8"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def drain_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        getattr(self, "get_" + self.server.role)(urlsplit(self.path))

    do_HEAD = do_GET

    def do_POST(self):
        self.drain_body()
        if self.server.role == "wireserver":
            self.reply(200, "")   # health and telemetry reports
        else:
            self.reply(405, "")

    def do_PUT(self):
        self.drain_body()
        if self.server.role in ("wireserver", "hostgaplugin"):
            self.reply(201 if self.server.role == "wireserver" else 200, "")
        else:
            self.reply(405, "")

    def get_wireserver(self, url):
        query = parse_qs(url.query)
        comp = query.get("comp", [""])[0]
        guest = self.guest()
        if comp == "versions":
            return self.reply(200, versions_xml())
        if comp == "goalstate":
            return self.reply(200, goal_state_xml(guest))
        if comp == "config":
            documents = {"hostingEnvironmentConfig": hosting_environment_xml,
                         "sharedConfig": shared_config_xml,
                         "extensionsConfig": extensions_config_xml}
            maker = documents.get(query.get("type", [""])[0])
            if maker:
                return self.reply(200, maker(guest))
            return self.reply(404, "")
        if url.path.startswith("/vmSettings/"):
            return self.reply(200, json.dumps({"onHold": True}), "application/json")
        return self.reply(404, '<?xml version="1.0" encoding="utf-8"?><Error>'
                               '<Code>ResourceNotFound</Code></Error>')

    def get_hostgaplugin(self, url):
        if url.path == "/health":
            return self.reply(200, "", "text/plain")
        if url.path == "/versions":
            return self.reply(200, json.dumps(["2015-09-01", "2017-05-01"]), "application/json")
        # No Fast Track in the lab: the agent falls back to the wireserver's goal state.
        return self.reply(404, "", "text/plain")

    def get_imds(self, url):
        if self.headers.get("Metadata", "").lower() != "true":
            return self.reply(400, json.dumps({"error": "Bad request. Required metadata header not specified"}),
                              "application/json; charset=utf-8")
        guest = self.guest()
        if url.path in ("/metadata/instance", "/metadata/instance/"):
            body = {"compute": imds_compute(guest), "network": imds_network(guest)}
        elif url.path == "/metadata/instance/compute":
            body = imds_compute(guest)
        elif url.path == "/metadata/instance/network":
            body = imds_network(guest)
        elif url.path == "/metadata/versions":
            body = {"apiVersions": ["2019-06-01", "2020-09-01", "2021-02-01", "2023-07-01"]}
        else:
            return self.reply(404, json.dumps({"error": "Not found"}), "application/json; charset=utf-8")
        return self.reply(200, json.dumps(body), "application/json; charset=utf-8")

    def get_https(self, url):
        host = (self.headers.get("Host") or "").split(":")[0]
        return self.reply(200, json.dumps({"service": host or "lab", "lab": True}), "application/json")


class LabServer(ThreadingHTTPServer):
    """A thread per connection, TLS handshakes included, and a deep accept queue.

    A whole fleet of guests probes at once: with socketserver's queue of 5 and handshakes done one
    after the other in the accept loop, some probes took 1.1 s (the mark of TCP's 1 s SYN
    retransmit after a full queue), which real platform endpoints do not make them wait.
    """
    daemon_threads = True
    request_queue_size = 128
    tls = None

    def finish_request(self, request, client_address):
        if self.tls is None:
            return super().finish_request(request, client_address)
        try:
            secure = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return None  # a TCP-only probe or a client that gave up: nothing to serve
        try:
            return super().finish_request(secure, client_address)
        finally:
            secure.close()  # wrap_socket took the descriptor over from request


def serve(role, address, port, guests, log, tls=None):
    httpd = LabServer((address, port), LabHandler)
    httpd.role, httpd.guests, httpd.log, httpd.tls = role, guests, log, tls
    thread = threading.Thread(target=httpd.serve_forever, name="%s:%d" % (role, port), daemon=True)
    thread.start()
    return httpd


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", required=True, help="JSON: {ip: {name, vm_id, mac, ip}}")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    with open(args.guests) as handle:
        guests = json.load(handle)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(args.cert, args.key)
    log = open(args.log, "a", buffering=1)
    serve("wireserver", config.WIRESERVER_IP, 80, guests, log)
    serve("hostgaplugin", config.WIRESERVER_IP, 32526, guests, log)
    serve("imds", config.IMDS_IP, config.IMDS_PORT, guests, log)
    serve("https", config.HTTPS_IP, config.HTTPS_PORT, guests, log, tls=tls)
    print("fake platform ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
