"""Request ids, the JSON request log (nothing personal in it) and /metrics for the operator's network only."""

import json
import logging
import re
from datetime import timedelta

import pytest

from server.extensions import db
from server.models import Job, Notification
from server.models.base import utcnow
from server.observability import JsonFormatter
from server.services import notifications
from tests.conftest import mutation, visit_data


def json_lines(caplog, logger: str | None = None) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if logger is None or r.name == logger]


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample of the exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if match and match[1] == name:
            found = ",".join(sorted(filter(None, (match[2] or "").split(","))))
            if found == wanted:
                return float(match[3])
    return 0.0


def test_a_request_id_is_kept_from_the_client_or_made_and_always_echoed(client):
    sent = client.get("/api/health", headers={"X-Request-ID": "phone-1234-abcd"})
    assert sent.headers["X-Request-ID"] == "phone-1234-abcd"
    made = client.get("/api/health")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    forged = client.get("/api/health", headers={"X-Request-ID": "x" * 200})
    assert forged.headers["X-Request-ID"] != "x" * 200
    assert client.get("/api/nothing-here").headers["X-Request-ID"]


def test_each_request_logs_one_json_line_without_ids_or_query(reviewer, own_recipient, caplog):
    caplog.set_level(logging.INFO)
    response = reviewer.get(f"/api/recipients/{own_recipient['id']}/archive?q={own_recipient['name']}",
                            headers={"X-Request-ID": "office-pc-0001"})
    [line] = [entry for entry in json_lines(caplog, "server.request") if entry["request_id"] == "office-pc-0001"]
    assert line["message"] == "request"
    assert line["method"] == "GET" and line["status"] == response.status_code
    assert line["endpoint"] == "/api/recipients/<recipient_id>/archive"
    assert isinstance(line["duration_ms"], float)
    text = json.dumps(line, ensure_ascii=False)
    assert own_recipient["id"] not in text and own_recipient["name"] not in text


def test_an_error_envelopes_log_carries_the_request_id(staff, monkeypatch, caplog):
    def broken(actor):
        raise RuntimeError("boom")

    monkeypatch.setattr(notifications, "list_inbox", broken)
    response = staff.get("/api/notifications", headers={"X-Request-ID": "req-error-0001"})
    assert response.status_code == 500 and response.json["error"]["code"] == "internal_error"
    assert response.headers["X-Request-ID"] == "req-error-0001"
    [logged] = [e for e in json_lines(caplog, "server.errors") if e["level"] == "error"]
    assert logged["request_id"] == "req-error-0001" and "RuntimeError" in logged["exc"]
    assert "boom" not in response.get_data(as_text=True)


def test_metrics_are_only_for_the_operators_network(app, client):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert outside.status_code == 404 and outside.json["error"]["code"] == "not_found"
    app.config["METRICS_ALLOWED_NETWORKS"] = ("203.0.113.0/24",)
    app.extensions.pop("zf_metrics_networks", None)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200
    assert client.get("/metrics").status_code == 404


def test_metrics_count_requests_push_outcomes_queue_age_and_jobs(app, client, staff, own_recipient):
    before = client.get("/metrics").get_data(as_text=True)
    record = visit_data(own_recipient["id"])
    first = mutation("visit.create", record)
    staff.push(first)
    staff.push(first, mutation("visit.update", {"id": record["id"], "notes": "x"}, base_version=999))
    staff.push(mutation("visit.create", {"id": "not-a-uuid"}))
    db.session.add(Notification(user_id=staff.user["id"], kind="test", title="t", body="b", url=None,
                                due_at=utcnow() - timedelta(seconds=120), dedupe_key="metrics-test"))
    now = utcnow()
    db.session.add(Job(id="0" * 36, kind="weekly_xlsx", owner_id=staff.user["id"], params={}, status="done",
                       progress=100, created_at=now, started_at=now - timedelta(seconds=7), finished_at=now))
    db.session.commit()
    after = client.get("/metrics").get_data(as_text=True)
    for status, count in (("applied", 1), ("duplicate", 1), ("rejected", 1), ("conflict", 1)):
        assert metric(after, "zoufang_push_mutations_total", status=status) - \
            metric(before, "zoufang_push_mutations_total", status=status) == count, status
    pushes = {"endpoint": "/api/sync/push", "method": "POST"}
    assert metric(after, "zoufang_request_duration_seconds_count", **pushes) - \
        metric(before, "zoufang_request_duration_seconds_count", **pushes) == 3
    assert metric(after, "zoufang_requests_total", status="200", **pushes) >= 3
    assert 120 <= metric(after, "zoufang_dispatch_queue_age_seconds") < 600
    done = {"kind": "weekly_xlsx", "status": "done"}
    assert metric(after, "zoufang_job_duration_seconds_count", **done) == 1
    assert metric(after, "zoufang_job_duration_seconds_bucket", le="5.0", **done) == 0
    assert metric(after, "zoufang_job_duration_seconds_bucket", le="15.0", **done) == 1
    assert "/metrics" not in after  # scrapes are not counted


@pytest.mark.parametrize("address", ["::1", "::ffff:127.0.0.1"])
def test_loopback_over_ipv6_may_read_metrics(client, address):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": address}).status_code == 200
