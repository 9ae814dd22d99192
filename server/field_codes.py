"""Field codes: every field message the API answers (`fields`), as a stable code the PWA translates.

`fields` keeps the messages as marshmallow and the rules word them (English, or "中文 / English") for API
users; `field_codes` is the same tree with each message replaced by its code, e.g. `{"notes": ["too_long"]}`,
`{"location": {"lat": ["out_of_range"]}}`, `{"tags": {"0": ["too_long"]}}`. The codes come from marshmallow's
own error messages (each field type's and validator's, read from the library, so its wording never drifts
from this table) and from the rules' messages listed below; anything else is `invalid`.
"""

import re
from collections.abc import Callable, Mapping

from marshmallow import Schema, fields, validate

INVALID = "invalid"

# A code, or a function of the offending value (None when unknown) and the message's numbers → a code.
Rule = str | Callable[[object, list[int]], str]


def _length_between(value, numbers: list[int]) -> str:
    """marshmallow says "Length must be between 1 and 50." either way: the value tells which."""
    if isinstance(value, str | list | dict) and numbers:
        return "too_short" if len(value) < numbers[0] else "too_long"
    return "invalid_length"


def _template(message: str) -> re.Pattern:
    """A marshmallow message template ("Longer than maximum length {max}.") as a pattern of its instances."""
    message = message.replace("{{", "{").replace("}}", "}")
    parts = re.split(r"\{[^{}]*\}", message)
    return re.compile("^" + "(.*?)".join(re.escape(p) for p in parts) + "$", re.DOTALL)


def _range(template: str) -> list[str]:
    """A Range message with each of its inclusive and exclusive wordings."""
    return [template.format(min_op=min_op, max_op=max_op)
            for min_op in (validate.Range.message_gte, validate.Range.message_gt)
            for max_op in (validate.Range.message_lte, validate.Range.message_lt)]


# marshmallow's messages: by field error key (any field type's) and by validator.
_FIELD_KEYS: dict[str, Rule] = {
    "required": "required",
    "null": "required",
    "type": "invalid_type",
    "invalid_utf8": "invalid_format",
    "too_large": "out_of_range",
    "special": "not_a_number",
    "format": "invalid_format",
    "invalid_awareness": "invalid_format",
    "invalid_uuid": "invalid_format",
    "invalid_ip": "invalid_format",
    "invalid_ip_interface": "invalid_format",
    "unknown": "invalid_choice",  # Enum
    "validator_failed": INVALID,
}
# `invalid` says "not a valid <type>": a number's is not_a_number, a text's or a list's a wrong type.
_INVALID_BY_TYPE: dict[type, str] = {
    fields.Number: "not_a_number",
    fields.String: "invalid_type",
    fields.List: "invalid_type",
    fields.Tuple: "invalid_type",
    fields.Mapping: "invalid_type",
    fields.Boolean: "invalid_type",
}


def _marshmallow_rules() -> list[tuple[re.Pattern, Rule]]:
    rules: list[tuple[str, Rule]] = [
        (validate.Length.message_min, "too_short"),
        (validate.Length.message_max, "too_long"),
        (validate.Length.message_equal, "invalid_length"),
        (validate.Length.message_all, _length_between),
        (validate.OneOf.default_message, "invalid_choice"),
        (validate.ContainsOnly.default_message, "invalid_choice"),
        (validate.ContainsNoneOf.default_message, "invalid_choice"),
        (validate.Regexp.default_message, "invalid_format"),
        (validate.Email.default_message, "invalid_format"),
        (validate.URL.default_message, "invalid_format"),
        (validate.Equal.default_message, INVALID),
        (Schema._default_error_messages["unknown"], "unknown_field"),
        (Schema._default_error_messages["type"], "invalid_type"),
    ]
    for template in (validate.Range.message_min, validate.Range.message_max, validate.Range.message_all):
        rules += [(t, "out_of_range") for t in _range(template)]
    for cls in vars(fields).values():
        if isinstance(cls, type) and issubclass(cls, fields.Field):
            for key, message in getattr(cls, "default_error_messages", {}).items():
                if key == "invalid":
                    code = next((c for t, c in _INVALID_BY_TYPE.items() if issubclass(cls, t)), "invalid_format")
                else:
                    code = _FIELD_KEYS.get(key, INVALID)
                rules.append((message, code))
    # Exact messages first, then the templates with the most fixed words: "Not a valid {obj_type}." must not
    # take "Not a valid integer.", nor "Length must be {equal}." take "Length must be between 1 and 50.".
    rules.sort(key=lambda rule: ("{" in rule[0], -len(re.sub(r"\{[^{}]*\}", "", rule[0]))))
    return [(_template(message), code) for message, code in rules]


# The rules' own messages (server/domain, services, schemas): the English half of "中文 / English" or the
# whole message, each a pattern.
_OWN_RULES: dict[str, Rule] = {
    # shared field types (server/schemas/common.py) and schemas
    r"Not a valid UUID\.": "invalid_format",
    r"Not a lower-case hex SHA-256\.": "invalid_format",
    r"Not a valid ISO-8601 date-time\.": "invalid_format",
    r"use YYYY-MM-DD": "invalid_format",
    r"must be 1 or 0": "invalid_choice",
    r"not a base64url .*": "invalid_format",
    r"not a known push service \(https\)": "push_service_not_allowed",
    r"Nothing to change\.": "nothing_to_change",
    r"contains control characters": "control_characters",
    r"out of range \(.*\)": "out_of_range",
    r"ends_on is before starts_on|from must not be after to": "date_order",
    r"a campaign lasts at most a year|at most \d+ days": "period_too_long",
    # recipients: ID numbers, limits, the area
    r"must be 18 characters": "id_number_length",
    r"must be 17 digits and a digit or X": "id_number_format",
    r"invalid birth date": "id_number_birth_date",
    r"wrong check digit": "id_number_check_digit",
    r"this ID number is already registered": "id_number_taken",
    r"at most \d+ characters": "too_long",
    r"not a village in your area|not an area in your scope|outside your scope|not a user covering .*":
        "not_in_scope",
    # visits, difficulties, follow-ups
    r"cash needs a signature or a reason": "signature_required",
    r"in the future": "in_future",
    r"cannot change": "cannot_change",
    r"A resolved difficulty needs no next follow-up\.": "resolved_needs_no_next",
    r"An update needs the version it was based on\.|required( when returning)?|"
    r"code, name and level are required": "required",
    # records and areas that are not there, or are there already
    r"not found|unknown parent|Unknown parent": "not_found",
    r"already used|already exists|exists": "taken",
    r"under an? \w+": "wrong_level",
    r"parent cycle or unknown": "parent_cycle",
    # roster import rows (server/services/imports.py)
    r"must be 男 or 女 \(male / female\)|unknown category": "invalid_choice",
    r"the full number, not a masked one": "id_number_masked",
    r"the ID number was stored as a number .*": "id_number_not_text",
    r"same ID number in rows .*": "id_number_duplicate",
    r"not unique: give the code": "village_ambiguous",
    r"unknown village or outside your area": "not_in_scope",
    r"changed meanwhile; import again": "changed_meanwhile",
    # passwords
    r"wrong": "wrong_password",
    r"same as before": "same_password",
    r"at least \d+ characters": "too_short",
    r"use \d+ of: lower, upper, digit, symbol": "password_classes",
    r"must not contain the username": "password_has_username",
    r"too common or easy to guess": "password_guessable",
    # the creation campaign: units, scores, the standard's shape, evidence and 整改
    r"required (for|when|with) .*": "required",
    r"(unit|campaign) not found": "not_found",
    r"must be between [\d.]+ and [\d.]+ \(the item's points\)|more than the standard's points|"
    r"must be more than 0": "out_of_range",
    r"scored from the data \(metric\): cannot change": "cannot_change",
    r"the items add up to [\d.]+, not [\d.]+": "sum_mismatch",
    r"a category needs at least one item": "too_short",
    r"at most \d+ items": "too_long",
    r"at most 2 decimal places": "invalid_format",
    r"not a unit responsible for this item": "not_in_scope",
    r"only for role liaison": "not_allowed",
    # attachments a record names and the server lacks (their SHA-256s), files
    r"[0-9a-f]{64}": "missing_attachment",
    r"empty": "empty",
    r"not UTF-8 or GB18030": "invalid_encoding",
    r"missing columns": "missing_columns",
    # hostile or broken workbooks (the roster import's reading, server/services/imports.py)
    r"not a valid \.xlsx workbook": "invalid_workbook",
    r"the workbook unpacks to too much data": "workbook_too_large",
    r"XML entities are not allowed": "xml_entities",
    r"at most \d+ rows a file": "too_many_rows",
}

RULES: list[tuple[re.Pattern, Rule]] = [
    *((re.compile(rf"^(?:.* / )?(?:{pattern})$", re.DOTALL), code) for pattern, code in _OWN_RULES.items()),
    *_marshmallow_rules(),
]
_NUMBER = re.compile(r"-?\d+")


def message_code(message, value=None) -> str:
    """The code of one field message; `value` (what was sent, when known) tells a too-short from a too-long."""
    if not isinstance(message, str):
        return INVALID
    for pattern, rule in RULES:
        if pattern.match(message):
            if isinstance(rule, str):
                return rule
            return rule(value, [int(n) for n in _NUMBER.findall(message)])
    return INVALID


def _child(data, key):
    if isinstance(data, Mapping):
        return data.get(key, data.get(str(key)))
    if isinstance(data, list) and isinstance(key, int | str) and str(key).isdigit() and int(key) < len(data):
        return data[int(key)]
    return None


def field_codes(messages, data=None):
    """`fields` (marshmallow's message tree: dicts of lists of messages, a list's items by index) with each
    message as its code; `data` is the input they are about, when known."""
    if isinstance(messages, Mapping):
        return {key: field_codes(value, _child(data, key)) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [message_code(m, data) if not isinstance(m, Mapping | list) else field_codes(m, data)
                for m in messages]
    return [message_code(messages, data)]
