"""deploy/, the Dockerfile and .dockerignore agree with the server and with each other (no process started;
tests/system/test_deploy_tls.py runs the topology itself)."""

import re
import runpy
from pathlib import Path

import pytest
import yaml
from gunicorn.config import KNOWN_SETTINGS

from server.config import Config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
NGINX = (DEPLOY / "nginx" / "zoufang.conf").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()


@pytest.fixture(autouse=True)
def _metrics_dir(monkeypatch, tmp_path):
    """gunicorn.conf.py makes a metrics folder when none is configured: not in this test process."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))


def nginx_value(directive: str, text: str = NGINX) -> str:
    values = re.findall(rf"^\s*{directive}\s+([^;]+);", text, re.MULTILINE)
    assert len(values) == 1, f"{directive}: {values}"
    return values[0].strip()


def nginx_location(match: str) -> str:
    start = NGINX.index(f"location {match} {{")
    return NGINX[start:NGINX.index("\n    }", start)]


def size(value: str) -> int:
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


def test_nginx_takes_exactly_the_bodies_the_server_reads():
    assert size(nginx_value("client_max_body_size")) == Config().MAX_CONTENT_LENGTH


def test_nginx_drops_slow_clients_and_outwaits_gunicorn():
    for directive, most in (("client_header_timeout", 30), ("client_body_timeout", 60), ("send_timeout", 60)):
        assert int(nginx_value(directive).removesuffix("s")) <= most, directive
    gunicorn = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert int(nginx_value("proxy_read_timeout").removesuffix("s")) > gunicorn["timeout"]


def test_nginx_caches_assets_for_a_year_and_never_the_shell():
    assets = nginx_location("/assets/")
    assert 'Cache-Control "public, max-age=31536000, immutable"' in assets
    shell = nginx_location(r"~ ^/(|sw\.js|index\.html|manifest\.webmanifest)$")
    assert 'Cache-Control "no-cache, no-store, must-revalidate" always' in shell
    assert "proxy_hide_header Cache-Control" in shell
    pattern = re.compile(r"^/(|sw\.js|index\.html|manifest\.webmanifest)$")
    assert all(pattern.match(p) for p in ("/", "/sw.js", "/index.html", "/manifest.webmanifest"))
    assert not pattern.match("/assets/index-abc.js")


def test_nginx_sets_the_forwarded_headers_the_app_trusts():
    assert nginx_value("proxy_set_header X-Forwarded-For") == "$remote_addr"  # set, never appended
    assert nginx_value("proxy_set_header X-Forwarded-Proto") == "$scheme"
    assert "listen 443 ssl http2;" in NGINX
    env = (DEPLOY / "zoufang.env.example").read_text()
    assert re.search(r"^TRUSTED_PROXIES=1$", env, re.MULTILINE)


def test_gunicorn_settings_are_gunicorn_settings_and_read_the_environment(monkeypatch):
    known = {setting.name for setting in KNOWN_SETTINGS}
    monkeypatch.setenv("ZOUFANG_BIND", "127.0.0.1:8123")
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    settings = {k: v for k, v in runpy.run_path(str(DEPLOY / "gunicorn.conf.py")).items()
                if not k.startswith("_") and k != "os"}
    assert set(settings) <= known, set(settings) - known
    assert settings["bind"] == ["127.0.0.1:8123"] and settings["workers"] == 5
    assert settings["control_socket_disable"] is True
    assert settings["accesslog"] is None  # the app logs each request, without the query string


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_the_systemd_units_restart_always_and_run_the_shared_settings():
    web, dispatcher = unit("zoufang-web@.service"), unit("zoufang-dispatcher.service")
    assert web["Restart"] == ["always"] and dispatcher["Restart"] == ["always"]
    for service in (web, dispatcher):  # restarted however often they die: no start limit to run into
        assert service["StartLimitIntervalSec"] == ["0"] and 0 < int(service["RestartSec"][0]) <= 10
    assert web["ExecStart"] == ["/opt/zoufang/.venv/bin/gunicorn --config /opt/zoufang/deploy/gunicorn.conf.py "
                                "server.wsgi:app"]
    assert web["Environment"] == ["ZOUFANG_BIND=127.0.0.1:%i", "PROMETHEUS_MULTIPROC_DIR=/run/zoufang-web-%i"]
    assert web["RuntimeDirectory"] == ["zoufang-web-%i"]  # one metrics folder per instance, emptied by systemd
    assert dispatcher["ExecStart"] == ["/opt/zoufang/.venv/bin/flask --app server reminders run"]
    assert unit("zoufang-migrate.service")["ExecStart"] == ["/opt/zoufang/.venv/bin/flask --app server db upgrade"]
    for name in ("zoufang-web@.service", "zoufang-dispatcher.service", "zoufang-migrate.service"):
        assert unit(name)["EnvironmentFile"] == ["/etc/zoufang/zoufang.env"], name


def test_compose_starts_nginx_two_web_instances_the_dispatcher_and_postgres():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "web1", "web2", "dispatcher", "nginx"}
    for name in ("web1", "web2", "dispatcher"):
        service = services[name]
        assert service["restart"] == "always", name
        # One volume of photos and signatures, where the app looks for it.
        assert f"attachments:{service['environment']['ATTACHMENTS_DIR']}" in service["volumes"], name
        assert service["environment"]["TRUSTED_PROXIES"] == "1"
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "command" not in services["web1"] and "command" not in services["web2"]  # the image's gunicorn
    assert services["dispatcher"]["command"] == ["flask", "--app", "server", "reminders", "run"]
    assert services["dispatcher"]["healthcheck"] == {"disable": True}
    assert services["migrate"]["command"] == ["flask", "--app", "server", "db", "upgrade"]
    assert services["nginx"]["build"]["target"] == "proxy" and "443:443" in services["nginx"]["ports"]
    assert "ports" not in services["web1"] and "ports" not in services["postgres"]  # only nginx is published


def test_the_image_checks_its_health_runs_unprivileged_and_has_cjk_fonts():
    server = DOCKERFILE[DOCKERFILE.index("AS server"):]
    assert "/api/health" in server.split("HEALTHCHECK", 1)[1].split("\n\n")[0]
    assert re.search(r"^USER zoufang$", server, re.MULTILINE)
    assert "fonts-wqy-microhei" in server
    assert server.rstrip().splitlines()[-1] == 'CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", ' \
                                               '"server.wsgi:app"]'
    assert not re.search(r"(SECRET_KEY|VAPID_PRIVATE_KEY|PASSWORD)\s*=", DOCKERFILE)
    # The proxy stage points its upstreams at the compose services.
    assert "server 127.0.0.1:8001 " in NGINX and "server 127.0.0.1:8002 " in NGINX


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parent folders decides."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        parts = path.split("/")
        candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            excluded = not negate
    return excluded


@pytest.mark.parametrize("path", [
    ".venv/bin/python", ".git/config", ".stamps/venv", "instance/zoufang.db", "instance/vapid_private.pem",
    "instance/secret_key", "pwa/node_modules/vue/index.js", "node_modules/x.js", "tests/push_server/node_modules/a.js",
    "bench/node_modules/a.js", "bench/out/sync.json", "pwa/dist/index.html", "server/local.db", "zoufang.db",
    "server/__pycache__/config.cpython-311.pyc", "deploy/zoufang.env", "deploy/.env", "deploy/tls/privkey.pem",
    "tests/conftest.py", "docs/screenshots/office-visits.png", "pwa/src/.env",
])
def test_dockerignore_keeps_out_host_state_and_secrets(path):
    assert dockerignore_excludes(path)


def test_dockerignore_sends_everything_the_dockerfile_copies():
    sources = [line.split()[1:-1] for line in DOCKERFILE.splitlines()
               if line.startswith("COPY ") and "--from=" not in line]
    wanted = [s.rstrip("/") for group in sources for s in group]
    assert "server" in wanted and "deploy/gunicorn.conf.py" in wanted
    for source in wanted:
        sample = f"{source}/__init__.py" if (ROOT / source).is_dir() else source
        assert (ROOT / source).exists(), source
        assert not dockerignore_excludes(sample), source
    for path in ("pwa/src/main.ts", "pwa/package-lock.json", "migrations/env.py", "server/api/meta.py"):
        assert not dockerignore_excludes(path), path
