"""Attachments stay in their township (issue 12, finding 9): naming another township's photo hash in one's
own visit grants nothing, and `missing_attachment` does not tell whether a hash exists."""

import json

from sqlalchemy import select

from server.extensions import db
from server.models import VisitAttachment
from tests.api.test_attachments import OTHER_PASSWORD, png, sha, upload, visit_naming
from tests.conftest import mutation, visit_data


def other_staff_of_qingshan(login):
    from server.models import Area
    from server.services import users as user_service

    township = db.session.execute(select(Area).where(Area.name == "青山乡")).scalar_one()
    user_service.create_user("staff_qingshan", "青山乡干事", OTHER_PASSWORD, "staff", township.id)
    return login("staff_qingshan", OTHER_PASSWORD)


def own_recipient_of(client) -> dict:
    changes, _ = client.pull_all()
    return next(c["data"] for c in changes.values() if c["type"] == "recipient")


def masked(error: dict, digest: str) -> dict:
    """An error with the hash it names replaced: what tells one missing hash from another."""
    return json.loads(json.dumps(error).replace(digest, "<sha>"))


def test_naming_another_townships_photo_is_answered_as_a_missing_one_and_grants_no_download(
        app, login, staff, own_recipient):
    intruder = other_staff_of_qingshan(login)
    private = png(b"chengguan private photo")
    upload(staff, private)
    visit_naming(staff, own_recipient["id"], sha(private))
    nobody = sha(png(b"never uploaded"))
    theirs = own_recipient_of(intruder)

    stolen, unknown = intruder.push(mutation("visit.create", visit_data(theirs["id"], photos=[sha(private)])),
                                    mutation("visit.create", visit_data(theirs["id"], photos=[nobody])))
    assert stolen["status"] == unknown["status"] == "rejected"
    assert masked(stolen["error"], sha(private)) == masked(unknown["error"], nobody)
    assert stolen["error"]["code"] == "missing_attachment"
    assert intruder.get(f"/api/attachments/{sha(private)}").status_code == 404
    linked = db.session.execute(select(VisitAttachment.visit_id).where(
        VisitAttachment.sha256 == sha(private))).scalars().all()
    assert len(linked) == 1  # only staff_demo's own visit


def test_a_signature_hash_of_another_township_is_refused_too(login, staff, own_recipient):
    intruder = other_staff_of_qingshan(login)
    signature = png(b"signature of a chengguan recipient")
    upload(staff, signature)
    visit_naming(staff, own_recipient["id"], sha(signature))
    theirs = own_recipient_of(intruder)
    [result] = intruder.push(mutation("visit.create", visit_data(theirs["id"], cash_cents=100,
                                                                 signature=sha(signature))))
    assert result["error"]["code"] == "missing_attachment"


def test_an_uploaded_but_unattached_photo_of_a_colleague_cannot_be_named(login, staff):
    intruder = other_staff_of_qingshan(login)
    draft = png(b"uploaded, visit not yet synced")
    upload(staff, draft)
    [result] = intruder.push(mutation("visit.create", visit_data(own_recipient_of(intruder)["id"],
                                                                 photos=[sha(draft)])))
    assert result["error"]["code"] == "missing_attachment"


def test_sending_the_bytes_oneself_lets_one_name_them(login, staff, own_recipient):
    """Who has the photo may upload it (200: already there) and name it: possession, not the hash, counts."""
    other = other_staff_of_qingshan(login)
    photo = png(b"the same photo on two phones")
    upload(staff, photo)
    assert upload(other, photo).status_code == 200
    visit_naming(other, own_recipient_of(other)["id"], sha(photo))
    assert other.get(f"/api/attachments/{sha(photo)}").status_code == 200


def test_a_visit_in_scope_keeps_and_reuses_its_photos(staff, reviewer, admin, own_recipient):
    photo = png(b"kept on edit")
    upload(staff, photo)
    visit = visit_naming(staff, own_recipient["id"], sha(photo))
    [edited] = staff.push(mutation("visit.update", {"id": visit["id"], "notes": "补充", "photos": [sha(photo)]},
                                   base_version=visit["version"]))
    assert edited["status"] == "applied"
    # The office over the township may name a photo attached to a visit it can see (it may read it too).
    visit_naming(reviewer, own_recipient["id"], sha(photo))
    assert reviewer.get(f"/api/attachments/{sha(photo)}").status_code == 200
