"""A fake Azure Resource Manager and Entra ID login for tests, reached through a local proxy.

The real clients (azure.azcollection's modules, azure-identity/MSAL, the azure-core pipeline) run
unchanged: they are told to use an HTTPS proxy on 127.0.0.1. The proxy accepts CONNECT only to
management.azure.com and login.microsoftonline.com, terminates TLS itself with a certificate of a
test CA (the clients trust that CA alone), and answers from a scenario. Every other host and every
plain-HTTP request is refused and recorded, so nothing leaves the machine.

    with FakeAzure("basic") as fake:             # tests/azure/scenarios/basic.json, or a dict
        subprocess.run([...], env=fake.env)
        fake.requests, fake.writes(), fake.refused

See tests/azure/README.md for the scenario format and the request log.
"""
import copy
import datetime
import json
import os
import re
import shutil
import ssl
import tempfile
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ARM = "management.azure.com"
LOGIN = "login.microsoftonline.com"
HOSTS = (ARM, LOGIN)
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCENARIOS = os.path.join(HERE, "scenarios")
COLLECTIONS = os.path.join(REPO, ".build", "collections")

DEFAULT_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"
DEFAULT_TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT_ID = "cccccccc-0000-0000-0000-000000000001"
CLIENT_SECRET = "fake-client-secret"

# Azure's documented format for the backup jobs $filter times ('2016-01-01 12:00:00 AM', UTC).
JOB_FILTER_TIME = "%Y-%m-%d %I:%M:%S %p"
# The $filter fields each list accepts here (anything else is a 400, so a wrong filter shows up).
FILTER_FIELDS = {
    "backupjobs": {"status", "operation", "backupmanagementtype", "starttime", "endtime", "jobid"},
    "backupprotecteditems": {"backupmanagementtype", "itemtype", "policyname"},
    "backuppolicies": {"backupmanagementtype"},
}
# Names in a type position that are single resources, not collections.
SINGLETONS = {"instanceview"}
# Environment variables that could send a client anywhere else (dropped from the child's environment).
_FOREIGN_ENV = re.compile(r"^(AZURE_|ANSIBLE_AZURE_|MSI_|IDENTITY_|MSAL_|ARM_)|_PROXY$|^(REQUESTS_CA_BUNDLE|SSL_CERT_FILE|SSL_CERT_DIR|CURL_CA_BUNDLE)$",
                          re.IGNORECASE)


def load_scenario(scenario):
    """A scenario dict, or the name of tests/azure/scenarios/<name>.json (or a path to a JSON file)."""
    if isinstance(scenario, dict):
        return copy.deepcopy(scenario)
    path = scenario if os.path.sep in scenario else os.path.join(SCENARIOS, scenario + ".json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(when):
    """Azure's timestamp form (7 fraction digits, Z)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def parse_time(text):
    """An ISO 8601 time as Azure writes it (up to 7 fraction digits, Z) or the job filter's AM/PM form."""
    try:
        return datetime.datetime.strptime(text, JOB_FILTER_TIME).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        pass
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.strip()).replace("Z", "+00:00")
    when = datetime.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)


def resolve_times(value, now=None):
    """Strings "now", "now-26h", "now+10m" (s, m, h, d) anywhere in a scenario become Azure timestamps,
    so a static scenario file can hold jobs of "the last days"."""
    now = now or _now()
    if isinstance(value, dict):
        return {k: resolve_times(v, now) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_times(v, now) for v in value]
    match = re.match(r"^now(?:([+-])(\d+)([smhd]))?$", value) if isinstance(value, str) else None
    if not match:
        return value
    delta = datetime.timedelta(seconds=int(match.group(2) or 0) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(3) or "s"])
    return iso(now - delta if match.group(1) == "-" else now + delta)


def _norm(path):
    return "/" + "/".join(part for part in path.split("/") if part)


def _key(path):
    return _norm(path).lower()


def arm_error(status, code, message):
    return status, {}, {"error": {"code": code, "message": message}}


def make_certs(directory):
    """A test CA and one server certificate for both names; keys mode 0600. Returns (ca, cert, key) paths."""
    def write(name, data, mode=0o644):
        path = os.path.join(directory, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return path

    start = _now() - datetime.timedelta(hours=1)
    end = start + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "snapshot_doctor fake Azure test CA")])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ARM)])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in HOSTS]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    write("ca.key", ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), 0o600)
    return (write("ca.pem", ca.public_bytes(pem)), write("server.pem", cert.public_bytes(pem)),
            write("server.key", key_pem, 0o600))


class _ProxyHandler(BaseHTTPRequestHandler):
    """The proxy: CONNECT to the two names is answered by the fake itself, everything else is refused."""
    timeout = 60

    def log_message(self, *args):
        pass

    def do_CONNECT(self):
        fake = self.server.fake
        host, port = (self.path.rsplit(":", 1) + [""])[:2]
        if host.lower() not in HOSTS or port != "443":
            fake._refuse("CONNECT", self.path)
            self.send_error(403, "the fake Azure proxy only reaches %s" % " and ".join(HOSTS))
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        try:
            tls = fake.tls.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            fake.tls_errors.append("%s: %s" % (host, exc))
            return
        try:
            _ServiceHandler(tls, self.client_address, self.server, host.lower())
        finally:
            tls.close()

    def _plain(self):
        self.server.fake._refuse(self.command, self.path)
        self.send_error(403, "the fake Azure proxy does not forward plain HTTP")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _plain


class _ServiceHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 inside the TLS tunnel; every request goes to FakeAzure.handle."""
    protocol_version = "HTTP/1.1"
    timeout = 60

    def __init__(self, request, client_address, server, host):
        self.host = host
        super().__init__(request, client_address, server)

    def log_message(self, *args):
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        status, headers, body = self.server.fake.handle(self.command, self.host, self.path, self.headers, raw)
        data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if data and "Content-Type" not in headers:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class FakeAzure:
    """Context manager: the fake's proxy on 127.0.0.1; see the module docstring."""

    def __init__(self, scenario=None):
        self.scenario = resolve_times(load_scenario(scenario or {"resources": {}}))
        self.subscription_id = self.scenario.get("subscription_id", DEFAULT_SUBSCRIPTION)
        self.tenant_id = self.scenario.get("tenant_id", DEFAULT_TENANT)
        self.page_size = int(self.scenario.get("page_size", 100))
        # Read by the SDK pollers as the delay before the next poll. `Retry-After: 0` is no help: azure-core
        # treats 0 as absent and falls back to the client's interval (30 s for the azcollection modules).
        self.poll_delay_ms = int(self.scenario.get("poll_delay_ms", 10))
        self.job_reads_in_progress = int(self.scenario.get("job_completes_after", 1))
        # A client stuck in a paging or polling loop gets errors instead of hanging the test.
        self.max_requests = int(self.scenario.get("max_requests", 2000))
        self.backup_outcomes = {k.lower(): v for k, v in self.scenario.get("backup_outcomes", {}).items()}
        self.errors = {_key(k): v for k, v in self.scenario.get("errors", {}).items()}
        self.resources = {}
        for rid, body in self.scenario.get("resources", {}).items():
            self._store(rid, body)
        for job in self.scenario.get("jobs", []):
            self._store(job["id"], job)
        self.token = "fake-arm-token-" + uuid.uuid4().hex
        self.requests = []
        self.refused = []
        self.tls_errors = []
        self._ops = {}
        self._job_reads = {}
        self._lock = threading.RLock()
        self._dir = None
        self._server = None
        self.env = None
        self.proxy_url = None

    # -- lifecycle --------------------------------------------------------------------------------
    def __enter__(self):
        self._dir = tempfile.mkdtemp(prefix="fake-azure-")
        self.ca_file, cert, key = make_certs(self._dir)
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.fake = self
        self.proxy_url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self.env = self._child_env()
        self._check_env(self.env)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-azure",
                         daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self._dir, ignore_errors=True)
        self.assert_contained()
        return False

    def _child_env(self):
        env = {k: v for k, v in os.environ.items() if not _FOREIGN_ENV.search(k)}
        config = os.path.join(self._dir, "azure-config")
        os.mkdir(config)
        env.update({
            "HTTPS_PROXY": self.proxy_url, "https_proxy": self.proxy_url,
            # Plain HTTP (the instance metadata service, say) reaches the proxy too, which refuses it.
            "HTTP_PROXY": self.proxy_url, "http_proxy": self.proxy_url,
            "NO_PROXY": "", "no_proxy": "",
            "REQUESTS_CA_BUNDLE": self.ca_file, "SSL_CERT_FILE": self.ca_file,
            "AZURE_CLIENT_ID": CLIENT_ID, "AZURE_SECRET": CLIENT_SECRET, "AZURE_TENANT": self.tenant_id,
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            # MSAL would otherwise ask login.microsoftonline.com which authority hosts exist.
            "AZURE_DISABLE_INSTANCE_DISCOVERY": "true",
            # No Azure CLI profile of the machine's user can be picked up.
            "AZURE_CONFIG_DIR": config,
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS,
        })
        return env

    def _check_env(self, env):
        """Refuse to start unless every way out of the child leads to this proxy."""
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            if env.get(name) != self.proxy_url or not self.proxy_url.startswith("http://127.0.0.1:"):
                raise RuntimeError("fake Azure: %s does not point at the local proxy" % name)
        for name, value in env.items():
            if name.lower() in ("no_proxy", "all_proxy") and value:
                raise RuntimeError("fake Azure: %s is set" % name)
            if name.upper() in ("AZURE_AUTHORITY_HOST", "AZURE_CLOUD_ENVIRONMENT", "AZURE_AD_USER", "AZURE_PROFILE"):
                raise RuntimeError("fake Azure: %s is set" % name)

    def assert_contained(self):
        hosts = {entry["host"] for entry in self.requests}
        if not hosts <= set(HOSTS):
            raise AssertionError("fake Azure served hosts other than %s: %s" % (HOSTS, hosts))

    # -- the log ----------------------------------------------------------------------------------
    def reset_log(self):
        with self._lock:
            self.requests.clear()
            self.refused.clear()

    def writes(self):
        """Non-GET requests to ARM; the inventory plugin's /batch POST (GETs inside) is not one."""
        return [entry for entry in self.requests
                if entry["host"] == ARM and entry["method"] not in ("GET", "HEAD")
                and not (entry["method"] == "POST" and entry["path"].lower() == "/batch")]

    def arm_requests(self, method=None):
        return [entry for entry in self.requests
                if entry["host"] == ARM and (method is None or entry["method"] == method)]

    def _refuse(self, method, target):
        with self._lock:
            self.refused.append({"method": method, "target": target})

    def _log(self, entry):
        with self._lock:
            self.requests.append(entry)

    # -- the store --------------------------------------------------------------------------------
    def _store(self, rid, body):
        body = copy.deepcopy(body)
        rid = _norm(rid)
        body.setdefault("id", rid)
        body.setdefault("name", rid.rsplit("/", 1)[1])
        self.resources[rid.lower()] = body
        return body

    def add(self, rid, body):
        """Add or replace a resource while the fake runs (same form as the scenario's resources)."""
        with self._lock:
            return self._store(rid, resolve_times(body))

    def resource(self, rid):
        """The stored body of a resource id (None if absent), for assertions."""
        return self.resources.get(_key(rid))

    def jobs(self, vault_id):
        prefix = _key(vault_id) + "/backupjobs/"
        return [body for key, body in self.resources.items() if key.startswith(prefix)]

    # -- dispatch ---------------------------------------------------------------------------------
    def handle(self, method, host, target, headers, raw, batch=False):
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = {k: ("<redacted>" if "secret" in k else v) for k, v in parse_qsl(raw.decode(errors="replace"))}
        request_id = str(uuid.uuid4())
        bearer = headers.get("Authorization", "") == "Bearer " + self.token
        if len(self.requests) >= self.max_requests:
            status, extra, answer = arm_error(400, "FakeRequestLimit", "more than %d requests (a loop?)" % self.max_requests)
        elif host == LOGIN:
            status, extra, answer = self._login(method, parts.path, raw)
        else:
            status, extra, answer = self._arm(method, parts.path, query, body, bearer, headers)
        extra = dict(extra)
        extra["x-ms-request-id"] = request_id
        if headers.get("x-ms-client-request-id"):
            extra["x-ms-client-request-id"] = headers["x-ms-client-request-id"]
        self._log({"method": method, "host": host, "path": parts.path, "query": query,
                   "api_version": query.get("api-version"), "bearer": bearer, "body": body,
                   "status": status, "request_id": request_id, "batch": batch})
        return status, extra, answer

    # -- Entra ID ---------------------------------------------------------------------------------
    def _login(self, method, path, raw):
        base = "https://%s/%s" % (LOGIN, self.tenant_id)
        parts = [p for p in path.split("/") if p]
        if parts and parts[0].lower() not in (self.tenant_id, "common", "organizations"):
            return 400, {}, {"error": "invalid_request",
                             "error_description": "AADSTS90002: Tenant '%s' not found (fake)." % parts[0]}
        tail = "/".join(parts[1:]).lower()
        if method == "GET" and tail in ("v2.0/.well-known/openid-configuration", ".well-known/openid-configuration"):
            return 200, {}, {
                "issuer": base + "/v2.0",
                "authorization_endpoint": base + "/oauth2/v2.0/authorize",
                "token_endpoint": base + "/oauth2/v2.0/token",
                "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
                "end_session_endpoint": base + "/oauth2/v2.0/logout",
                "jwks_uri": "https://%s/%s/discovery/v2.0/keys" % (LOGIN, self.tenant_id),
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "tenant_region_scope": "EU",
            }
        if method == "GET" and tail == "discovery/instance":
            return 200, {}, {"tenant_discovery_endpoint": base + "/v2.0/.well-known/openid-configuration",
                             "api-version": "1.1", "metadata": [{"preferred_network": LOGIN, "preferred_cache": LOGIN,
                                                                 "aliases": [LOGIN]}]}
        if method == "POST" and tail == "oauth2/v2.0/token":
            form = dict(parse_qsl(raw.decode(errors="replace")))
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return 401, {}, {"error": "invalid_client",
                                 "error_description": "AADSTS7000215: Invalid client secret provided (fake)."}
            return 200, {}, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                             "access_token": self.token}
        return 404, {}, {"error": "not_found", "error_description": "the fake login has no %s %s" % (method, path)}

    # -- ARM --------------------------------------------------------------------------------------
    def _arm(self, method, path, query, body, bearer, headers):
        if not bearer:
            return arm_error(401, "AuthenticationFailed", "Authentication failed: no valid bearer token (fake).")
        path = _norm(path)
        key = path.lower()
        if "api-version" not in query:
            return arm_error(400, "MissingApiVersionParameter", "The api-version query parameter is required.")
        spec = self.errors.get(key)
        if spec and spec.get("method", method).upper() == method:
            return arm_error(int(spec.get("status", 400)), spec.get("code", "BadRequest"), spec.get("message", ""))
        with self._lock:
            if method == "POST" and key == "/batch":
                return self._batch(body or {}, headers)
            op = self._operation(method, key)
            if op:
                return op
            if method in ("GET", "HEAD"):
                return self._get(path, key, query)
            if method == "PUT":
                return self._put(path, key, body or {})
            if method == "PATCH":
                return self._patch(key, body or {})
            if method == "DELETE":
                return self._delete(path, key, query)
            if method == "POST":
                return self._post(path, key, query, body)
        return arm_error(405, "MethodNotAllowed", "the fake does not answer %s" % method)

    def _batch(self, body, headers):
        answers = []
        for item in body.get("requests", []):
            url = urlsplit(item.get("url", ""))
            if url.netloc and url.netloc.lower() != ARM:
                answers.append({"name": item.get("name"), "httpStatusCode": 400,
                                "content": {"error": {"code": "BadRequest", "message": "batch: not ARM (fake)"}}})
                continue
            inner = {"Authorization": headers.get("Authorization", "")}
            status, extra, content = self.handle(item.get("httpMethod", "GET").upper(), url.netloc or ARM,
                                                 url.path + ("?" + url.query if url.query else ""), inner, b"", batch=True)
            answers.append({"name": item.get("name"), "httpStatusCode": status, "headers": extra,
                            "content": content, "contentLength": len(json.dumps(content))})
        return 200, {}, {"responses": answers}

    def _get(self, path, key, query):
        body = self.resources.get(key)
        if body is not None:
            body = self._read(key, body)
            if key.split("/")[-2:-1] == ["virtualmachines"] and query.get("$expand", "").lower() == "instanceview":
                body.setdefault("properties", {})["instanceView"] = self._instance_view(key)
            return 200, {}, body
        parts = key.split("/")
        if parts[-1] == "instanceview" and parts[-3] == "virtualmachines" and key.rsplit("/", 1)[0] in self.resources:
            return 200, {}, self._instance_view(key.rsplit("/", 1)[0])
        if len(parts) == 3:                                    # /subscriptions/S
            return 200, {}, {"id": path, "subscriptionId": parts[2], "tenantId": self.tenant_id,
                             "displayName": "fake subscription", "state": "Enabled"}
        if len(parts) == 5 and parts[3] == "providers":       # /subscriptions/S/providers/NS: api versions
            return 200, {}, self._provider(path, parts[4])
        if self._is_collection(parts):
            return self._list(path, key, query)
        if len(parts) == 5 and parts[3] == "resourcegroups":
            return arm_error(404, "ResourceGroupNotFound", "Resource group '%s' could not be found." % path.split("/")[4])
        return arm_error(404, "ResourceNotFound", "The Resource '%s' was not found (fake)." % path)

    @staticmethod
    def _is_collection(parts):
        """ARM paths alternate type/name after /providers/NS; a path ending on a type is a collection."""
        if parts[-1] in SINGLETONS:
            return False
        if "providers" not in parts:
            return len(parts) in (2, 4)                          # /subscriptions, /subscriptions/S/resourceGroups
        after = parts[len(parts) - 1 - parts[::-1].index("providers") + 1:]
        return len(after) >= 2 and len(after) % 2 == 0

    def _provider(self, path, namespace):
        types = {}
        for rid in self.resources:
            match = re.search(r"/providers/%s/(.+)$" % re.escape(namespace), rid)
            if match:
                segments = match.group(1).split("/")
                types["/".join(segments[0::2])] = True
        return {"id": path, "namespace": namespace, "registrationState": "Registered",
                "resourceTypes": [{"resourceType": t, "apiVersions": ["2024-07-01"]} for t in types]}

    def _members(self, key):
        """Ids of a collection: its direct children, or at subscription / resource group scope every
        resource of that type below the scope (subscription-wide lists, locks at any scope)."""
        children = [rid for rid in self.resources if rid.rsplit("/", 1)[0] == key]
        scope = re.match(r"^(/subscriptions/[^/]+(?:/resourcegroups/[^/]+)?)(/providers/[^/]+/[^/]+)$", key)
        if scope:
            below = re.compile(re.escape(scope.group(1)) + r"/.+" + re.escape(scope.group(2)) + r"/[^/]+$")
            children += [rid for rid in self.resources if below.match(rid) and rid not in children]
        vault = re.match(r"^(.*/microsoft\.recoveryservices/vaults/[^/]+)/backupprotecteditems$", key)
        if vault:
            children += [rid for rid in self.resources
                         if rid.startswith(vault.group(1) + "/") and rid.split("/")[-2] == "protecteditems"]
        return children

    def _list(self, path, key, query):
        kind = key.rsplit("/", 1)[1]
        items = [self._read(rid, self.resources[rid]) for rid in self._members(key)]
        if "$filter" in query:
            try:
                items = self._filter(kind, query["$filter"], items)
            except ValueError as exc:
                return arm_error(400, "BadRequest", "$filter: %s" % exc)
        if kind == "virtualmachines" and query.get("statusOnly", "").lower() == "true":
            for item in items:
                item.setdefault("properties", {})["instanceView"] = self._instance_view(_key(item["id"]))
        if kind == "backupjobs":
            items.sort(key=lambda job: job.get("properties", {}).get("startTime", ""), reverse=True)
        start = self._skiptoken(query)
        page = items[start:start + self.page_size]
        answer = {"value": page}
        if start + self.page_size < len(items):
            following = {k: v for k, v in query.items() if k not in ("$skiptoken", "skiptoken")}
            following["$skiptoken"] = str(start + self.page_size)
            answer["nextLink"] = "https://%s%s?%s" % (ARM, path, urlencode(following))
        return 200, {}, answer

    @staticmethod
    def _skiptoken(query):
        """Our nextLink's $skiptoken. azure_rm_resource_info resends the first URL with skiptoken=<the whole
        nextLink>, which azure-core does not encode: its $skiptoken then arrives as a parameter of its own."""
        token = query.get("$skiptoken")
        quirk = query.get("skiptoken")
        if token is None and quirk:
            token = dict(parse_qsl(urlsplit(quirk).query)).get("$skiptoken") if quirk.startswith("http") else quirk
        return int(token or 0)

    def _filter(self, kind, text, items):
        fields = FILTER_FIELDS.get(kind)
        if fields is None:
            raise ValueError("the fake does not filter %s" % kind)
        clauses = []
        for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
            match = re.match(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", clause, re.IGNORECASE)
            if not match or match.group(1).lower() not in fields:
                raise ValueError("unsupported clause %r" % clause)
            clauses.append((match.group(1).lower(), match.group(2)))
        for field, value in clauses:
            if field == "starttime":
                since = parse_time(value)
                items = [i for i in items if parse_time(i["properties"]["startTime"]) >= since]
            elif field == "endtime":
                until = parse_time(value)
                items = [i for i in items if parse_time(i["properties"]["startTime"]) <= until]
            else:
                prop = {"itemtype": "workloadtype", "jobid": "name"}.get(field, field)
                items = [i for i in items if str(self._prop(i, prop)).lower() == value.lower()]
        return items

    @staticmethod
    def _prop(item, name):
        if name == "name":
            return item.get("name")
        for key, value in item.get("properties", {}).items():
            if key.lower() == name:
                return value
        return None

    def _instance_view(self, vm_key):
        view = self.resources.get(vm_key + "/instanceview")
        if view is not None:
            view = copy.deepcopy(view)
            for name in ("id", "name"):
                view.pop(name, None)
            return view
        # A VM without an instance view in the scenario is running, with nothing more known.
        return {"statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
            {"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"}]}

    def _read(self, key, body):
        """A copy of a stored body; a backup job started here moves on after a few reads."""
        if key in self._job_reads:
            self._job_reads[key] += 1
            if self._job_reads[key] > self.job_reads_in_progress:
                self._finish_job(key)
        return copy.deepcopy(self.resources[key] if key in self.resources else body)

    # -- writes -----------------------------------------------------------------------------------
    def _put(self, path, key, body):
        existed = key in self.resources
        stored = copy.deepcopy(body)
        stored["id"] = path
        stored["name"] = path.rsplit("/", 1)[1]
        stored.setdefault("type", self._type_of(path))
        stored.setdefault("properties", {})["provisioningState"] = "Succeeded"
        self.resources[key] = stored
        return (200 if existed else 201), {}, copy.deepcopy(stored)

    def _patch(self, key, body):
        if key not in self.resources:
            return arm_error(404, "ResourceNotFound", "The Resource '%s' was not found (fake)." % key)
        stored = self.resources[key]
        for name, value in body.items():
            if isinstance(value, dict) and isinstance(stored.get(name), dict):
                stored[name].update(value)
            else:
                stored[name] = value
        return 200, {}, copy.deepcopy(stored)

    @staticmethod
    def _type_of(path):
        parts = path.split("/")
        if "providers" not in [p.lower() for p in parts]:
            return "Microsoft.Resources/" + parts[-2]
        index = max(i for i, p in enumerate(parts) if p.lower() == "providers")
        tail = parts[index + 1:]
        return "/".join([tail[0]] + tail[1::2])

    def _delete(self, path, key, query):
        if key not in self.resources:
            return 204, {}, None

        def gone():
            for rid in [r for r in self.resources if r == key or r.startswith(key + "/")]:
                del self.resources[rid]
        return self._start_operation(path, query, gone)

    def _post(self, path, key, query, body):
        parent, action = key.rsplit("/", 1)
        if action == "backup" and parent.split("/")[-2:-1] == ["protecteditems"]:
            if parent not in self.resources:
                return arm_error(404, "ResourceNotFound", "The protected item '%s' was not found (fake)." % parent)
            job_key = self._start_job(parent)
            return self._start_operation(path.rsplit("/", 1)[0], query, lambda: None, job=job_key, asynchronous=False)
        return arm_error(400, "UnsupportedByFake", "the fake does not answer POST %s" % path)

    def _start_job(self, item_key):
        item = self.resources[item_key]
        vault = re.match(r"^(.*/microsoft\.recoveryservices/vaults/[^/]+)/", item_key).group(1)
        vault_path = _norm(item["id"])[:len(vault)]
        vm_name = item.get("properties", {}).get("friendlyName") or item_key.rsplit(";", 1)[-1]
        job_id = "%s/backupJobs/%s" % (vault_path, uuid.uuid4())
        started = _now()
        self._store(job_id, {"type": "Microsoft.RecoveryServices/vaults/backupJobs", "properties": {
            "jobType": "AzureIaaSVMJob", "entityFriendlyName": vm_name, "backupManagementType": "AzureIaasVM",
            "operation": "Backup", "status": "InProgress", "startTime": iso(started), "duration": "PT0S",
            "activityId": str(uuid.uuid4()), "errorDetails": [],
            "extendedInfo": {"propertyBag": {"VM Name": vm_name, "Backup Size": "0 MB"}}}})
        self._job_reads[job_id.lower()] = 0
        return job_id.lower()

    def _finish_job(self, key):
        props = self.resources[key]["properties"]
        outcome = self.backup_outcomes.get(props["entityFriendlyName"].lower(), {"status": "Completed"})
        ended = _now()
        props["status"] = outcome.get("status", "Completed")
        props["endTime"] = iso(ended)
        props["duration"] = "PT%dS" % max(1, int((ended - parse_time(props["startTime"])).total_seconds()))
        if outcome.get("errorCode"):
            props["errorDetails"] = [{"errorCode": outcome["errorCode"],
                                      "errorString": outcome.get("errorString", outcome["errorCode"]),
                                      "recommendations": outcome.get("recommendations", [])}]
        del self._job_reads[key]

    def _start_operation(self, path, query, done, job=None, asynchronous=True):
        """202 and an operation that is InProgress once, then Succeeded (then `done` runs)."""
        op_id = str(uuid.uuid4())
        sub = path.split("/")[2]
        namespace = self._type_of(path).split("/")[0]
        api = urlencode({"api-version": query["api-version"]})
        if job:
            # Azure Backup's own shape: Location on the item's operationResults.
            location = "https://%s%s/operationResults/%s?%s" % (ARM, path, op_id, api)
        else:
            location = "https://%s/subscriptions/%s/providers/%s/locations/fake/operationResults/%s?%s" % (
                ARM, sub, namespace, op_id, api)
        self._ops[op_id] = {"polls": 0, "done": done, "finished": False, "job": job, "location": location}
        headers = {"Location": location, "Retry-After-Ms": str(self.poll_delay_ms)}
        if asynchronous:
            headers["Azure-AsyncOperation"] = "https://%s/subscriptions/%s/providers/%s/locations/fake/operations/%s?%s" % (
                ARM, sub, namespace, op_id, api)
        return 202, headers, None

    def _operation(self, method, key):
        match = re.search(r"/(operations|operationresults|operationsstatus)/([0-9a-f-]{36})$", key)
        if method != "GET" or not match or match.group(2) not in self._ops:
            return None
        op = self._ops[match.group(2)]
        op["polls"] += 1
        if op["polls"] > 1 and not op["finished"]:
            op["finished"] = True
            op["done"]()
        retry = {"Retry-After-Ms": str(self.poll_delay_ms)}
        if match.group(1) == "operationresults":
            return (204, {}, None) if op["finished"] else (202, dict(retry, Location=op["location"]), None)
        status = "Succeeded" if op["finished"] else "InProgress"
        return 200, ({} if op["finished"] else retry), {"id": key, "name": match.group(2), "status": status,
                                                        "startTime": iso(_now())}
