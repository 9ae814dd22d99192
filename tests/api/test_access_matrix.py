"""Every /api rule of the url map × anonymous, staff of another township, staff, reviewer, admin and liaison.

The routes come from app.url_map, so a new endpoint is covered the day it lands: anonymous callers get 401
(public views aside), a role the view does not allow gets 403, an object outside the caller's scope answers
404 while the same request on an object in scope does not, nothing answers 5xx, and no response carries a
marker of a record outside the caller's scope (nor a full ID number, which phones never receive). A liaison
(creation campaign) has no area scope: no region's marker may reach them anywhere, their pull included.
"""

import hashlib
import io
import uuid
import zipfile
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from server.extensions import db
from server.models import Area, Job, Notification, User
from server.models.base import utcnow
from server.schemas.common import id_number_check_digit
from server.services import auth as auth_service
from server.services import users as user_service
from server.services.areas import create_area
from server.services.campaigns import create_campaign
from tests.conftest import PNG_1PX, difficulty_data, mutation, visit_data

PASSWORD = "Matrix@2026"
# Which kind of object a path argument names; a new argument name fails the matrix until added here.
ARGUMENT_KINDS = {
    "visit_id": "visit",
    "difficulty_id": "difficulty",
    "recipient_id": "recipient",
    "user_id": "user",
    "notification_id": "notification",
    "sha256": "attachment",
    "campaign_id": "campaign",
    "item_id": "creation_item",
    "evidence_id": "evidence",
    "rectification_id": "rectification",
    "unit_id": "unit",
    "job_id": "job",
    "version": "standard_version",
}
# An evidence file (uploaded by the world fixture) that the POST of evidence names.
EVIDENCE_FILE = PNG_1PX + b"matrix-evidence"
EVIDENCE_SHA = hashlib.sha256(EVIDENCE_FILE).hexdigest()
# A body that passes validation, so the scope check (not the validator) decides the answer.
BODIES = {
    "visits.review_visit": {"decision": "return", "comment": "请补充照片"},
    "difficulties.patch_difficulty": {"status": "in_progress"},
    "users.update_user": {"display_name": "改名"},
    "users.reset_password": {"password": "Matrix-Reset#2026-long"},
    "creation.patch_item": {"status": "in_progress"},
    "creation.add_evidence": {"sha256": EVIDENCE_SHA, "title": "矩阵材料"},
    "creation.review_evidence": {"decision": "return", "comment": "请补充"},
    "creation.update_unit": {"position": 99},
    "creation.create_unit": {"name": "矩阵单位", "kind": "department"},
}
QUERIES = {
    "sync.pull": "?cursor=0",
    "reports.weekly": "?from=2026-01-01&to=2026-12-31",
    "reports.archive_zip": "?area=1",
}
# (endpoint, method) whose objects have no scope, and why.
SCOPE_FREE = {
    ("attachments.put_attachment", "PUT"): "uploads are content-addressed: only who has the bytes sends them",
}
# Endpoints that end the caller's own session: called once, after every other route.
SESSION_ENDING = {"auth.logout"}


def make_id_number(serial: int) -> str:
    first17 = f"99020119800101{serial:03d}"
    return first17 + id_number_check_digit(first17)


class Region:
    """Records in one area, each carrying a marker that must never reach a caller outside it."""

    def __init__(self, name: str):
        self.name = name
        self.marker = f"MARK-{uuid.uuid4().hex[:12]}"
        self.ids: dict[str, object] = {}
        self.id_number = ""


def build_region(admin, name: str, village_id: int, user_id: int, serial: int) -> Region:
    region = Region(name)
    photo = PNG_1PX + region.marker.encode()
    sha = hashlib.sha256(photo).hexdigest()
    assert admin.put(f"/api/attachments/{sha}", data=photo, content_type="image/png").status_code == 201
    region.id_number = make_id_number(serial)
    recipient = {"id": str(uuid.uuid4()), "name": f"对象{region.marker}", "gender": "male",
                 "id_number": region.id_number, "phone": "13800000000", "address": region.marker,
                 "area_id": village_id, "category": "veteran", "tags": [], "notes": region.marker}
    visit = visit_data(recipient["id"], notes=region.marker, photos=[sha])
    difficulty = difficulty_data(recipient["id"], visit_id=visit["id"], description=region.marker)
    results = admin.push(mutation("recipient.create", recipient), mutation("visit.create", visit),
                         mutation("difficulty.create", difficulty))
    assert [r["status"] for r in results] == ["applied"] * 3, results
    admin_user = db.session.execute(select(User).where(User.username == "admin_demo")).scalar_one()
    campaign = create_campaign(auth_service.actor_for(admin_user), f"活动{region.marker}", date(2026, 1, 1),
                               date(2026, 12, 31), ["veteran"], village_id)
    region.ids = {"recipient": recipient["id"], "visit": visit["id"], "difficulty": difficulty["id"],
                  "attachment": sha, "user": user_id, "campaign": campaign.id}
    return region


def area_id(name: str) -> int:
    return db.session.execute(select(Area.id).where(Area.name == name)).scalar_one()


def first_village(township_id: int) -> int:
    query = select(Area.id).where(Area.parent_id == township_id).order_by(Area.id)
    return db.session.execute(query).scalars().first()


def add_notification(user_id: int, marker: str) -> int:
    row = Notification(user_id=user_id, kind="test", title="提醒", body=marker, url=None, due_at=utcnow(),
                       dedupe_key=f"matrix:{user_id}:{marker}")
    db.session.add(row)
    db.session.commit()
    return row.id


@pytest.fixture
def world(app, admin, login):
    """城关镇 (staff_demo's), 青山乡 (staff_qingshan's), and a neighbouring county beyond reviewer_demo."""
    neighbour = create_area("990200", "邻县", "county")
    township = create_area("990201", "邻镇", "township", neighbour.id)
    village = create_area("990201001", "邻村", "village", township.id)
    qingshan = area_id("青山乡")
    users = {name: user_service.create_user(name, display, PASSWORD, "staff", area).id
             for name, display, area in (("staff_qingshan", "青山乡干事", qingshan),
                                         ("staff_linxian", "邻县干事", neighbour.id))}
    staff_demo = db.session.execute(select(User).where(User.username == "staff_demo")).scalar_one()
    regions = {
        "chengguan": build_region(admin, "chengguan", first_village(staff_demo.area_id), staff_demo.id, 1),
        "qingshan": build_region(admin, "qingshan", first_village(qingshan), users["staff_qingshan"], 2),
        "linxian": build_region(admin, "linxian", village.id, users["staff_linxian"], 3),
    }
    add_creation_objects(admin, regions)
    all_ids = {u: db.session.execute(select(User.id).where(User.username == u)).scalar_one()
               for u in ("staff_demo", "reviewer_demo", "admin_demo", "staff_qingshan", "liaison_demo")}
    notifications = {u: add_notification(i, regions["chengguan"].marker if u == "staff_demo" else f"n-{u}")
                     for u, i in all_ids.items()}
    jobs = {u: add_job(i) for u, i in all_ids.items()}
    db.session.remove()
    return {"regions": regions, "notifications": notifications, "jobs": jobs, "login": login}


def add_job(user_id: int) -> str:
    """A finished job of the user's, with a file to download (jobs are their owner's alone)."""
    row = Job(id=str(uuid.uuid4()), kind="weekly_xlsx", owner_id=user_id, params={}, status="done", progress=100,
              result_file=b"job result", result_name="result.bin", result_type="application/octet-stream",
              created_at=utcnow(), finished_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row.id


def add_creation_objects(admin, regions) -> None:
    """Creation objects (not area-scoped): in chengguan an item led by 县人武部 (liaison_demo's unit), in qingshan
    one of 县民政局 that 县人武部 has no part in, each with evidence and a 整改; nothing in linxian (the
    reviewer's outside: there is no creation object a reviewer cannot see but missing ones)."""
    assert admin.put(f"/api/attachments/{EVIDENCE_SHA}", data=EVIDENCE_FILE,
                     content_type="image/png").status_code == 201
    items = {i["number"]: i for i in admin.get("/api/creation/items").json["items"]}
    for region, number in (("chengguan", "8.1"), ("qingshan", "3.6")):
        item = items[number]
        evidence = admin.post(f"/api/creation/items/{item['id']}/evidence",
                              json={"sha256": EVIDENCE_SHA, "title": f"矩阵{region}"})
        rect = admin.post("/api/creation/rectifications", json={"item_id": item["id"], "description": "补短板",
                                                                "deadline": "2026-12-31"})
        assert evidence.status_code == 201 and rect.status_code == 201, (evidence.json, rect.json)
        regions[region].ids.update(creation_item=item["id"], evidence=evidence.json["id"],
                                   rectification=rect.json["id"], unit=item["lead_unit_id"],
                                   standard_version=admin.get("/api/creation/standard").json["version"])
    regions["linxian"].ids.update({k: MISSING[k] for k in ("creation_item", "evidence", "rectification", "unit",
                                                           "standard_version")})


# Who is asking: username, a region in scope, one outside it (None: nothing exists outside), all it may see.
ACTORS = {
    "other_township_staff": ("staff_qingshan", "qingshan", "chengguan", {"qingshan"}),
    "staff": ("staff_demo", "chengguan", "qingshan", {"chengguan"}),
    "reviewer": ("reviewer_demo", "chengguan", "linxian", {"chengguan", "qingshan"}),
    "admin": ("admin_demo", "chengguan", None, {"chengguan", "qingshan", "linxian"}),
    # A liaison of 县人武部: chengguan's creation objects are theirs, qingshan's are not; no region's records.
    "liaison": ("liaison_demo", "chengguan", "qingshan", set()),
}
NO_SUCH_UUID = "00000000-0000-4000-8000-000000000000"
MISSING = {"recipient": NO_SUCH_UUID, "visit": NO_SUCH_UUID, "difficulty": NO_SUCH_UUID,
           "campaign": NO_SUCH_UUID,
           "attachment": "f" * 64, "user": 999999, "notification": 999999,
           "creation_item": NO_SUCH_UUID, "evidence": NO_SUCH_UUID, "rectification": NO_SUCH_UUID, "unit": 999999,
           "job": NO_SUCH_UUID, "standard_version": 999999}


def api_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def object_for(world, username, region_name, kind, own: bool):
    if kind in ("notification", "job"):  # the caller's own, or another user's
        rows = world[f"{kind}s"]
        if own:
            return rows[username]
        return rows["staff_demo" if username != "staff_demo" else "staff_qingshan"]
    if region_name is None:
        return MISSING[kind]
    if kind == "attachment" and own and username == "liaison_demo":
        return EVIDENCE_SHA  # a liaison's file in scope: one their unit's evidence names
    return world["regions"][region_name].ids[kind]


def url_for_rule(app, rule, values) -> str:
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def workbook_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def body_text(response) -> str:
    """The response as text, workbooks, Word documents and archives included (their text is compressed)."""
    if response.mimetype.endswith("spreadsheetml.sheet"):
        return workbook_text(response.data)
    if response.mimetype.endswith("wordprocessingml.document"):
        document = Document(io.BytesIO(response.data))
        return "\n".join([p.text for p in document.paragraphs] + [cell.text for table in document.tables
                                                                   for row in table.rows for cell in row.cells])
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    if response.mimetype == "application/zip":
        archive = zipfile.ZipFile(io.BytesIO(response.data))
        return "\n".join(archive.namelist() + [workbook_text(archive.read(n)) for n in archive.namelist()
                                               if n.endswith(".xlsx")]
                         + [pdf_text(archive.read(n)) for n in archive.namelist() if n.endswith(".pdf")])
    return response.get_data(as_text=True) if not response.mimetype.startswith("image/") else ""


def call(client, method, url, endpoint, headers):
    kwargs = {"headers": headers}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        kwargs["json"] = BODIES.get(endpoint, {})
    return client.open(url + QUERIES.get(endpoint, ""), method=method, **kwargs)


def test_every_path_argument_has_a_kind(app):
    unknown = {(rule.rule, arg) for rule, _ in api_routes(app) for arg in rule.arguments
               if arg not in ARGUMENT_KINDS}
    assert not unknown, f"add these path arguments to ARGUMENT_KINDS: {unknown}"


def test_anonymous_callers_get_401_from_every_non_public_endpoint(app, world):
    client = app.test_client()
    for rule, method in api_routes(app):
        view = app.view_functions[rule.endpoint]
        values = {a: MISSING[ARGUMENT_KINDS[a]] for a in rule.arguments}
        response = call(client, method, url_for_rule(app, rule, values), rule.endpoint, {})
        assert response.status_code < 500, (method, rule.rule)
        if getattr(view, "zf_public", False):
            assert response.status_code != 401, (method, rule.rule)
        else:
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            assert response.json["error"]["code"] == "unauthorized"
        for region in world["regions"].values():
            assert region.marker not in body_text(response)
        response.close()


@pytest.mark.parametrize("actor", list(ACTORS))
def test_each_role_gets_403_404_or_its_data_and_never_data_outside_its_scope(app, world, actor):
    username, inside, outside, visible = ACTORS[actor]
    client = world["login"](username, PASSWORD if username == "staff_qingshan" else "Demo@2026")
    headers = {"X-CSRF-Token": client.csrf}
    role = client.user["role"]
    forbidden_markers = [r.marker for name, r in world["regions"].items() if name not in visible]
    routes = sorted(api_routes(app), key=lambda route: route[0].endpoint in SESSION_ENDING)
    for rule, method in routes:
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "zf_roles", None)
        kinds = {a: ARGUMENT_KINDS[a] for a in rule.arguments}
        answers = {}
        for own in ((True,) if rule.endpoint in SESSION_ENDING else (False, True)):
            values = {a: object_for(world, username, inside if own else outside, kind, own)
                      for a, kind in kinds.items()}
            response = call(client.client, method, url_for_rule(app, rule, values), rule.endpoint, headers)
            answers[own] = response
            where = (actor, method, rule.rule, "in scope" if own else "out of scope")
            assert response.status_code < 500, where
            assert response.status_code != 401, where
            if response.mimetype == "application/json" and response.status_code >= 400:
                assert {"code", "message"} <= set(response.json["error"]), where
            text = body_text(response)
            for marker in forbidden_markers:
                assert marker not in text, (where, "leaks", marker)
            if role not in ("reviewer", "admin") or method != "GET":  # the audited reveal
                for region in world["regions"].values():
                    assert region.id_number not in text, (where, "full ID number")
            response.close()  # streamed files (workbooks) are closed by the WSGI server in production
        if allowed is not None and role not in allowed:
            assert all(a.status_code == 403 for a in answers.values()), (actor, rule.rule)
            continue
        if kinds and (rule.endpoint, method) not in SCOPE_FREE:
            assert answers[False].status_code == 404, (actor, method, rule.rule, answers[False].status_code)
            assert answers[True].status_code != 404, (actor, method, rule.rule, answers[True].get_data())


def test_staff_pull_and_inbox_hold_nothing_of_another_township(world):
    client = world["login"]("staff_qingshan", PASSWORD)
    chengguan = world["regions"]["chengguan"]
    changes, _ = client.pull_all()
    assert all(chengguan.marker not in str(c) for c in changes.values())
    assert ("visit", chengguan.ids["visit"]) not in changes
    assert ("visit", world["regions"]["qingshan"].ids["visit"]) in changes
    inbox = client.get("/api/notifications").get_data(as_text=True)
    assert chengguan.marker not in inbox


def test_reviewer_pull_holds_the_county_but_not_the_neighbouring_one(world):
    client = world["login"]("reviewer_demo", "Demo@2026")
    changes, _ = client.pull_all()
    assert ("visit", world["regions"]["qingshan"].ids["visit"]) in changes
    assert ("visit", world["regions"]["chengguan"].ids["visit"]) in changes
    assert not any(world["regions"]["linxian"].marker in str(c) for c in changes.values())


def test_admin_pull_holds_every_region(world):
    changes, _ = world["login"]("admin_demo", "Demo@2026").pull_all()
    for region in world["regions"].values():
        assert ("visit", region.ids["visit"]) in changes


def test_out_of_scope_answers_look_like_missing_ones(world):
    client = world["login"]("staff_qingshan", PASSWORD)
    hidden = client.get(f"/api/attachments/{world['regions']['chengguan'].ids['attachment']}")
    missing = client.get(f"/api/attachments/{MISSING['attachment']}")
    assert (hidden.status_code, hidden.json) == (missing.status_code, missing.json)

