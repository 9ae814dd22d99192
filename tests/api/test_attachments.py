"""PUT/GET /api/attachments/<sha256>: idempotent checked upload; download only for those who may see it."""

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Area, Attachment, AuditLog
from server.services import users as user_service
from tests.conftest import PNG_1PX, mutation, visit_data

OTHER_PASSWORD = "Qingshan@2026"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png(tag: bytes = b"") -> bytes:
    return PNG_1PX + tag


def attachment_row(digest: str):
    try:
        return db.session.get(Attachment, digest)
    finally:
        db.session.rollback()


def stored_files(app) -> list[Path]:
    root = Path(app.config["ATTACHMENTS_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def other_staff(app, login):
    """A staff member of 青山乡, another township than staff_demo's 城关镇."""
    township = db.session.execute(select(Area).where(Area.name == "青山乡")).scalar_one()
    user_service.create_user("staff_qingshan", "青山乡干事", OTHER_PASSWORD, "staff", township.id)
    return login("staff_qingshan", OTHER_PASSWORD)


def upload(client, data: bytes, digest: str | None = None, content_type: str = "image/png"):
    return client.put(f"/api/attachments/{digest or sha(data)}", data=data, content_type=content_type)


def visit_naming(client, recipient_id: str, digest: str) -> dict:
    [result] = client.push(mutation("visit.create", visit_data(recipient_id, photos=[digest])))
    assert result["status"] == "applied", result
    return result["entity"]


# -- upload ----------------------------------------------------------------------------------------------


def test_upload_of_a_new_image_answers_201_and_stores_it(app, staff):
    data = png(b"new")
    response = upload(staff, data)
    assert response.status_code == 201
    assert response.json == {"sha256": sha(data)}
    row = attachment_row(sha(data))
    assert (row.content_type, row.size, row.uploader_id) == ("image/png", len(data), staff.user["id"])
    assert [p.read_bytes() for p in stored_files(app)] == [data]


def test_upload_of_an_image_already_there_answers_200_and_keeps_the_first_uploader(staff, reviewer):
    data = png(b"twice")
    assert upload(staff, data).status_code == 201
    assert upload(staff, data).status_code == 200
    assert upload(reviewer, data).status_code == 200
    assert attachment_row(sha(data)).uploader_id == staff.user["id"]


def test_upload_whose_bytes_do_not_match_the_hash_answers_422_and_stores_nothing(app, staff):
    data = png(b"real")
    claimed = sha(b"something else")
    response = upload(staff, data, digest=claimed)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "hash_mismatch"
    assert attachment_row(claimed) is None and stored_files(app) == []


def test_upload_of_an_html_file_as_a_photo_answers_415_and_stores_nothing(app, staff):
    data = b"<!doctype html><html><script>alert(1)</script></html>"
    response = upload(staff, data, content_type="image/jpeg")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert attachment_row(sha(data)) is None and stored_files(app) == []


def test_upload_over_5_mb_answers_413_and_stores_nothing(app, staff):
    data = png(b"\0" * (5 * 1024 * 1024))
    response = upload(staff, data)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"
    assert attachment_row(sha(data)) is None and stored_files(app) == []


def test_upload_of_exactly_5_mb_is_accepted(staff):
    data = png(b"\0" * (5 * 1024 * 1024 - len(PNG_1PX)))
    assert upload(staff, data).status_code == 201


@pytest.mark.parametrize("data, kind", [
    (b"\xff\xd8\xff\xe0" + b"\0" * 32, "image/jpeg"),
    (b"RIFF\x24\0\0\0WEBPVP8 " + b"\0" * 32, "image/webp"),
])
def test_upload_of_jpeg_and_webp_is_accepted_with_the_sniffed_type(staff, data, kind):
    assert upload(staff, data, content_type="application/octet-stream").status_code == 201
    assert attachment_row(sha(data)).content_type == kind


def test_upload_is_audited(staff):
    data = png(b"audit")
    upload(staff, data)
    try:
        row = db.session.execute(select(AuditLog).where(AuditLog.entity_id == sha(data))).scalar_one()
    finally:
        db.session.rollback()
    assert (row.user_id, row.action) == (staff.user["id"], "attachment.upload")


def test_upload_without_csrf_token_answers_403_and_stores_nothing(app, staff):
    data = png(b"csrf")
    response = staff.client.put(f"/api/attachments/{sha(data)}", data=data, content_type="image/png")
    assert response.status_code == 403 and response.json["error"]["code"] == "csrf_failed"
    assert stored_files(app) == []


# -- download --------------------------------------------------------------------------------------------


def test_uploader_downloads_the_bytes_with_their_type(staff):
    data = png(b"mine")
    upload(staff, data)
    response = staff.get(f"/api/attachments/{sha(data)}")
    assert response.status_code == 200
    assert response.data == data and response.mimetype == "image/png"
    assert "private" in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_reviewer_over_the_visit_downloads_a_photo_it_names(staff, reviewer, own_recipient):
    data = png(b"visit photo")
    upload(staff, data)
    visit_naming(staff, own_recipient["id"], sha(data))
    response = reviewer.get(f"/api/attachments/{sha(data)}")
    assert response.status_code == 200 and response.data == data


def test_staff_who_can_see_the_visit_downloads_a_photo_someone_else_uploaded(staff, admin, own_recipient):
    data = png(b"admin photo")
    upload(admin, data)
    visit_naming(admin, own_recipient["id"], sha(data))
    assert staff.get(f"/api/attachments/{sha(data)}").status_code == 200


def test_staff_of_another_township_gets_404_for_a_photo_of_a_visit_they_cannot_see(staff, other_staff,
                                                                                   own_recipient):
    data = png(b"private photo")
    upload(staff, data)
    visit_naming(staff, own_recipient["id"], sha(data))
    response = other_staff.get(f"/api/attachments/{sha(data)}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert data not in response.data


def test_attachment_named_by_no_visit_is_404_for_everyone_but_its_uploader(staff, reviewer, other_staff):
    data = png(b"unnamed")
    upload(staff, data)
    assert reviewer.get(f"/api/attachments/{sha(data)}").status_code == 404
    assert other_staff.get(f"/api/attachments/{sha(data)}").status_code == 404
    assert staff.get(f"/api/attachments/{sha(data)}").status_code == 200


def test_attachment_stays_hidden_from_the_old_township_after_its_visit_moves(staff, admin, other_staff,
                                                                            own_recipient):
    data = png(b"moves")
    upload(admin, data)
    visit_naming(admin, own_recipient["id"], sha(data))
    assert other_staff.get(f"/api/attachments/{sha(data)}").status_code == 404
    qingshan = {c["data"]["area_id"] for (t, _), c in other_staff.pull_all()[0].items() if t == "recipient"}
    changes, _ = admin.pull_all()
    admin.push(mutation("recipient.update", {"id": own_recipient["id"], "area_id": min(qingshan)},
                        base_version=changes[("recipient", own_recipient["id"])]["version"]))
    assert other_staff.get(f"/api/attachments/{sha(data)}").status_code == 200
    assert staff.get(f"/api/attachments/{sha(data)}").status_code == 404


def test_unknown_attachment_answers_404(staff):
    response = staff.get(f"/api/attachments/{'0' * 64}")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_download_without_login_answers_401(client, staff):
    data = png(b"anon")
    upload(staff, data)
    response = client.get(f"/api/attachments/{sha(data)}")
    assert response.status_code == 401
    assert data not in response.data


def test_attachment_count_unchanged_by_rejected_uploads(staff):
    before = db.session.execute(select(func.count()).select_from(Attachment)).scalar_one()
    db.session.rollback()
    upload(staff, b"not an image")
    upload(staff, png(b"x"), digest="f" * 64)
    after = db.session.execute(select(func.count()).select_from(Attachment)).scalar_one()
    db.session.rollback()
    assert after == before


def test_an_upload_that_loses_a_race_for_the_same_bytes_answers_200_and_may_name_them(
        app, monkeypatch, staff, reviewer):
    """Another user's upload of the same bytes commits while this one writes its file: the primary key refuses
    the second row, the answer is 200 (already there), and this uploader is noted (it may name the photo)."""
    from server.models import AttachmentUploader
    from server.services.attachments import FileStore

    data = png(b"raced")
    digest = sha(data)
    real_put = FileStore.put

    def put_while_another_commits(self, sha256, payload):
        real_put(self, sha256, payload)
        with db.engine.begin() as connection:  # the other request, on its own connection
            connection.execute(Attachment.__table__.insert().values(
                sha256=sha256, content_type="image/png", size=len(payload), uploader_id=reviewer.user["id"]))
            connection.execute(AttachmentUploader.__table__.insert().values(
                sha256=sha256, user_id=reviewer.user["id"]))

    monkeypatch.setattr(FileStore, "put", put_while_another_commits)
    assert upload(staff, data).status_code == 200
    assert attachment_row(digest).uploader_id == reviewer.user["id"]
    try:
        uploaders = set(db.session.execute(select(AttachmentUploader.user_id)
                                           .where(AttachmentUploader.sha256 == digest)).scalars())
    finally:
        db.session.rollback()
    assert uploaders == {reviewer.user["id"], staff.user["id"]}


def test_an_upload_on_postgresql_is_one_transaction_of_two_statements(app, staff):
    """Every round trip counts for a reconnect storm's 40,000 uploads: one transaction (ending the auth guard's
    and beginning another cost three: ROLLBACK, the pool's check-out, BEGIN) and two statements, the session
    check and one that stores the row, its uploader and the audit row (five before). On SQLite the read ends
    before the file is written (the write lock), by design."""
    from sqlalchemy import event

    from tests.conftest import is_postgres

    if not is_postgres():
        pytest.skip("SQLite ends the read before the file is written (its one write lock)")
    begins, statements = [], []
    with app.app_context():
        engine = db.engine
    on_begin = lambda _connection: begins.append(1)  # noqa: E731
    on_execute = lambda _conn, _cursor, statement, *_rest: statements.append(statement)  # noqa: E731
    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        response = upload(staff, png(b"one transaction"))
        again = upload(staff, png(b"one transaction"))
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_execute)
    assert (response.status_code, again.status_code) == (201, 200), (response.json, again.json)
    assert attachment_row(sha(png(b"one transaction"))) is not None
    assert len(begins) == 2 and len(statements) == 4, statements
    audits = db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "attachment.upload", AuditLog.entity_id == sha(png(b"one transaction")))).scalar_one()
    db.session.rollback()
    assert audits == 1  # the second upload stored nothing new
