"""Chinese labels of the domain's codes (categories, kinds, statuses) for exports, imports and messages."""

import unicodedata

from ..models.difficulties import CATEGORIES as DIFFICULTY_CATEGORY_CODES
from ..models.difficulties import STATUSES as DIFFICULTY_STATUS_CODES
from ..models.difficulties import URGENCIES
from ..models.recipients import CATEGORIES as RECIPIENT_CATEGORY_CODES
from ..models.recipients import GENDERS
from ..models.visits import KINDS
from ..models.visits import STATUSES as VISIT_STATUS_CODES

RECIPIENT_CATEGORIES = {
    "martyr_family": "烈士遗属",
    "duty_death_family": "因公牺牲军人遗属",
    "illness_death_family": "病故军人遗属",
    "disabled_veteran": "残疾军人",
    "demobilized": "在乡复员军人",
    "sick_returned": "带病回乡退伍军人",
    "war_or_test_veteran": "参战参试退役军人",
    "active_family": "现役军人家属",
    "retired_cadre": "军队离退休干部",
    "veteran": "其他退役军人",
    "other": "其他",
}
GENDER_LABELS = {"male": "男", "female": "女"}
VISIT_KINDS = {
    "festival": "节日慰问",
    "routine": "日常走访",
    "hardship": "困难帮扶",
    "birthday": "生日慰问",
    "hospital": "住院探望",
    "other": "其他",
}
VISIT_STATUSES = {"submitted": "待审核", "returned": "已退回", "approved": "已通过"}
DIFFICULTY_CATEGORIES = {
    "living": "生活",
    "housing": "住房",
    "medical": "医疗",
    "employment": "就业",
    "education": "子女教育",
    "legal": "法律援助",
    "psychological": "心理",
    "other": "其他",
}
DIFFICULTY_STATUSES = {"open": "待处理", "in_progress": "处理中", "resolved": "已解决"}
URGENCY_LABELS = {"normal": "一般", "urgent": "紧急"}
AREA_LEVELS = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)",
               "village": "村(社区)"}

# Each map covers exactly the codes its model allows (tests/unit/test_labels.py checks it).
COVERAGE = (
    (RECIPIENT_CATEGORIES, RECIPIENT_CATEGORY_CODES),
    (GENDER_LABELS, GENDERS),
    (VISIT_KINDS, KINDS),
    (VISIT_STATUSES, VISIT_STATUS_CODES),
    (DIFFICULTY_CATEGORIES, DIFFICULTY_CATEGORY_CODES),
    (DIFFICULTY_STATUSES, DIFFICULTY_STATUS_CODES),
    (URGENCY_LABELS, URGENCIES),
)


def label(labels: dict[str, str], code: str | None, default: str = "") -> str:
    """The label of a code; an unknown code shows as itself (never hide data in a report)."""
    if code is None:
        return default
    return labels.get(code, code)


def normalise(value: str) -> str:
    """Fold full-width characters and case so '（男）', 'Male ' and 'MALE' compare equal."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def code_for(labels: dict[str, str], value: str, aliases: dict[str, str] | None = None) -> str | None:
    """The code written as a code or as its Chinese label (or an alias); None when nothing matches."""
    wanted = normalise(value)
    if not wanted:
        return None
    for code, text in labels.items():
        if wanted in (code, normalise(text)):
            return code
    if aliases:
        return aliases.get(wanted)
    return None


# Spellings seen in county rosters beyond the label and the code.
GENDER_ALIASES = {"m": "male", "f": "female", "男性": "male", "女性": "female"}
RECIPIENT_CATEGORY_ALIASES = {
    "烈属": "martyr_family",
    "烈士家属": "martyr_family",
    "因公牺牲军人家属": "duty_death_family",
    "病故军人家属": "illness_death_family",
    "伤残军人": "disabled_veteran",
    "复员军人": "demobilized",
    "带病回乡": "sick_returned",
    "参战参试人员": "war_or_test_veteran",
    "军属": "active_family",
    "现役军人家庭": "active_family",
    "退役军人": "veteran",
}


def recipient_category_code(value: str) -> str | None:
    return code_for(RECIPIENT_CATEGORIES, value, RECIPIENT_CATEGORY_ALIASES)


def gender_code(value: str) -> str | None:
    return code_for(GENDER_LABELS, value, GENDER_ALIASES)
