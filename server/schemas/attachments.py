"""Wire shapes of attachments: the answer to an upload (the bytes themselves are the bodies)."""

from marshmallow import Schema, fields


class StoredAttachmentSchema(Schema):
    sha256 = fields.String(required=True)
