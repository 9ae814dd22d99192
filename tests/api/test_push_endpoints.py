"""Push subscriptions only on known push services (issue 12, finding 8): refused when subscribing (422
`push_service_not_allowed`) and never contacted by the dispatcher, whatever a row says."""

import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from server.config import Config
from server.domain.push import DEFAULT_PUSH_SERVICES, endpoint_allowed
from server.extensions import db
from server.models import Notification, PushSubscription
from server.push import FAILED, Message, Subscription, get_pusher
from server.services import reminders
from tests.api.test_push_api import browser_subscription
from tests.unit.test_reminders import add_row


class Counting(BaseHTTPRequestHandler):
    """A local service that counts the POSTs it gets (what the dispatcher must never reach)."""

    hits: list[str] = []

    def do_POST(self):  # noqa: N802
        Counting.hits.append(self.path)
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_service():
    Counting.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("endpoint", [
    "http://127.0.0.1:8000/api/auth/logout",
    "http://localhost:9200/_all",
    "https://127.0.0.1/notify/x",
    "https://intranet.example.com/fcm/send/abc",
    "http://fcm.googleapis.com/fcm/send/abc",  # plain HTTP to a real push service
    "https://fcm.googleapis.com:8443/fcm/send/abc",
    "https://fcm.googleapis.com@evil.example.com/fcm/send/abc",
    "https://fcm.googleapis.com\\@evil.example.com/fcm/send/abc",
    "https://fcm.googleapis.com.evil.example.com/fcm/send/abc",
    "https://push.apple.com/x",  # the bare domain is no subdomain
    "https://evilpush.apple.com/x",
    "ftp://fcm.googleapis.com/fcm/send/abc",
])
def test_an_endpoint_off_the_known_push_services_is_refused_with_its_field_code(staff, endpoint):
    response = staff.post("/api/push/subscriptions", json=browser_subscription(endpoint))
    assert response.status_code == 422, endpoint
    assert response.json["error"]["field_codes"] == {"endpoint": ["push_service_not_allowed"]}
    assert db.session.execute(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).first() is None


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/abc123",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
    "https://web.push.apple.com/QGuQyavXutnMH",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
    "https://FCM.googleapis.com:443/fcm/send/abc",
])
def test_the_well_known_push_services_are_accepted(staff, endpoint):
    assert staff.post("/api/push/subscriptions", json=browser_subscription(endpoint)).status_code == 201


def test_production_config_names_no_loopback_and_tests_must_add_one_explicitly(app, staff, local_service):
    assert Config().PUSH_ENDPOINT_ALLOWLIST == DEFAULT_PUSH_SERVICES
    assert app.config["PUSH_ENDPOINT_ALLOWLIST"] == DEFAULT_PUSH_SERVICES
    endpoint = f"{local_service}/notify/abc"
    assert staff.post("/api/push/subscriptions", json=browser_subscription(endpoint)).status_code == 422
    app.config["PUSH_ENDPOINT_ALLOWLIST"] = (*DEFAULT_PUSH_SERVICES, "http://127.0.0.1:*")
    assert staff.post("/api/push/subscriptions", json=browser_subscription(endpoint)).status_code == 201


def test_the_allowlist_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PUSH_ENDPOINT_ALLOWLIST", "fcm.googleapis.com, push.example.cn http://localhost:*")
    assert Config().PUSH_ENDPOINT_ALLOWLIST == ("fcm.googleapis.com", "push.example.cn", "http://localhost:*")


def test_the_dispatcher_never_posts_to_an_endpoint_off_the_list(app, staff, local_service):
    """A row stored before the check existed (or after the list changed) is not contacted."""
    db.session.commit()  # the login's transaction (requests share the test's session) ends first
    pusher = get_pusher(app)  # its key is made in the database on another connection
    endpoint = f"{local_service}/notify/abc"
    sub = browser_subscription(endpoint)
    db.session.add(PushSubscription(user_id=staff.user["id"], endpoint=endpoint, p256dh=sub["keys"]["p256dh"],
                                    auth=sub["keys"]["auth"]))
    db.session.execute(Notification.__table__.update().values(sent_at=datetime.now(UTC).replace(tzinfo=None)))
    db.session.commit()
    row_id = add_row(staff.user["id"], datetime.now(UTC) - timedelta(minutes=1), key="allowlist:1")

    report = reminders.send_due(datetime.now(UTC).replace(tzinfo=None), pusher=pusher)

    assert Counting.hits == []
    assert report.claimed == 1 and report.sent == 0 and report.failed == 1
    db.session.expire_all()
    assert "allowlist" in db.session.get(Notification, row_id).last_error


def test_the_pusher_checks_each_message_itself(app, local_service):
    sub = browser_subscription(f"{local_service}/notify/abc")
    message = Message(Subscription(1, sub["endpoint"], sub["keys"]["p256dh"], sub["keys"]["auth"]), b"{}")
    assert get_pusher(app).send(message).outcome == FAILED and Counting.hits == []
    app.config["PUSH_ENDPOINT_ALLOWLIST"] = ("http://127.0.0.1:*",)
    assert get_pusher(app).send(message).status == 201 and len(Counting.hits) == 1


@pytest.mark.parametrize("endpoint, allowed", [
    ("https://a.notify.windows.com/x", True),
    ("https://notify.windows.com/x", False),
    ("https://a.notify.windows.com./x", False),
    ("https://fcm.googleapis.com/x\u0000", False),
    ("https://[::1]/x", False),
    ("https://fcm.googleapis.com:99999/x", False),
])
def test_endpoint_matching(endpoint, allowed):
    assert endpoint_allowed(endpoint, DEFAULT_PUSH_SERVICES) is allowed
