"""deploy/ run here: Debian's nginx with deploy/nginx/zoufang.conf and a test CA's certificate, two gunicorn
instances (deploy/gunicorn.conf.py) on PostgreSQL sharing one attachments folder, and Chromium trusting the
certificate. The offline field journey passes over HTTPS through it; one instance is stopped (SIGTERM) and
started again mid-sync, and every record arrives once.

Chromium trusts the certificate through `--ignore-certificate-errors-spki-list` (the server key's SPKI hash),
which it honours for service worker registration too; Playwright's `ignore_https_errors` is not enough (the
registration fails with "An SSL certificate error occurred"). The app is opened as https://zoufang.test (mapped
to 127.0.0.1 inside Chromium), a name that is not a secure context without TLS, so the service worker proves the
certificate is trusted.
"""

import base64
import datetime
import gzip
import hashlib
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import brotli
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import create_engine, text

from server.config import Config
from tests.conftest import DEMO_PASSWORD, is_postgres
from tests.e2e.conftest import CHROMIUM_ARGS, DIST, browser_context
from tests.e2e.helpers import (
    draw_signature,
    open_recipient,
    open_section,
    outbox,
    queue_mutations,
    read_store,
    start_online,
    unlock,
    wait_until,
)
from tests.e2e.test_offline_journey import make_photo
from tests.live_server import GUNICORN, ROOT, LiveServer, free_port

pytestmark = [
    pytest.mark.slow, pytest.mark.e2e, pytest.mark.postgres,
    pytest.mark.skipif(not is_postgres(), reason="needs TEST_DATABASE_URL pointing at PostgreSQL: the two "
                                                 "instances share one database, as in deploy/"),
]

HOST = "zoufang.test"
DEPLOY = ROOT / "deploy"
BROTLI_MODULES = [Path("/usr/lib/nginx/modules") / f"ngx_http_brotli_{kind}_module.so" for kind in ("filter", "static")]
BULK = 400  # queued visits besides the one typed in: three push batches, so the restart lands mid-sync
START = 90
WAIT = 120


# -- the test CA and the server certificate -----------------------------------------------------------------


def make_tls(folder: Path) -> str:
    """A CA and a server certificate for zoufang.test and 127.0.0.1, as deploy/nginx expects them
    (fullchain.pem, privkey.pem), plus ca.pem. Returns the server key's SPKI hash (base64 SHA-256)."""
    folder.mkdir()
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Zoufang test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "privkey.pem").write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


# -- the processes --------------------------------------------------------------------------------------------


class Instance(LiveServer):
    """One web instance as deploy/systemd/zoufang-web@.service runs it: gunicorn --config
    deploy/gunicorn.conf.py, behind the proxy (TRUSTED_PROXIES=1), keys from the database (no SECRET_KEY)."""

    def __init__(self, database_url: str, folder: Path, attachments: Path, www: Path):
        super().__init__(database_url, folder, workers=2, env={
            "ATTACHMENTS_DIR": str(attachments), "PWA_DIST": str(www), "TRUSTED_PROXIES": "1",
            "WEB_CONCURRENCY": "2", "GUNICORN_TIMEOUT": "120"})

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env.pop("SECRET_KEY")
        env["ZOUFANG_BIND"] = f"127.0.0.1:{self.port}"
        return env

    def start(self, timeout: float = START) -> None:
        assert self.process is None, "already running"
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it; closed after Popen
        try:
            self.process = subprocess.Popen(
                [str(GUNICORN), "--config", str(DEPLOY / "gunicorn.conf.py"), "server.wsgi:app"], cwd=ROOT,
                env=self.environment(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        finally:
            log.close()
        self.wait_healthy(timeout)

    def terminate(self) -> None:
        """What systemd's stop does: SIGTERM to the master, which lets the requests in flight finish."""
        os.kill(self.process.pid, signal.SIGTERM)

    def wait_exit(self, timeout: float = 60) -> int:
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found is None or not all(module.exists() for module in BROTLI_MODULES):
        pytest.fail("Debian's nginx is missing: apt-get install -y nginx libnginx-mod-http-brotli-filter "
                    "libnginx-mod-http-brotli-static")
    return found


class Nginx:
    """deploy/nginx/zoufang.conf with this test's ports, paths and name, under a main configuration of our own
    (no root paths written: pid, logs and temp files in the test's folder), in the foreground."""

    def __init__(self, folder: Path, tls: Path, www: Path, upstreams: list[int]):
        self.folder, self.tls, self.www, self.upstreams = folder, tls, www, upstreams
        self.binary = nginx_binary()
        self.conf = folder / "nginx.conf"
        self.http_port = self.https_port = 0
        self.process: subprocess.Popen | None = None

    def write(self) -> None:
        folder = self.folder
        site = (DEPLOY / "nginx" / "zoufang.conf").read_text()
        substitutions = [
            ("    listen [::]:80;\n", ""),
            ("    listen [::]:443 ssl http2;\n", ""),
            ("listen 80;", f"listen 127.0.0.1:{self.http_port};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;"),
            ("zoufang.example.gov.cn", HOST),
            ("/etc/zoufang/tls/", f"{self.tls}/"),
            ("/opt/zoufang/pwa/dist", str(self.www)),
            ("/var/www/acme", str(folder / "acme")),
            ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{self.upstreams[0]} "),
            ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{self.upstreams[1]} "),
        ]
        for old, new in substitutions:
            assert old in site, f"deploy/nginx/zoufang.conf no longer has {old!r}: update this test with it"
            site = site.replace(old, new)
        (folder / "zoufang.conf").write_text(site)
        temp = "\n".join(f"  {kind}_temp_path {folder / kind};" for kind in
                         ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        modules = "\n".join(f"load_module {module};" for module in BROTLI_MODULES)
        # As root, nginx's workers would switch to an unprivileged user that cannot read the test's folder.
        user = "user root;" if os.geteuid() == 0 else ""
        self.conf.write_text(f"""{user}
{modules}
daemon off;
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} warn;
events {{ worker_connections 512; }}
http {{
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  log_format deploy '$msec|$request_method|$uri|$status|$upstream_addr|$upstream_status';
  access_log {folder / 'access.log'} deploy;
{temp}
  include {folder / 'zoufang.conf'};
}}
""")

    def command(self, *extra: str) -> list[str]:
        return [self.binary, "-p", str(self.folder), "-c", str(self.conf), "-e", str(self.folder / "error.log"),
                *extra]

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def start(self, session: requests.Session, timeout: float = 30) -> None:
        """Start on two free ports and wait until the app answers through it. A port another process took
        between our check and nginx's bind (tests run side by side) means new ports, up to three times."""
        for _attempt in range(3):
            self.http_port, self.https_port = free_port(), free_port()
            self.write()
            checked = subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30)
            assert checked.returncode == 0, f"nginx -t refused the configuration:\n{checked.stderr}"
            with open(self.folder / "nginx.out", "ab") as out:
                self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + timeout
            while self.process.poll() is None:
                try:
                    if session.get(f"https://127.0.0.1:{self.https_port}/api/health", timeout=5).status_code == 200:
                        return
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"nginx did not answer within {timeout}s:\n{self.error_log()}")
                time.sleep(0.2)
            self.process = None
            if "Address already in use" not in self.error_log():
                raise AssertionError(f"nginx exited:\n{self.error_log()}")
        raise AssertionError(f"nginx found no free port:\n{self.error_log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def log(self) -> list[dict]:
        """The access log: time, method, uri, status, and the instances tried (`upstreams`, `upstream_statuses`)."""
        entries = []
        for line in (self.folder / "access.log").read_text().splitlines():
            at, method, uri, status, upstreams, upstream_statuses = line.split("|")
            entries.append({"at": float(at), "method": method, "uri": uri, "status": int(status),
                            "upstreams": upstreams.split(", "), "upstream_statuses": upstream_statuses.split(", ")})
        return entries


def https_session(ca: Path) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca)
    return session


@pytest.fixture
def topology(database_url, tmp_path):
    """nginx → two instances → the test's PostgreSQL database; every process stopped at the end."""
    if not (DIST / "index.html").exists():
        pytest.fail(f"{DIST} has no built app: run `make build` first")
    spki = make_tls(tmp_path / "tls")
    www = tmp_path / "www"
    shutil.copytree(DIST, www)
    precompressed = subprocess.run([sys.executable, str(DEPLOY / "precompress.py"), str(www / "assets")],
                                   capture_output=True, text=True, timeout=120)
    assert precompressed.returncode == 0, precompressed.stderr
    attachments = tmp_path / "attachments"  # the shared volume
    instances = [Instance(database_url, tmp_path / f"web{i}", attachments, www) for i in (1, 2)]
    proxy_dir = tmp_path / "nginx"
    proxy_dir.mkdir()
    nginx = Nginx(proxy_dir, tmp_path / "tls", www, [i.port for i in instances])
    session = https_session(tmp_path / "tls" / "ca.pem")
    try:
        threads = [threading.Thread(target=i.start) for i in instances]  # both at once, as systemd starts them
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=START + 30)
        for instance in instances:
            if instance.process is None:  # its start timed out (and stopped it)
                pytest.fail(f"an instance did not start:\n{instance.log_tail()}")
            instance.wait_healthy(10)  # raises with the log if it exited
        nginx.start(session)
        yield {"nginx": nginx, "instances": instances, "spki": spki, "session": session, "www": www,
               "url": f"https://127.0.0.1:{nginx.https_port}", "base": f"https://{HOST}:{nginx.https_port}",
               "attachments": attachments}
    finally:
        session.close()
        nginx.stop()
        for instance in instances:
            instance.stop()


# -- what the proxy does -------------------------------------------------------------------------------------


def check_the_proxy(topology, database_url) -> None:
    url, session, www = topology["url"], topology["session"], topology["www"]
    nginx = topology["nginx"]

    # The app shell, the service worker and the manifest: never cached; the app's own headers pass through.
    for path in ("/", "/index.html", "/sw.js", "/manifest.webmanifest"):
        answer = session.get(url + path, timeout=10)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "no-cache, no-store, must-revalidate", path
        assert answer.headers["Strict-Transport-Security"] == "max-age=31536000", path
        assert "default-src 'self'" in answer.headers["Content-Security-Policy"], path
    history = session.get(url + "/recipients/x", headers={"Accept": "text/html"}, timeout=10)
    assert history.status_code == 200 and "no-store" in history.headers["Cache-Control"]

    # Hashed assets from disk: a year, immutable, the precompressed copy the client accepts.
    script = next(p for p in sorted((www / "assets").glob("*.js")) if p.stat().st_size > 10_000)
    path = f"/assets/{script.name}"
    for encoding, decode in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        answer = session.get(url + path, headers={"Accept-Encoding": encoding}, timeout=10, stream=True)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["Content-Encoding"] == encoding
        assert decode(answer.raw.read()) == script.read_bytes()
    assert session.get(url + "/assets/missing-0000.js", timeout=10).status_code == 404

    # Port 80 only redirects to HTTPS.
    plain = requests.get(f"http://127.0.0.1:{nginx.http_port}/office", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"] == "https://127.0.0.1/office"

    # A body over the server's limit is refused by nginx as soon as it is announced, in the API's envelope.
    # (The body is not sent: nginx answers the headers, so the check does not race its closing of the socket.)
    limit = Config().MAX_CONTENT_LENGTH
    connection = http.client.HTTPSConnection("127.0.0.1", nginx.https_port, timeout=30,
                                             context=ssl.create_default_context(cafile=session.verify))
    try:
        connection.putrequest("POST", "/api/sync/push")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(limit + 1))
        connection.endheaders()
        too_big = connection.getresponse()
        assert too_big.status == 413
        assert json.loads(too_big.read())["error"]["code"] == "payload_too_large"
    finally:
        connection.close()
    # Just under it, the body reaches the app (which finds it is not JSON).
    under = session.post(url + "/api/auth/login", data=b"x" * (limit - 1024),
                         headers={"Content-Type": "application/json"}, timeout=60)
    assert under.status_code == 400 and under.json()["error"]["code"] == "invalid_json"
    assert session.get(url + "/metrics", timeout=10).status_code == 404

    # The app sees HTTPS and the client's address through the proxy (TRUSTED_PROXIES=1), and a client cannot
    # choose the address it is logged under.
    login = session.post(url + "/api/auth/login", json={"username": "staff_demo", "password": DEMO_PASSWORD},
                         headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "http"}, timeout=30)
    assert login.status_code == 200
    assert "Secure" in login.headers["Set-Cookie"]
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            ip = connection.execute(text("SELECT ip FROM audit_log WHERE action = 'login' "
                                         "ORDER BY id DESC LIMIT 1")).scalar_one()
    finally:
        engine.dispose()
    assert ip == "127.0.0.1"


# -- the journey ---------------------------------------------------------------------------------------------


def launch(playwright, spki: str):
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium fonts-wqy-microhei")
    return playwright.chromium.launch(executable_path=executable, timeout=60_000, args=[
        *CHROMIUM_ARGS, "--no-proxy-server", f"--host-resolver-rules=MAP {HOST} 127.0.0.1",
        f"--ignore-certificate-errors-spki-list={spki}"])


def bulk_visit(recipient_id: str, i: int) -> dict:
    return {"op": "visit.create", "data": {
        "id": str(uuid.uuid4()), "recipient_id": recipient_id, "visited_at": "2026-11-20T02:00:00.000Z",
        "kind": "routine", "occasion": f"部署测试 {i}", "participants": "李晓红", "gifts": "", "cash_cents": 0,
        "notes": "经 HTTPS 同步", "location": None, "photos": [], "signature": None, "no_signature_reason": None}}


@pytest.mark.timeout(600)
def test_the_offline_journey_over_https_survives_a_restart_of_one_instance_mid_sync(topology, database_url,
                                                                                    tmp_path):
    from playwright.sync_api import sync_playwright

    check_the_proxy(topology, database_url)
    base, nginx = topology["base"], topology["nginx"]
    first, second = topology["instances"]
    photo = make_photo(tmp_path / "photo.jpg")

    with sync_playwright() as playwright:
        browser = launch(playwright, topology["spki"])
        try:
            context = browser_context(browser, viewport={"width": 360, "height": 740}, has_touch=True)
            page = start_online(context, base)  # logs in and waits for the service worker and the roster
            assert page.evaluate("() => [location.protocol, window.isSecureContext]") == ["https:", True]
            assert page.evaluate("() => performance.getEntriesByType('navigation')[0].nextHopProtocol") == "h2"

            # Offline: the app comes from the service worker's cache; a visit with a photo and a signature.
            context.set_offline(True)
            page.reload()
            unlock(page, base)  # a reload locks the app: the password opens it again, offline
            page.locator("[data-test=online-state]").wait_for()
            assert page.locator("[data-test=online-state]").inner_text() == "离线"
            rid, _ = open_recipient(page, base, 0)
            page.click("[data-test=start-visit]")
            page.locator("[data-test=occasion] input").fill("部署测试走访")
            open_section(page, "photos")
            page.set_input_files("[data-test=photo-input]", str(tmp_path / "photo.jpg"))
            page.locator("[data-test=photo-thumb]").wait_for()
            draw_signature(context, page)
            page.click("[data-test=submit-visit]")
            page.wait_for_url(f"**/recipients/{rid}")
            [typed] = outbox(page)
            sha = hashlib.sha256(photo).hexdigest()
            assert typed["op"] == "visit.create" and typed["data"]["photos"] == [sha]
            signature = typed["data"]["signature"]
            assert signature

            # More work queued offline, so the sync takes several batches over a slow link.
            known = sorted(read_store(page, "recipients"), key=lambda r: r["id"])
            user_id = str(next(r["value"] for r in read_store(page, "meta") if r["key"] == "session")["user"]["id"])
            bulk = [bulk_visit(known[i % len(known)]["id"], i) for i in range(BULK)]
            queue_mutations(page, user_id, bulk)
            assert len(outbox(page)) == BULK + 1
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions",
                     {"offline": False, "latency": 300, "downloadThroughput": -1, "uploadThroughput": -1})
            pushed = threading.Event()
            page.on("request", lambda r: pushed.set() if r.url.endswith("/api/sync/push") else None)

            # Back online; at the first push, the first instance is stopped as systemd stops it, and started.
            context.set_offline(False)
            wait_until(pushed.is_set, timeout=60, message="the first push", page=page)
            stopped_at = time.time()
            first.terminate()
            left_at_stop = len(outbox(page))
            assert first.wait_exit() == 0, first.log_tail()
            first.start()
            wait_until(lambda: not outbox(page), timeout=WAIT, message="the outbox to drain", page=page)
            cdp.detach()
            assert 0 < left_at_stop, "the sync was over before the restart: nothing was mid-sync"
            context.close()
        finally:
            browser.close()

    # The sync went on through the restart, and the phone never saw it: a push the stopping instance dropped
    # after nginx had sent it (a 502 from it) went to the other instance at once.
    pushes_after = [e for e in nginx.log() if e["uri"] == "/api/sync/push" and e["at"] > stopped_at]
    assert pushes_after and all(e["status"] == 200 for e in pushes_after), pushes_after

    # The restarted instance is back in nginx's rotation (a failed instance rests 10 s, fail_timeout).
    restarted = f"127.0.0.1:{first.port}"

    def first_serves_again() -> bool:
        assert topology["session"].get(topology["url"] + "/api/health", timeout=10).status_code == 200
        return any(e["upstreams"] == [restarted] and e["at"] > stopped_at and e["uri"] == "/api/health"
                   for e in nginx.log())

    wait_until(first_serves_again, timeout=40, interval=0.5, message="the restarted instance to serve again")

    # Every record once, read through the proxy and from each instance directly.
    session = topology["session"]
    login = session.post(topology["url"] + "/api/auth/login",
                         json={"username": "staff_demo", "password": DEMO_PASSWORD}, timeout=30)
    token = login.cookies["zoufang_session"]
    changes, cursor = {}, 0
    for _ in range(100):
        page_of = session.get(f"{topology['url']}/api/sync/pull?cursor={cursor}&limit=1000", timeout=60).json()
        for change in page_of["changes"]:
            assert (change["type"], change["id"]) not in changes, "a record came twice in one pull"
            changes[(change["type"], change["id"])] = change
        cursor = page_of["cursor"]
        if not page_of["has_more"]:
            break
    visit = changes[("visit", typed["entity_id"])]
    assert visit["version"] == 1 and visit["data"]["photos"] == [sha] and visit["data"]["signature"] == signature
    for mutation in bulk:
        assert changes[("visit", mutation["data"]["id"])]["version"] == 1, mutation
    ours = [c for c in changes.values() if c["type"] == "visit" and not c["deleted"]
            and re.fullmatch(r"部署测试( \d+|走访)", c["data"]["occasion"] or "")]
    assert len(ours) == BULK + 1
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM visits WHERE occasion LIKE '部署测试%'")).scalar_one()
    finally:
        engine.dispose()
    assert stored == BULK + 1

    # The photo and the signature, from either instance (one attachments folder for both).
    plain = requests.Session()
    plain.trust_env = False
    with plain:
        for instance in (first, second):
            got = plain.get(f"{instance.url}/api/attachments/{sha}", headers={"Cookie": f"zoufang_session={token}"},
                            timeout=30)
            assert got.status_code == 200 and got.content == photo
            assert plain.get(f"{instance.url}/api/attachments/{signature}",
                             headers={"Cookie": f"zoufang_session={token}"}, timeout=30).status_code == 200

    # Both instances down: nginx answers the envelope, not an HTML page.
    first.stop()
    second.stop()
    down = session.get(topology["url"] + "/api/health", timeout=30)
    assert down.status_code == 503 and down.json()["error"]["code"] == "unavailable"
