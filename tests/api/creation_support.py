"""Helpers the creation campaign's API tests share: the demo table by item number, uploads, a second liaison."""

import hashlib
import io
import zipfile

from sqlalchemy import select

from server.extensions import db
from server.models import Area, Unit
from server.services import users as user_service
from tests.conftest import PNG_1PX

LIAISON_PASSWORD = "Liaison@2026"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def items_by_number(client) -> dict[str, dict]:
    response = client.get("/api/creation/items")
    assert response.status_code == 200, response.json
    return {i["number"]: i for i in response.json["items"]}


def unit_id(name: str) -> int:
    return db.session.execute(select(Unit.id).where(Unit.name == name)).scalar_one()


def county_id() -> int:
    return db.session.execute(select(Area.id).where(Area.level == "county")).scalar_one()


def make_liaison(username: str, unit_name: str) -> int:
    """A liaison of another unit (the demo has only liaison_demo, of 县人武部)."""
    user = user_service.create_user(username, "联络员", LIAISON_PASSWORD, "liaison", county_id(),
                                    unit_id=unit_id(unit_name))
    return user.id


def upload(client, data: bytes, content_type: str = "application/octet-stream"):
    return client.put(f"/api/attachments/{sha(data)}", data=data, content_type=content_type)


def png(tag: bytes) -> bytes:
    return PNG_1PX + tag


def pdf(tag: bytes = b"") -> bytes:
    return b"%PDF-1.4\n% " + tag + b"\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def ooxml(main_part: str, extra: dict | None = None) -> bytes:
    """A minimal Office Open XML package: [Content_Types].xml and its main part (and any extra parts)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
        for name, body in (extra or {}).items():
            archive.writestr(name, body)
    return buffer.getvalue()


def ole(stream: str, extra: bytes = b"") -> bytes:
    """The start of a legacy (OLE2) Office file whose directory names `stream`."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + (stream + "\0").encode("utf-16-le") + extra


def attach(client, item_id: str, data: bytes, title: str = "材料", content_type: str = "image/png", **fields):
    assert upload(client, data, content_type).status_code in (200, 201)
    response = client.post(f"/api/creation/items/{item_id}/evidence",
                           json={"sha256": sha(data), "title": title, **fields})
    assert response.status_code == 201, response.json
    return response.json
