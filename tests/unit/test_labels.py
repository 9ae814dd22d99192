import pytest

from server.services import labels


@pytest.mark.parametrize(("mapping", "codes"), labels.COVERAGE)
def test_every_code_has_exactly_one_label(mapping, codes):
    assert set(mapping) == set(codes)
    assert len(set(mapping.values())) == len(mapping)


def test_label_shows_unknown_codes_as_themselves():
    assert labels.label(labels.VISIT_KINDS, "festival") == "节日慰问"
    assert labels.label(labels.VISIT_KINDS, "new_kind") == "new_kind"
    assert labels.label(labels.VISIT_KINDS, None, "—") == "—"


@pytest.mark.parametrize(("value", "code"), [
    ("烈士遗属", "martyr_family"), ("martyr_family", "martyr_family"), (" MARTYR_FAMILY ", "martyr_family"),
    ("烈属", "martyr_family"), ("其他退役军人", "veteran"), ("其他", "other"), ("军属", "active_family"),
    ("烈士", None), ("", None),
])
def test_recipient_category_by_label_code_or_alias(value, code):
    assert labels.recipient_category_code(value) == code


@pytest.mark.parametrize(("value", "code"), [
    ("男", "male"), ("女", "female"), ("Female", "female"), ("MALE", "male"), ("M", "male"),
    ("女性", "female"),
    ("未知", None),
])
def test_gender_by_label_code_or_alias(value, code):
    assert labels.gender_code(value) == code
