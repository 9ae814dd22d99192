"""GB 11643 resident ID numbers: the check digit, what makes one invalid, and the mask phones see."""

from datetime import date, timedelta

import pytest

from server.schemas.common import id_number_check_digit, id_number_errors, is_masked, mask_id_number

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
