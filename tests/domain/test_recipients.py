"""Recipient rules: GB 11643 ID numbers (check digit, validity, the mask phones see), lengths, patches."""

from datetime import date, timedelta

import pytest

from server.domain.recipients import (
    MAX_LENGTHS,
    check_patch,
    gender_from_id_number,
    id_number_check_digit,
    id_number_errors,
    is_masked,
    length_errors,
    mask_id_number,
    normalise_id_number,
)
from server.services.errors import InvalidInput

VALID = ["11010519491231002X"]  # the standard's own example


def test_check_digit_of_the_standards_examples():
    assert id_number_check_digit("11010519491231002") == "X"
    assert id_number_check_digit("44052418800101001") == "4"
    assert id_number_errors(VALID[0]) == []


@pytest.mark.parametrize("first17", ["00000000000000000", "99999999999999999", "12345678901234567"])
def test_check_digit_is_one_of_the_eleven_characters(first17):
    assert id_number_check_digit(first17) in "10X98765432"


def test_every_wrong_check_digit_is_refused():
    number = VALID[0]
    for wrong in "0123456789":
        assert id_number_errors(number[:17] + wrong) == ["校验位错误 / wrong check digit"]


@pytest.mark.parametrize("number", ["", "11010519491231002", "11010519491231002X1", "110105194912310"])
def test_wrong_length_is_refused(number):
    assert id_number_errors(number) == ["身份证号应为18位 / must be 18 characters"]


@pytest.mark.parametrize("number", ["11010519491231002x", "1101051949123100AX", "11010519491231002Y",
                                    "1101O519491231002X", "１１０１０５１９４９１２３１００２X",
                                    "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"])
def test_non_digits_lower_case_x_and_non_ascii_digits_are_refused(number):
    assert id_number_errors(number) == ["身份证号格式不正确 / must be 17 digits and a digit or X"]


def with_birth(born: str) -> str:
    first17 = f"110105{born}002"
    return first17 + id_number_check_digit(first17)


@pytest.mark.parametrize("born", ["19490230", "19491301", "19490000", "18991231"])
def test_impossible_or_too_old_birth_dates_are_refused(born):
    assert id_number_errors(with_birth(born)) == ["出生日期无效 / invalid birth date"]


def test_born_before_1900_is_refused_even_with_a_right_check_digit():
    assert id_number_errors("440524188001010014") == ["出生日期无效 / invalid birth date"]


def test_birth_date_in_the_future_is_refused_and_today_is_accepted():
    assert id_number_errors(with_birth((date.today() + timedelta(days=1)).strftime("%Y%m%d"))) == [
        "出生日期无效 / invalid birth date"]
    assert id_number_errors(with_birth(date.today().strftime("%Y%m%d"))) == []


def test_leap_day_is_a_valid_birth_date():
    assert id_number_errors(with_birth("20000229")) == []
    assert id_number_errors(with_birth("19000229")) == ["出生日期无效 / invalid birth date"]


def test_mask_hides_the_birth_date_and_keeps_region_and_last_four():
    assert mask_id_number("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize("value", [None, ""])
def test_mask_of_nothing_is_nothing(value):
    assert mask_id_number(value) == value


def test_masked_number_is_recognised_and_a_real_one_is_not():
    assert is_masked(mask_id_number(VALID[0]))
    assert not is_masked(VALID[0])
    assert not is_masked(None) and not is_masked("")


def test_a_given_today_decides_what_is_in_the_future():
    born_2030 = with_birth("20300101")
    assert id_number_errors(born_2030, today=date(2029, 12, 31)) == ["出生日期无效 / invalid birth date"]
    assert id_number_errors(born_2030, today=date(2030, 1, 1)) == []


def test_the_17th_digit_says_the_gender():
    assert gender_from_id_number("11010519491231002X") == "female"  # 2: even
    assert gender_from_id_number(with_birth("19491231")[:16] + "1" + "0") == "male"


def test_id_numbers_are_stored_trimmed_with_a_capital_x():
    assert normalise_id_number("  11010519491231002x ") == "11010519491231002X"


def test_lengths_at_the_limit_pass_and_one_more_fails():
    at_limit = {name: "字" * limit for name, limit in MAX_LENGTHS.items()}
    assert length_errors(at_limit) == {}
    over = {"name": "字" * (MAX_LENGTHS["name"] + 1), "address": "x" * (MAX_LENGTHS["address"] + 1), "notes": None}
    assert set(length_errors(over)) == {"name", "address"}
    assert length_errors(over)["name"] == ["不能超过50个字 / at most 50 characters"]


@pytest.mark.parametrize("key", ["name", "category"])
def test_a_patch_may_not_null_a_required_field(key):
    with pytest.raises(InvalidInput) as caught:
        check_patch({key: None})
    assert caught.value.code == "validation_error" and caught.value.fields == {key: ["Field may not be null."]}


def test_a_patch_may_null_an_optional_field_and_change_required_ones():
    check_patch({"phone": None, "notes": None, "name": "王五", "category": "veteran"})
