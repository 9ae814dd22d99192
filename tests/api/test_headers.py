"""Response headers that keep personal data out of caches, and HSTS over HTTPS (issue 12, finding 12)."""

import pytest

from server import config as server_config
from server import create_app
from server.extensions import db
from tests.conftest import PNG_1PX, FreshTransactionClient, mutation, visit_data

HSTS = "Strict-Transport-Security"


@pytest.fixture
def photo(staff, own_recipient):
    """A photo named by one of staff_demo's visits."""
    import hashlib

    sha = hashlib.sha256(PNG_1PX).hexdigest()
    assert staff.put(f"/api/attachments/{sha}", data=PNG_1PX, content_type="image/png").status_code == 201
    [result] = staff.push(mutation("visit.create", visit_data(own_recipient["id"], photos=[sha])))
    assert result["status"] == "applied"
    return sha


def test_a_photo_is_never_stored_by_a_browser_or_proxy_cache(staff, reviewer, photo):
    # A township office PC is shared: a photo of a recipient's home must not stay in its disk cache after
    # logout, nor be served from it to whoever uses the PC next.
    for client in (staff, reviewer):
        response = client.get(f"/api/attachments/{photo}")
        assert response.status_code == 200
        directives = {d.strip() for d in response.headers["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives
        assert not any(d.startswith("max-age") and d != "max-age=0" for d in directives)
        assert "immutable" not in directives and "public" not in directives


def test_the_archive_page_is_not_stored(reviewer, own_recipient):
    response = reviewer.get(f"/api/recipients/{own_recipient['id']}/archive.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "no-store" in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/api/reports/weekly.xlsx", "/api/recipients/import-template.xlsx",
                                 "/api/auth/me", "/api/visits"])
def test_every_api_answer_with_personal_data_is_not_stored(reviewer, url):
    with reviewer.get(url) as response:
        assert response.status_code == 200
        assert "no-store" in response.headers.get("Cache-Control", ""), response.headers.get("Cache-Control")


def test_an_error_answer_is_not_stored_either(staff):
    response = staff.get("/api/attachments/" + "0" * 64)
    assert response.status_code == 404 and "no-store" in response.headers["Cache-Control"]


def test_no_hsts_over_plain_http(client):
    assert HSTS not in client.get("/api/health").headers


def test_hsts_over_https(client):
    response = client.get("/api/health", base_url="https://zoufang.example")
    assert response.headers[HSTS] == "max-age=31536000"


def test_a_forwarded_https_is_ignored_unless_the_proxy_is_trusted(client):
    response = client.get("/api/health", headers={"X-Forwarded-Proto": "https"})
    assert HSTS not in response.headers


def test_hsts_behind_a_trusted_proxy(database_url, tmp_path):
    config = server_config.TestConfig(database_url, str(tmp_path))
    config.TRUSTED_PROXIES = 1
    app = create_app(config)
    app.test_client_class = FreshTransactionClient
    with app.app_context():
        try:
            client = app.test_client()
            assert client.get("/api/health", headers={"X-Forwarded-Proto": "https"}).headers[HSTS] \
                == "max-age=31536000"
            assert HSTS not in client.get("/api/health", headers={"X-Forwarded-Proto": "http"}).headers
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_pwa_shell_gets_hsts_over_https_too(client, app, tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html><title>走访通</title>")
    app.config["PWA_DIST"] = str(dist)
    response = client.get("/", base_url="https://zoufang.example")
    assert response.status_code == 200 and response.headers[HSTS] == "max-age=31536000"
