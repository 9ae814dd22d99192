"""A recipient's archive: every visit with photos and signature, every difficulty and follow-up; the audited
reveal of the full ID number."""

import hashlib

from server.models import AuditLog
from tests.conftest import PNG_1PX, difficulty_data, mutation, new_id, visit_data


def test_archive_lists_every_visit_and_difficulty_with_follow_ups(staff, reviewer, own_recipient):
    sha = hashlib.sha256(PNG_1PX).hexdigest()
    assert staff.put(f"/api/attachments/{sha}", data=PNG_1PX, content_type="image/png").status_code == 201
    visits = [visit_data(own_recipient["id"], visited_at=f"2026-11-0{i}T02:00:00.000Z", photos=[sha],
                         cash_cents=20000, signature=sha) for i in (1, 2, 3)]
    difficulty = difficulty_data(own_recipient["id"], visit_id=visits[0]["id"])
    follow_up = {"id": new_id(), "difficulty_id": difficulty["id"], "at": "2026-11-05T02:00:00.000Z",
                 "note": "已联系卫生院", "status": "in_progress", "next_follow_up_at": None}
    results = staff.push(*[mutation("visit.create", v) for v in visits], mutation("difficulty.create", difficulty),
                         mutation("followup.create", follow_up))
    assert {r["status"] for r in results} == {"applied"}
    body = reviewer.get(f"/api/recipients/{own_recipient['id']}/archive").json
    archived = [v["id"] for v in body["visits"]]
    assert set(archived) >= {v["id"] for v in visits}
    assert archived == sorted(archived, key=lambda i: next(v["visited_at"] for v in body["visits"] if v["id"] == i))
    [found] = [d for d in body["difficulties"] if d["id"] == difficulty["id"]]
    assert [f["note"] for f in found["follow_ups"]] == ["已联系卫生院"]
    assert "*" in body["recipient"]["id_number"]
    page = reviewer.get(f"/api/recipients/{own_recipient['id']}/archive.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert html.count(f"/api/attachments/{sha}") == 6  # a photo and a signature for each of three visits
    assert "已联系卫生院" in html and "200.00 元" in html


def test_reveal_returns_full_id_number_and_is_audited(app, reviewer, own_recipient):
    response = reviewer.get(f"/api/recipients/{own_recipient['id']}/id-number")
    assert response.status_code == 200
    full = response.json["id_number"]
    assert "*" not in full and full[-4:] == own_recipient["id_number"][-4:]
    audit = AuditLog.query.filter_by(action="recipient.reveal_id_number", entity_id=own_recipient["id"]).all()
    assert [a.user_id for a in audit] == [reviewer.user["id"]]


def test_staff_cannot_reveal_or_export_the_archive(staff, own_recipient):
    assert staff.get(f"/api/recipients/{own_recipient['id']}/id-number").status_code == 403
    assert staff.get(f"/api/recipients/{own_recipient['id']}/archive").status_code == 403


def test_archive_of_unknown_recipient_is_404(reviewer):
    assert reviewer.get(f"/api/recipients/{new_id()}/archive").status_code == 404
