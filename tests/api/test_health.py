"""GET /api/health: public, checks the database, and answers the 503 `unavailable` envelope when it cannot."""

from sqlalchemy.exc import InterfaceError, OperationalError

from server import config as server_config
from server import create_app
from server.extensions import db


def test_health_is_public_and_ok_when_the_database_answers(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert "no-store" in response.headers["Cache-Control"]


def test_health_answers_503_unavailable_when_the_database_is_unreachable(tmp_path):
    # A SQLite file in a folder that does not exist: every connection attempt fails.
    url = f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}"
    app = create_app(server_config.TestConfig(url, str(tmp_path / "instance")))
    try:
        for _ in range(2):  # a failed check leaves nothing behind that breaks the next one
            response = app.test_client().get("/api/health")
            assert response.status_code == 503
            assert response.json == {"error": {"code": "unavailable",
                                               "message": "The database does not answer; try again later"}}
    finally:
        with app.app_context():
            db.engine.dispose()


def test_health_answers_503_on_any_database_error_and_recovers(app, client, monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise (InterfaceError if len(calls) == 1 else OperationalError)("SELECT 1", {}, Exception("gone"))

    with monkeypatch.context() as patch:
        patch.setattr(db.session, "execute", broken)
        for _ in range(2):
            response = client.get("/api/health")
            assert response.status_code == 503 and response.json["error"]["code"] == "unavailable"
    assert len(calls) == 2
    assert client.get("/api/health").status_code == 200


def test_health_documents_its_503(client):
    responses = client.get("/api/openapi.json").json["paths"]["/api/health"]["get"]["responses"]
    assert "503" in responses and "200" in responses
