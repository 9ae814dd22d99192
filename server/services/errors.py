"""Domain errors: what a use case refuses, each with a stable `code` the PWA translates; no HTTP here.

`server/errors.py` maps every class to its HTTP status once; the sync push answers the same errors as a
`rejected` mutation (`to_dict()`), so a rule refuses alike whichever path reached it. Both answer `fields`
with each message's code beside it, in `field_codes` (server/field_codes.py).
"""

from ..field_codes import field_codes


class DomainError(Exception):
    """A refusal with a stable code, a human message and, for input errors, the offending fields (`data`: the
    input they are about, when the raiser has it, which tells a too-short value from a too-long one)."""

    code = "domain_error"

    def __init__(self, code: str | None = None, message: str = "", fields: dict | None = None, data=None):
        self.code = code or type(self).code
        self.message = message or self.code.replace("_", " ")
        self.fields = fields
        self.data = data
        super().__init__(self.message)

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
            body["field_codes"] = field_codes(self.fields, self.data)
        return body


class _Coded(DomainError):
    """A subclass whose code is fixed: raised as `NotFound(message, fields)`."""

    def __init__(self, message: str = "", fields: dict | None = None, data=None):
        super().__init__(None, message, fields, data)


class NotFound(_Coded):
    """Unknown, or outside the actor's scope (never told apart: out-of-scope objects do not exist)."""

    code = "not_found"


class Forbidden(_Coded):
    code = "forbidden"


class InvalidInput(_Coded):
    """Values that break a rule; `fields` says which and why."""

    code = "validation_error"


class WeakPassword(InvalidInput):
    code = "weak_password"


class InvalidFile(InvalidInput):
    """An uploaded file that cannot be read as what it claims to be (a roster workbook, a CSV)."""

    code = "invalid_file"


class HashMismatch(_Coded):
    code = "hash_mismatch"


class MissingAttachment(_Coded):
    """A record names an attachment the server lacks: the device uploads it and sends the record again."""

    code = "missing_attachment"


class InvalidTransition(_Coded):
    """The record's state does not allow this change (review a reviewed visit, demote yourself)."""

    code = "invalid_transition"


class VisitLocked(InvalidTransition):
    code = "visit_locked"


class Conflict(_Coded):
    """The record changed since the caller read it (a stale version)."""

    code = "conflict"


class Taken(Conflict):
    """A unique value already in use."""


class UsernameTaken(Taken):
    code = "username_taken"


class AreaCodeTaken(Taken):
    code = "code_taken"


class IdTaken(Taken):
    code = "id_taken"


class MutationIdReused(Taken):
    code = "mutation_id_reused"


class CursorExpired(_Coded):
    """A pull cursor the server does not know (restored database, moved user): pull again from 0."""

    code = "cursor_expired"


class TooLarge(_Coded):
    code = "payload_too_large"


class TooManyRows(TooLarge):
    code = "too_many_rows"


class UnsupportedMedia(_Coded):
    code = "unsupported_media_type"


class UnsupportedFileType(UnsupportedMedia):
    code = "unsupported_file_type"


class BadCredentials(_Coded):
    code = "invalid_credentials"


class AccountLocked(_Coded):
    code = "account_locked"


class RateLimited(_Coded):
    """Too many attempts of something that could be used to guess (ID numbers sent through sync)."""

    code = "rate_limited"


class Unavailable(_Coded):
    """Something the server needs is out of order for now (its storage is full): try again later. `retry_after`
    (seconds) is the wait the answer suggests."""

    code = "unavailable"
    retry_after = 60


class StorageFull(Unavailable):
    """The attachment store's disk (or quota) is full: nothing was kept; the device uploads again later."""


__all__ = [
    "AccountLocked", "AreaCodeTaken", "BadCredentials", "Conflict", "CursorExpired", "DomainError", "Forbidden",
    "HashMismatch", "IdTaken", "InvalidFile", "InvalidInput", "InvalidTransition", "MissingAttachment",
    "MutationIdReused", "NotFound", "RateLimited", "StorageFull", "Taken", "TooLarge", "TooManyRows",
    "Unavailable", "UnsupportedFileType", "UnsupportedMedia", "UsernameTaken", "VisitLocked", "WeakPassword",
]
