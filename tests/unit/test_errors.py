"""Domain errors: stable codes, the envelope body, and the one status each class maps to."""

import pytest

from server.errors import DOMAIN_STATUSES, domain_status
from server.services import errors

# Every code a client can see from a service, with its status: the same as before services knew no HTTP.
EXPECTED = {
    errors.NotFound: ("not_found", 404),
    errors.Forbidden: ("forbidden", 403),
    errors.InvalidInput: ("validation_error", 422),
    errors.WeakPassword: ("weak_password", 422),
    errors.InvalidFile: ("invalid_file", 422),
    errors.HashMismatch: ("hash_mismatch", 422),
    errors.MissingAttachment: ("missing_attachment", 422),
    errors.InvalidTransition: ("invalid_transition", 409),
    errors.VisitLocked: ("visit_locked", 409),
    errors.Conflict: ("conflict", 409),
    errors.UsernameTaken: ("username_taken", 409),
    errors.AreaCodeTaken: ("code_taken", 409),
    errors.IdTaken: ("id_taken", 409),
    errors.MutationIdReused: ("mutation_id_reused", 409),
    errors.CursorExpired: ("cursor_expired", 410),
    errors.TooLarge: ("payload_too_large", 413),
    errors.TooManyRows: ("too_many_rows", 413),
    errors.UnsupportedMedia: ("unsupported_media_type", 415),
    errors.UnsupportedFileType: ("unsupported_file_type", 415),
    errors.BadCredentials: ("invalid_credentials", 401),
    errors.AccountLocked: ("account_locked", 423),
    errors.RateLimited: ("rate_limited", 429),
    errors.Unavailable: ("unavailable", 503),
    errors.StorageFull: ("unavailable", 503),
}


@pytest.mark.parametrize(("cls", "code_and_status"), EXPECTED.items(), ids=lambda v: getattr(v, "__name__", ""))
def test_each_class_has_its_code_and_status(cls, code_and_status):
    err = cls("message")
    assert (err.code, domain_status(err)) == code_and_status


def test_every_exported_error_class_is_covered():
    exported = {getattr(errors, name) for name in errors.__all__} - {errors.DomainError, errors.Taken}
    assert exported == set(EXPECTED)


def test_the_body_carries_fields_only_when_there_are_some():
    assert errors.NotFound("No such visit").to_dict() == {"code": "not_found", "message": "No such visit"}
    assert errors.InvalidInput("Invalid record", {"name": ["required"]}).to_dict() == {
        "code": "validation_error", "message": "Invalid record", "fields": {"name": ["required"]},
        "field_codes": {"name": ["required"]}}


def test_a_message_defaults_to_the_code_in_words():
    assert errors.CursorExpired().message == "cursor expired"


def test_the_base_class_takes_any_code_and_answers_400():
    err = errors.DomainError("something_new", "Something new")
    assert err.code == "something_new" and domain_status(err) == 400
    assert DOMAIN_STATUSES[errors.DomainError] == 400
