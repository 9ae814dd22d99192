"""Write the server's OpenAPI document, or the PWA's TypeScript types generated from it.

    .venv/bin/python scripts/openapi.py openapi.json      # the document as the server serves it (- = stdout)
    .venv/bin/python scripts/openapi.py --types           # regenerate pwa/src/api/schema.d.ts (make api-types)
    .venv/bin/python scripts/openapi.py --types --check   # fail if that file is stale (make check-api-types)

The document is what `GET /api/openapi.json` answers, read through the test client of an app built on a
throwaway SQLite instance folder in a temporary directory: no database, server or instance of yours is touched.
The types come from it through openapi-typescript (pwa's devDependency, installed by `npm ci`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = ROOT / "pwa" / "src" / "api" / "schema.d.ts"
OPENAPI_TYPESCRIPT = ROOT / "pwa" / "node_modules" / ".bin" / "openapi-typescript"
STALE = f"{TYPES.relative_to(ROOT)} is stale: run make api-types"


def openapi_document() -> dict:
    """Build the app on a temporary instance folder and return the document it serves."""
    with tempfile.TemporaryDirectory(prefix="zoufang-openapi-") as tmp:
        # Config reads these when it is made; set them before the server package builds one.
        os.environ["ZOUFANG_INSTANCE_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'openapi.db'}"
        os.environ.setdefault("SECRET_KEY", "openapi-dump")
        sys.path.insert(0, str(ROOT))
        from server import create_app
        from server.extensions import db

        app = create_app()
        with app.app_context():
            response = app.test_client().get("/api/openapi.json")
            db.session.remove()
            db.engine.dispose()
        if response.status_code != 200:
            body = response.get_data(as_text=True)
            raise SystemExit(f"GET /api/openapi.json answered {response.status_code}: {body}")
        return response.get_json()


def dump(document: dict) -> str:
    """Sorted keys and an indent, so two dumps of the same server are byte-identical and diff well."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def generate_types(document: dict, out: Path) -> None:
    if not OPENAPI_TYPESCRIPT.exists():
        raise SystemExit(f"{OPENAPI_TYPESCRIPT.relative_to(ROOT)} is missing: run `npm ci` in pwa/ (or make api-types)")
    with tempfile.TemporaryDirectory(prefix="zoufang-openapi-") as tmp:
        source = Path(tmp) / "openapi.json"
        source.write_text(dump(document), encoding="utf-8")
        # Run from pwa/ so no redocly.yaml of an enclosing folder is picked up.
        subprocess.run([str(OPENAPI_TYPESCRIPT), str(source), "--output", str(out)], cwd=ROOT / "pwa",
                       check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="where to write the JSON document (- for stdout)")
    parser.add_argument("--types", action="store_true", help=f"regenerate {TYPES.relative_to(ROOT)}")
    parser.add_argument("--check", action="store_true", help="with --types: compare instead of writing")
    args = parser.parse_args()
    if args.types == bool(args.path):
        parser.error("give either a PATH for the JSON document or --types")
    if args.check and not args.types:
        parser.error("--check goes with --types")

    document = openapi_document()
    if args.path:
        if args.path == "-":
            sys.stdout.write(dump(document))
        else:
            Path(args.path).write_text(dump(document), encoding="utf-8")
        return
    if not args.check:
        TYPES.parent.mkdir(parents=True, exist_ok=True)
        generate_types(document, TYPES)
        return
    with tempfile.TemporaryDirectory(prefix="zoufang-openapi-") as tmp:
        fresh = Path(tmp) / "schema.d.ts"
        generate_types(document, fresh)
        current = TYPES.read_bytes() if TYPES.exists() else b""
        if fresh.read_bytes() != current:
            raise SystemExit(STALE)


if __name__ == "__main__":
    main()
