"""Extension objects, created here without an app and bound in create_app."""

import flask_smorest
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .schemas.common import ErrorEnvelopeSchema

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
compress = Compress()
# Limits are declared on the views they guard (login, password change); the storage (RATELIMIT_STORAGE_URI:
# the database by default, server/ratelimit.py, or Redis) is shared by every worker and host.
limiter = Limiter(key_func=get_remote_address)


class Api(flask_smorest.Api):
    """flask-smorest's Api: builds the OpenAPI document from the blueprints. Errors are documented in the
    one envelope; they are answered by server/errors.py (smorest's own HTTPException handler stays off)."""

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def _register_error_handlers(self):
        pass


api = Api()
