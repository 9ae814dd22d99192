"""marshmallow schemas: request bodies, sync ops and responses."""
