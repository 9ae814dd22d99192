"""The phone's exported outbox file: sealed with the export key the server gave the phone at login, verified,
previewed and applied by the office through the sync push, once; tampered or foreign files refused."""

import base64
import hashlib
import hmac
import io
import json

from sqlalchemy import func, select, update

from server.extensions import db
from server.models import AuditLog, Difficulty, User, Visit
from tests.conftest import PNG_1PX, difficulty_data, mutation, visit_data

URL = "/api/outbox-files/import"
PASSWORD = "Field@2027x"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sealed_file(phone, mutations: list[dict], attachments: dict[str, bytes] | None = None, *,
                user_id=None, key: dict | None = None, device_id: str = "phone-7") -> dict:
    """What the phone's export writes (pwa/src/db/outboxActions.ts), sealed with the key its login answered."""
    key = key or phone.export_key
    payload = json.dumps({"format": "zoufang-outbox", "version": 1, "user_id": str(user_id or phone.user["id"]),
                          "device_id": device_id, "key_id": key["key_id"], "exported_at": "2026-12-01T08:00:00.000Z",
                          "mutations": mutations}, ensure_ascii=False)
    raw_key = base64.urlsafe_b64decode(key["key"] + "=" * (-len(key["key"]) % 4))
    mac = b64url(hmac.new(raw_key, payload.encode(), hashlib.sha256).digest())
    return {"format": "zoufang-outbox", "version": 1, "payload": payload, "mac": mac,
            "attachments": {sha: {"mime": "image/png", "base64": base64.b64encode(data).decode()}
                            for sha, data in (attachments or {}).items()}}


def send(office, document, dry_run=False):
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return office.post(f"{URL}?dry_run=1" if dry_run else URL,
                       data={"file": (io.BytesIO(content), "zoufang-pending.json")},
                       content_type="multipart/form-data")


def phone_of(login, username: str, password: str = "Demo@2026"):
    phone = login(username, password)
    answer = phone.client.get("/api/auth/me").json
    phone.export_key = answer["export_key"]
    return phone


def pending(recipient_id: str) -> tuple[list[dict], dict[str, bytes]]:
    sha = hashlib.sha256(PNG_1PX).hexdigest()
    visit = visit_data(recipient_id, photos=[sha])
    mutations = [mutation("visit.create", visit),
                 mutation("difficulty.create", difficulty_data(recipient_id, visit_id=visit["id"]))]
    return mutations, {sha: PNG_1PX}


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_login_and_me_hand_the_phone_the_same_export_key_for_a_session(login):
    phone = login("staff_demo")
    first = phone.client.get("/api/auth/me").json["export_key"]
    assert set(first) == {"key_id", "key"} and len(base64.urlsafe_b64decode(first["key"] + "==")) == 32
    assert phone.client.get("/api/auth/me").json["export_key"] == first
    assert login("staff_demo").client.get("/api/auth/me").json["export_key"]["key_id"] != first["key_id"]


def test_a_file_is_previewed_applied_once_and_the_phones_own_push_then_answers_duplicate(login, reviewer,
                                                                                         own_recipient):
    phone = phone_of(login, "staff_demo")
    mutations, attachments = pending(own_recipient["id"])
    document = sealed_file(phone, mutations, attachments)
    visits, difficulties = count(Visit), count(Difficulty)

    preview = send(reviewer, document, dry_run=True)
    assert preview.status_code == 200, preview.json
    body = preview.json
    assert body["dry_run"] is True and body["user"]["id"] == phone.user["id"]
    assert body["user"]["display_name"] == phone.user["display_name"] and body["device_id"] == "phone-7"
    assert body["exported_at"] == "2026-12-01T08:00:00.000Z" and body["mutations"] == 2 and body["attachments"] == 1
    assert body["by_type"] == {"visit": 1, "difficulty": 1}
    assert body["counts"] == {"applied": 2, "duplicate": 0, "conflict": 0, "rejected": 0}
    assert (count(Visit), count(Difficulty)) == (visits, difficulties)  # a preview writes nothing

    applied = send(reviewer, document).json
    assert applied["dry_run"] is False and applied["counts"]["applied"] == 2
    assert [r["id"] for r in applied["results"]] == [m["id"] for m in mutations]  # the phone's own ids
    visit = db.session.get(Visit, mutations[0]["data"]["id"])
    assert visit.author_id == phone.user["id"] and visit.photos == [hashlib.sha256(PNG_1PX).hexdigest()]
    actions = db.session.execute(select(AuditLog.user_id, AuditLog.device_id).where(
        AuditLog.entity_id == visit.id, AuditLog.action == "visit.create")).all()
    assert actions == [(phone.user["id"], "phone-7")]

    again = send(reviewer, document).json
    assert again["counts"] == {"applied": 0, "duplicate": 2, "conflict": 0, "rejected": 0}
    # The phone comes back into signal and pushes the same queue: nothing doubles.
    assert [r["status"] for r in phone.push(*mutations, device_id="phone-7")] == ["duplicate", "duplicate"]
    assert (count(Visit), count(Difficulty)) == (visits + 1, difficulties + 1)
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "outbox_file.apply")
                               .order_by(AuditLog.id)).scalars().all()
    assert [a.user_id for a in audit] == [reviewer.user["id"]] * 2 and audit[0].entity_id == str(phone.user["id"])


def test_a_tampered_file_is_refused_and_nothing_is_applied(login, reviewer, own_recipient):
    phone = phone_of(login, "staff_demo")
    mutations, attachments = pending(own_recipient["id"])
    document = sealed_file(phone, mutations, attachments)
    visits = count(Visit)

    changed = dict(document, payload=document["payload"].replace('"cash_cents": 0', '"cash_cents": 50000'))
    assert changed["payload"] != document["payload"]
    other_photo = dict(document, attachments={sha: {"mime": "image/png", "base64": base64.b64encode(
        PNG_1PX + b"x").decode()} for sha in attachments})
    for bad in (changed, other_photo, dict(document, mac=b64url(b"\0" * 32)), dict(document, mac="")):
        response = send(reviewer, bad)
        assert response.status_code == 422, response.json
        assert response.json["error"]["code"] == "outbox_file_tampered"
        assert "校验失败" in response.json["error"]["message"]
    for junk in (b"not json", json.dumps({"format": "other"}).encode(), json.dumps([1]).encode()):
        response = send(reviewer, junk)
        assert response.status_code == 422 and response.json["error"]["code"] == "outbox_file_invalid"
    # A phone that never got a key exports an unsealed file: refused with its own code, nothing applied.
    response = send(reviewer, dict(document, mac=None))
    assert response.status_code == 422 and response.json["error"]["code"] == "outbox_file_unsealed"
    assert count(Visit) == visits


def test_a_file_moved_to_another_user_or_sealed_with_anothers_key_is_refused(login, admin, reviewer,
                                                                            own_recipient):
    areas = {a["name"]: a["id"] for a in admin.get("/api/areas").json["items"]}
    made = admin.post("/api/admin/users", json={"username": "staff_two", "display_name": "第二位", "role": "staff",
                                                "area_id": areas["城关镇"], "password": PASSWORD})
    assert made.status_code == 201, made.json
    phone = phone_of(login, "staff_demo")
    other = phone_of(login, "staff_two", PASSWORD)
    mutations, attachments = pending(own_recipient["id"])
    # The courier rewrites the author: the seal was made with staff_demo's key, not staff_two's.
    moved = sealed_file(phone, mutations, attachments)
    payload = json.loads(moved["payload"])
    payload["user_id"] = str(other.user["id"])
    moved["payload"] = json.dumps(payload, ensure_ascii=False)
    # Or staff_two seals a file in staff_demo's name with its own key.
    forged = sealed_file(other, mutations, attachments, user_id=phone.user["id"])
    for bad in (moved, forged):
        response = send(reviewer, bad)
        assert response.status_code == 422 and response.json["error"]["code"] == "outbox_file_tampered"


def test_only_the_office_of_the_authors_area_may_load_a_file(login, admin, staff, own_recipient):
    areas = {a["name"]: a["id"] for a in admin.get("/api/areas").json["items"]}
    elsewhere = next(name for name in areas if name.endswith(("乡", "镇")) and name != "城关镇")
    made = admin.post("/api/admin/users", json={"username": "reviewer_far", "display_name": "外乡审核",
                                                "role": "reviewer", "area_id": areas[elsewhere],
                                                "password": PASSWORD})
    assert made.status_code == 201, made.json
    db.session.execute(update(User).where(User.username == "reviewer_far").values(must_change_password=False))
    db.session.commit()
    far = login("reviewer_far", PASSWORD)
    phone = phone_of(login, "staff_demo")
    document = sealed_file(phone, *pending(own_recipient["id"]))
    response = send(far, document, dry_run=True)
    assert response.status_code == 403 and response.json["error"]["code"] == "outbox_file_out_of_scope"
    assert send(staff, document, dry_run=True).status_code == 403
    assert send(admin, document, dry_run=True).status_code == 200
