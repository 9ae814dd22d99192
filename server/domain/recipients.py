"""Recipient rules: the codes, field limits and ID number checks shared by sync, office, schemas and import."""

import difflib
import re
import unicodedata
from datetime import date

from ..services.errors import InvalidInput

GENDERS = ("male", "female")
CATEGORIES = (
    "martyr_family",
    "duty_death_family",
    "illness_death_family",
    "disabled_veteran",
    "demobilized",
    "sick_returned",
    "war_or_test_veteran",
    "active_family",
    "retired_cadre",
    "veteran",
    "other",
)
# Longest accepted value of each text field (the columns' sizes; the schemas and the import use these).
MAX_LENGTHS = {"name": 50, "id_number": 18, "phone": 32, "address": 255, "notes": 2000}
MAX_TAGS, MAX_TAG_LENGTH = 20, 32

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_number_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character of the first 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_number_errors(value: str, today: date | None = None) -> list[str]:
    """Why an 18-character resident ID number is invalid (empty list when valid)."""
    if len(value) != 18:
        return ["身份证号应为18位 / must be 18 characters"]
    # isascii: str.isdigit() also accepts full-width (IME) and other scripts' digits.
    if not value.isascii() or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return ["身份证号格式不正确 / must be 17 digits and a digit or X"]
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return ["出生日期无效 / invalid birth date"]
    if born.year < 1900 or born > (today or date.today()):
        return ["出生日期无效 / invalid birth date"]
    if id_number_check_digit(value[:17]) != value[17]:
        return ["校验位错误 / wrong check digit"]
    return []


def normalise_id_number(value: str) -> str:
    """As stored: trimmed, upper-case X."""
    return value.strip().upper()


def is_masked(value: str | None) -> bool:
    """A number as phones hold it (330102********1234): never a new value, never an error."""
    return bool(value) and "*" in value


def mask_id_number(value: str | None) -> str | None:
    """330102********1234: the region code and the last four stay, the birth date is hidden."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def gender_from_id_number(id_number: str) -> str:
    """GB 11643: the 17th digit is odd for men, even for women (of a valid number)."""
    return "male" if int(id_number[16]) % 2 else "female"


def length_errors(values: dict) -> dict[str, list[str]]:
    """The text fields longer than their limit."""
    return {name: [f"不能超过{limit}个字 / at most {limit} characters"]
            for name, limit in MAX_LENGTHS.items()
            if isinstance(values.get(name), str) and len(values[name]) > limit}



# Fields a recipient.update may not set to null.
NOT_NULL_ON_UPDATE = ("name", "category")


def check_patch(patch: dict) -> None:
    """A patch nulls no required field."""
    for key in NOT_NULL_ON_UPDATE:
        if key in patch and patch[key] is None:
            raise InvalidInput("Invalid record", {key: ["Field may not be null."]})


# -- data quality: what the roster import warns about (never refuses) ---------------------------------------

# A mobile number: 11 digits from 13x to 19x. A landline: an area code (0 + 2 or 3 digits) and a 7- or 8-digit
# number, with or without a hyphen, maybe an extension; a local number without its area code is not enough to
# call back from the county office.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?[2-9]\d{6,7}(?:(?:-|转|ext\.?)\d{1,6})?")
_PHONE_SPLIT = re.compile(r"[,，;；/、]+")
_PHONE_NOISE = re.compile(r"[()（）\s]")


def _one_phone(part: str) -> bool:
    part = re.sub(r"^(?:\+|00)86-?", "", _PHONE_NOISE.sub("", part))
    return bool(_MOBILE.fullmatch(part) or _LANDLINE.fullmatch(part))


def phone_ok(value: str) -> bool:
    """Every number in a phone cell (several may be listed: '13912345678，0571-87654321') is a mobile or a
    landline with its area code; a leading +86 / 0086 and spaces inside a number are allowed."""
    parts = [p for p in _PHONE_SPLIT.split(value.strip()) if p.strip()]
    return bool(parts) and all(_one_phone(p) or (len(p.split()) > 1 and all(_one_phone(q) for q in p.split()))
                               for p in parts)


def gender_mismatch(gender: str | None, id_number: str | None) -> bool:
    """A gender given that the (valid) ID number's 17th digit contradicts."""
    return bool(gender and id_number) and gender != gender_from_id_number(id_number)


def birth_date_key(id_number: str | None) -> str | None:
    """YYYYMMDD of an 18-character ID number (the same person under two numbers keeps the birth date)."""
    if id_number and len(id_number) == 18 and id_number[6:14].isdigit():
        return id_number[6:14]
    return None


_ADDRESS_NOISE = re.compile(r"[\s\-—_,，.。·、()（）#号室栋幢单元楼组]")


def normalise_address(value: str | None) -> str:
    return _ADDRESS_NOISE.sub("", unicodedata.normalize("NFKC", value or "")).lower()


def similar_address(a: str | None, b: str | None, ratio: float = 0.8) -> bool:
    """Two addresses that likely mean the same house: equal or one inside the other once spaces and
    punctuation are dropped, or at least `ratio` alike ('东关村3组12号' ~ '东关村三组12号')."""
    x, y = normalise_address(a), normalise_address(b)
    if not x or not y:
        return False
    if x == y or (min(len(x), len(y)) >= 4 and (x in y or y in x)):
        return True
    return difflib.SequenceMatcher(None, x, y).ratio() >= ratio
