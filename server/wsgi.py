"""The WSGI entry point: gunicorn server.wsgi:app."""

from . import create_app

app = create_app()
