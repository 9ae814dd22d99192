"""Evidence files and evidence records: what /api/attachments accepts for evidence (type by magic bytes and
structure, size limits, bad files), and `evidence.create` through the sync push (idempotent, attachments
first, validated, scoped) and the PC's POST."""

import pytest

from server.extensions import db
from server.models import Attachment
from tests.api.creation_support import attach, items_by_number, ole, ooxml, pdf, png, sha, unit_id, upload
from tests.conftest import mutation, new_id

MB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def liaison(login):
    return login("liaison_demo")


@pytest.fixture
def item(liaison) -> dict:
    return items_by_number(liaison)["8.1"]  # 县人武部 leads


def stored_type(digest: str) -> str | None:
    try:
        row = db.session.get(Attachment, digest)
        return row.content_type if row else None
    finally:
        db.session.rollback()


# -- files -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, kind", [
    (pdf(b"plan"), "application/pdf"),
    (ooxml("word/document.xml"), DOCX),
    (ooxml("xl/workbook.xml"), XLSX),
    (ooxml("ppt/presentation.xml"), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    (ole("WordDocument"), "application/msword"),
    (ole("Workbook"), "application/vnd.ms-excel"),
    (png(b"photo"), "image/png"),
])
def test_a_liaison_uploads_pdf_office_files_and_images_typed_by_their_bytes(liaison, data, kind):
    response = upload(liaison, data, content_type="text/plain")  # the client's type is never trusted
    assert response.status_code == 201, response.json
    assert stored_type(sha(data)) == kind


@pytest.mark.parametrize("data, code", [
    (b"%PDF-1.4 truncated without its end", "unsupported_media_type"),
    (b"MZ\x90\x00" + b"\x00" * 200, "unsupported_media_type"),  # a Windows program
    (ooxml("content.xml"), "unsupported_media_type"),  # a zip, but no Office document
    (b"PK\x03\x04 not really a zip", "unsupported_media_type"),
    (ole("Something Else"), "unsupported_media_type"),
    (ooxml("word/document.xml", {"word/vbaProject.bin": "macro"}), "unsupported_file_type"),
    (ole("WordDocument", "_VBA_PROJECT".encode("utf-16-le")), "unsupported_file_type"),
])
def test_bad_and_dangerous_files_answer_415_and_store_nothing(liaison, data, code):
    response = upload(liaison, data)
    assert response.status_code == 415 and response.json["error"]["code"] == code
    assert stored_type(sha(data)) is None


def test_field_staff_still_upload_images_only(staff):
    response = upload(staff, pdf(b"staff"))
    assert response.status_code == 415 and response.json["error"]["code"] == "unsupported_media_type"
    assert upload(staff, png(b"staff-photo")).status_code == 201


def test_documents_may_be_20_mb_and_images_5(liaison, staff):
    big_pdf = pdf(b"x" * (6 * MB))
    assert upload(liaison, big_pdf).status_code == 201
    big_png = png(b"x" * (6 * MB))
    response = upload(liaison, big_png)
    assert response.status_code == 413 and stored_type(sha(big_png)) is None
    too_big = pdf(b"x" * (20 * MB))
    response = upload(liaison, too_big)
    assert response.status_code == 413 and response.json["error"]["code"] == "payload_too_large"
    assert upload(staff, big_pdf).status_code == 413  # above the 5 MB a field phone may send


def test_a_document_downloads_as_a_file_not_a_page(liaison, item):
    data = ooxml("word/document.xml")
    attach(liaison, item["id"], data, title="方案", content_type=DOCX)
    response = liaison.get(f"/api/attachments/{sha(data)}")
    assert response.status_code == 200 and response.mimetype == DOCX
    assert response.headers["Content-Disposition"] == f'attachment; filename="{sha(data)[:16]}.docx"'
    assert response.data == data


def test_evidence_names_a_file_the_server_has(liaison, item):
    response = liaison.post(f"/api/creation/items/{item['id']}/evidence", json={"sha256": "b" * 64, "title": "x"})
    assert response.status_code == 422 and response.json["error"]["code"] == "missing_attachment"


def test_evidence_from_the_pc_validates_its_fields(liaison, item):
    data = png(b"fields")
    upload(liaison, data)
    url = f"/api/creation/items/{item['id']}/evidence"
    for body, field, code in (({"sha256": sha(data), "title": ""}, "title", "too_short"),
                              ({"sha256": sha(data), "title": "   "}, "title", "too_short"),
                              ({"sha256": sha(data), "title": "长" * 201}, "title", "too_long"),
                              ({"sha256": "nope", "title": "x"}, "sha256", "invalid_format"),
                              ({"sha256": sha(data), "title": "x", "colour": "red"}, "colour", "unknown_field")):
        response = liaison.post(url, json=body)
        assert response.status_code == 422, body
        assert response.json["error"]["field_codes"][field] == [code], body
    other_unit = liaison.post(url, json={"sha256": sha(data), "title": "x", "unit_id": unit_id("县教育局")})
    assert other_unit.status_code == 422 and other_unit.json["error"]["field_codes"] == {"unit_id": ["cannot_change"]}


# -- evidence.create through the sync push ---------------------------------------------------------------


def evidence(item_id: str, sha256: str, **fields) -> dict:
    return {"id": new_id(), "item_id": item_id, "sha256": sha256, "title": "示范点位巡查照片", "note": None,
            "location": {"lat": 30.25, "lng": 120.16, "accuracy_m": 8}, "taken_at": "2026-11-28T02:00:00.000Z",
            **fields}


def test_evidence_from_the_phone_is_applied_once_and_pulled_back(liaison, reviewer, item):
    data = png(b"inspection")
    upload(liaison, data)
    created = mutation("evidence.create", evidence(item["id"], sha(data)))
    [first] = liaison.push(created)
    assert first["status"] == "applied", first
    entity = first["entity"]
    assert entity["type"] == "evidence" and entity["version"] == 1
    assert (entity["data"]["status"], entity["data"]["unit_id"]) == ("submitted", unit_id("县人武部"))
    assert entity["data"]["location"] == {"lat": 30.25, "lng": 120.16, "accuracy_m": 8}
    [again] = liaison.push(created)
    assert again == {**first, "status": "duplicate"}
    changes, _ = liaison.pull_all()
    assert changes[("evidence", entity["id"])]["data"] == entity["data"]
    listed = reviewer.get(f"/api/creation/evidence?item_id={item['id']}").json["items"]
    assert [e["id"] for e in listed].count(entity["id"]) == 1
    assert next(e for e in listed if e["id"] == entity["id"])["taken_at"] == "2026-11-28T02:00:00.000Z"


def test_a_reused_mutation_id_a_taken_record_id_and_a_second_tab_are_told_apart(liaison, item):
    data = png(b"tabs")
    upload(liaison, data)
    record = evidence(item["id"], sha(data))
    created = mutation("evidence.create", record)
    [first] = liaison.push(created)
    [reused] = liaison.push({**created, "data": {**record, "title": "改了"}})
    assert (reused["status"], reused["error"]["code"]) == ("rejected", "mutation_id_reused")
    [same_record] = liaison.push(mutation("evidence.create", record))  # another mutation, the same evidence id
    assert same_record["status"] == "conflict" and same_record["entity"] == first["entity"]
    twice = mutation("evidence.create", evidence(item["id"], sha(data)))
    results = liaison.push(twice, twice)
    assert [r["status"] for r in results] == ["applied", "duplicate"]


def test_evidence_naming_a_file_not_yet_uploaded_is_rejected_until_it_is(liaison, item):
    data = png(b"later")
    created = mutation("evidence.create", evidence(item["id"], sha(data)))
    [missing] = liaison.push(created)
    assert (missing["status"], missing["error"]["code"]) == ("rejected", "missing_attachment")
    assert missing["error"]["fields"] == {"attachments": [sha(data)]}
    upload(liaison, data)
    [applied] = liaison.push(created)  # only an applied mutation records its id: the same one goes through
    assert applied["status"] == "applied"


@pytest.mark.parametrize("fields, field, code", [
    ({"title": ""}, "title", "too_short"),
    ({"taken_at": "2099-01-01T00:00:00Z"}, "taken_at", "in_future"),
    ({"location": {"lat": 91, "lng": 120}}, "location", None),
    ({"sha256": "ZZ"}, "sha256", "invalid_format"),
    ({"item_id": "not-a-uuid"}, "item_id", "invalid_format"),
    ({"status": "accepted"}, None, None),  # a server field echoed back is dropped, not an error
])
def test_evidence_fields_are_checked_by_the_records_schema(liaison, item, fields, field, code):
    data = png(b"checked")
    upload(liaison, data)
    [result] = liaison.push(mutation("evidence.create", {**evidence(item["id"], sha(data)), **fields}))
    if field is None:
        assert result["status"] == "applied" and result["entity"]["data"]["status"] == "submitted"
        return
    assert result["status"] == "rejected" and result["error"]["code"] == "validation_error"
    assert field in result["error"]["fields"]
    if code:
        assert result["error"]["field_codes"][field] == [code]


def test_evidence_for_an_item_of_another_unit_is_rejected_as_not_found(liaison, reviewer):
    hidden = items_by_number(reviewer)["3.6"]  # 县民政局's
    data = png(b"hidden")
    upload(liaison, data)
    [result] = liaison.push(mutation("evidence.create", evidence(hidden["id"], sha(data))))
    assert (result["status"], result["error"]["code"]) == ("rejected", "not_found")
    assert result["error"]["fields"] == {"item_id": ["not found"]}
