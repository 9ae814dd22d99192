"""The WSGI entry point: gunicorn server.wsgi:app."""

import gc

from . import create_app

app = create_app()

# The app's own objects (modules, schemas, compiled SQL) live as long as the process: moved out of the
# collector's reach, so its full collections during a push stop walking them again (≈ 10 % of a push's CPU),
# and workers forked from a preloaded app keep sharing those pages.
gc.collect()
gc.freeze()
