"""The roster import called directly: a dry run is the planner's answer, the same as the import's."""

import pytest
from sqlalchemy import select

from server.domain.recipients import id_number_check_digit
from server.extensions import db
from server.models import ChangeLog, Recipient
from server.services import imports
from server.services.errors import InvalidFile, UnsupportedFileType
from tests.services.conftest import count

HEADER = "姓名,性别,身份证号,联系电话,类别,所在村(社区),家庭住址,备注"


def id_number(n: int) -> str:
    first17 = f"11010519600101{n:03d}"
    return first17 + id_number_check_digit(first17)


def roster(*lines: str) -> bytes:
    return "\n".join([HEADER, *lines]).encode()


def rows(reviewer_actor, content: bytes, dry_run: bool) -> dict:
    return imports.import_recipients(reviewer_actor, "roster.csv", content, dry_run=dry_run)


def test_a_dry_run_answers_exactly_what_the_import_then_does(reviewer_actor):
    content = roster(
        f"张三,男,{id_number(1)},13900000001,烈士遗属,东关村,东关村1号,",
        f"李四,女,{id_number(2)},,残疾军人,不存在村,,",
        f"王五,,{id_number(3)},,不知道,东关村,,",
        f"{'长' * 51},,{id_number(4)},,veteran,东关村,,",
        f"赵六,,{id_number(5)},,veteran,南门村,,",
    )
    recipients, logged = count(Recipient), count(ChangeLog)
    dry = rows(reviewer_actor, content, dry_run=True)
    assert (count(Recipient), count(ChangeLog)) == (recipients, logged)
    answers = {r["row"]: set(r.get("errors", {})) for r in dry["rows"]}
    assert answers == {2: set(), 3: {"area_id"}, 4: {"category"}, 5: {"name"}, 6: set()}

    real = rows(reviewer_actor, content, dry_run=False)
    assert real["rows"] == dry["rows"]
    assert (real["valid"], real["created"]) == (dry["valid"], dry["created"]) == (2, 2)
    assert count(Recipient) == recipients + 2
    zhang = db.session.execute(select(Recipient).where(Recipient.id_number == id_number(1))).scalar_one()
    assert (zhang.gender, zhang.category) == ("male", "martyr_family")
    assert rows(reviewer_actor, content, dry_run=True)["unchanged"] == 2


def test_a_dry_run_plans_later_batches_on_top_of_earlier_ones(reviewer_actor, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    content = roster(f"甲,,{id_number(7)},,veteran,东关村,,", f"乙,,{id_number(8)},,veteran,东关村,,")
    dry = rows(reviewer_actor, content, dry_run=True)
    assert [r["action"] for r in dry["rows"]] == ["created", "created"]
    assert rows(reviewer_actor, content, dry_run=False)["rows"] == dry["rows"]


def test_unreadable_files_are_refused_with_their_codes(reviewer_actor):
    with pytest.raises(UnsupportedFileType):
        imports.import_recipients(reviewer_actor, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", True)
    with pytest.raises(InvalidFile) as caught:
        imports.import_recipients(reviewer_actor, "roster.csv", "名字,号码\n张三,1\n".encode(), True)
    assert caught.value.fields == {"columns": ["姓名", "身份证号", "类别", "所在村(社区)"]}
