"""The roster import's data quality: possible duplicates (name + birth date, name + village + similar address,
only within the caller's scope), phone and gender checks, ID numbers stored as numbers, the problems workbook."""

import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from server.domain.recipients import mask_id_number
from server.extensions import db
from server.models import Area, Recipient, User
from server.schemas.common import id_number_check_digit
from server.services import sync
from server.services.auth import actor_for
from tests.api.test_import import HEADER, IMPORT_URL, good_row, id_number, other_county, upload, xlsx
from tests.conftest import mutation, new_id

PROBLEMS_URL = "/api/recipients/import-problems.xlsx"


def registered() -> tuple[Recipient, Area]:
    """A demo recipient with an address, and its village (in reviewer_demo's scope)."""
    found = db.session.execute(select(Recipient, Area).join(Area, Area.id == Recipient.area_id)
                               .where(Recipient.address.is_not(None)).order_by(Recipient.id)).first()
    return found[0], found[1]


def same_birth_other_number(existing: str, serial: int = 777) -> str:
    first17 = f"{existing[:14]}{serial:03d}"
    return first17 + id_number_check_digit(first17)


def warnings_of(body: dict, row: int) -> list[dict]:
    return next(r for r in body["rows"] if r["row"] == row).get("warnings", [])


def test_same_name_and_birth_date_under_another_number_is_a_possible_duplicate(reviewer):
    person, village = registered()
    number = same_birth_other_number(person.id_number)
    gender = "男" if int(number[16]) % 2 else "女"
    row = good_row(1, 姓名=person.name, 身份证号=number, 性别=gender, 家庭住址="别处100号")
    body = upload(reviewer, xlsx([row]), dry_run=True).json
    assert body["rows"][0]["ok"] is True and body["warned"] == 1
    assert warnings_of(body, 2) == [{
        "code": "possible_duplicate", "recipient_id": person.id, "rule": "name_birth_date", "name": person.name,
        "id_number": mask_id_number(person.id_number), "village_name": village.name}]


def test_same_name_in_the_same_village_with_a_similar_address_is_a_possible_duplicate(reviewer):
    person, village = registered()
    number = id_number(4242, male=person.gender == "male")
    assert number[6:14] != person.id_number[6:14]
    row = good_row(1, 姓名=person.name, 身份证号=number, 性别={"male": "男", "female": "女"}[person.gender],
                   village=village.code, 家庭住址=f" {person.address} ")
    warnings = warnings_of(upload(reviewer, xlsx([row]), dry_run=True).json, 2)
    assert [(w["code"], w["recipient_id"], w["rule"]) for w in warnings] == [
        ("possible_duplicate", person.id, "name_village_address")]
    # Another address in the same village, or the same name elsewhere with another birth date: no warning.
    far = good_row(1, 姓名=person.name, 身份证号=number, 性别={"male": "男", "female": "女"}[person.gender],
                   village=village.code, 家庭住址="完全不同的地方九十九号院")
    assert warnings_of(upload(reviewer, xlsx([far]), dry_run=True).json, 2) == []


def test_two_rows_of_one_file_under_two_numbers_point_at_each_other(reviewer):
    first = id_number(5000)
    second = same_birth_other_number(first, 779)
    rows = [good_row(1, 姓名="王重名", 身份证号=first), good_row(2, 姓名="王重名", 身份证号=second)]
    body = upload(reviewer, xlsx(rows), dry_run=True).json
    assert [(w["code"], w.get("row")) for w in warnings_of(body, 2)] == [("possible_duplicate", 3)]
    assert [(w["code"], w.get("row")) for w in warnings_of(body, 3)] == [("possible_duplicate", 2)]


def test_possible_duplicates_are_looked_for_only_in_the_callers_scope(app, reviewer, admin):
    _, village = other_county()
    outsider = id_number(7000)
    admin_actor = actor_for(db.session.execute(select(User).where(User.username == "admin_demo")).scalar_one())
    result = sync.push(admin_actor, [mutation("recipient.create", {
        "id": new_id(), "name": "邻县同名", "gender": "male", "id_number": outsider, "phone": None,
        "address": "东关村1号", "area_id": village.id, "category": "veteran", "tags": [], "notes": None})])
    assert result["results"][0]["status"] == "applied"
    row = good_row(1, 姓名="邻县同名", 身份证号=same_birth_other_number(outsider))
    # The reviewer's county does not hold the namesake: nothing tells it exists.
    assert warnings_of(upload(reviewer, xlsx([row]), dry_run=True).json, 2) == []
    # The admin sees both counties (and two 东关村: the code tells which): the namesake is a possible duplicate.
    home = db.session.execute(select(Area.code).where(Area.name == "东关村", Area.id != village.id)).scalar_one()
    row = good_row(1, 姓名="邻县同名", 身份证号=same_birth_other_number(outsider), village=home)
    assert [w["rule"] for w in warnings_of(upload(admin, xlsx([row]), dry_run=True).json, 2)] == ["name_birth_date"]


def test_phone_numbers_and_gender_are_checked_as_warnings(reviewer):
    rows = [good_row(1, 联系电话="13912345678"), good_row(2, 联系电话="0571-87654321"),
            good_row(3, 联系电话="87654321"), good_row(4, 联系电话="1391234567"),
            good_row(5, 性别="女"), good_row(6, 联系电话="139 1234 5678，0571-87654321")]
    body = upload(reviewer, xlsx(rows), dry_run=True).json
    assert body["valid"] == 6 and body["invalid"] == 0  # warnings never stop a row
    codes = {r["row"]: [w["code"] for w in r.get("warnings", [])] for r in body["rows"]}
    assert codes == {2: [], 3: [], 4: ["phone_format"], 5: ["phone_format"], 6: ["gender_mismatch"], 7: []}
    assert warnings_of(body, 6) == [{"code": "gender_mismatch", "field": "gender", "id_number_gender": "male"}]


def numeric_id_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(good_row(1))
    row = good_row(2)
    row[HEADER.index("身份证号")] = 3.30106194503121e17  # what Excel keeps of a number typed in a General cell
    sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def assert_not_text(body: dict, row: int, shown: str) -> None:
    answer = next(r for r in body["rows"] if r["row"] == row)
    assert answer["ok"] is False and answer["error_codes"] == {"id_number": ["id_number_not_text"]}
    message = answer["errors"]["id_number"][0]
    assert shown in message and "文本" in message and "重新录入" in message and "format the column as text" in message


def test_an_id_number_stored_as_a_number_in_a_workbook_says_so_and_how_to_fix_it(reviewer):
    body = upload(reviewer, numeric_id_workbook(), dry_run=True).json
    assert body["valid"] == 1 and body["invalid"] == 1
    assert_not_text(body, 3, "3.30106194503121E+17")


def test_an_id_number_in_scientific_notation_in_a_csv_says_so(reviewer):
    second = [str(v or "") for v in good_row(2)]
    second[HEADER.index("身份证号")] = "3.30106194503121E+17"  # what Excel writes of a General cell
    lines = [",".join(HEADER), ",".join(str(v or "") for v in good_row(1)), ",".join(second)]
    body = upload(reviewer, "\n".join(lines).encode("utf-8-sig"), filename="roster.csv", dry_run=True).json
    assert_not_text(body, 3, "3.30106194503121E+17")


def test_rows_the_office_skips_after_the_warnings_are_not_imported(reviewer):
    rows = [good_row(1), good_row(2, 联系电话="12345"), good_row(3)]
    response = reviewer.post(f"{IMPORT_URL}?skip_rows=3", data={"file": (io.BytesIO(xlsx(rows)), "roster.xlsx")},
                             content_type="multipart/form-data")
    body = response.json
    assert response.status_code == 200 and body["created"] == 2 and body["skipped"] == 1
    assert next(r for r in body["rows"] if r["row"] == 3)["action"] == "skipped"
    numbers = set(db.session.execute(select(Recipient.id_number)).scalars())
    assert id_number(1) in numbers and id_number(3) in numbers and id_number(2) not in numbers


def test_the_problems_workbook_marks_bad_cells_with_a_fill_and_a_comment(reviewer):
    person, _ = registered()
    dup = same_birth_other_number(person.id_number)
    rows = [good_row(1), good_row(2, 类别="不存在的类别"), good_row(3, 联系电话="12345"),
            good_row(4, 姓名=person.name, 身份证号=dup, 性别="男" if int(dup[16]) % 2 else "女")]
    content = xlsx(rows)
    response = reviewer.post(PROBLEMS_URL, data={"file": (io.BytesIO(content), "roster.xlsx")},
                             content_type="multipart/form-data")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header == ["原行号", *HEADER]
    lines = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(lines) == {3, 4, 5}  # the clean row 2 is left out
    category = lines[3][header.index("类别")]
    assert category.value == "不存在的类别" and category.fill.fgColor.rgb.endswith("FFC7CE")
    assert "未知类别" in category.comment.text
    phone = lines[4][header.index("联系电话")]
    assert phone.fill.fgColor.rgb.endswith("FFEB9C") and "11位手机号" in phone.comment.text
    name = lines[5][header.index("姓名")]
    assert name.fill.fgColor.rgb.endswith("FFEB9C") and "同一人" in name.comment.text
    assert lines[5][header.index("身份证号")].value == dup and lines[5][header.index("身份证号")].comment is None
    # Unmarked cells stay plain; nothing was written.
    assert lines[3][header.index("姓名")].comment is None
    assert id_number(1) not in set(db.session.execute(select(Recipient.id_number)).scalars())


def test_the_problems_workbook_shows_a_numeric_id_cell_as_excel_did(reviewer):
    response = reviewer.post(PROBLEMS_URL, data={"file": (io.BytesIO(numeric_id_workbook()), "roster.xlsx")},
                             content_type="multipart/form-data")
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("身份证号") + 1)
    assert cell.value == "3.30106194503121E+17" and cell.number_format == "@"
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "文本" in cell.comment.text


def test_staff_may_not_download_the_problems_workbook(staff):
    response = staff.post(PROBLEMS_URL, data={"file": (io.BytesIO(xlsx([good_row(1)])), "roster.xlsx")},
                          content_type="multipart/form-data")
    assert response.status_code == 403
