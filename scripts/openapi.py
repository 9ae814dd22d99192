"""Write the server's OpenAPI document, or the PWA's TypeScript types generated from it.

    .venv/bin/python scripts/openapi.py openapi.json      # the document as the server serves it (- = stdout)
    .venv/bin/python scripts/openapi.py --types           # regenerate pwa/src/api/schema.d.ts and rules.ts
    .venv/bin/python scripts/openapi.py --types --check   # fail if either is stale (make check-api-types)

The document is what `GET /api/openapi.json` answers, read through the test client of an app built on a
throwaway SQLite instance folder in a temporary directory: no database, server or instance of yours is touched.
The types come from it through openapi-typescript (pwa's devDependency, installed by `npm ci`). `rules.ts` is
the part of it the phone checks a record against before saving (pwa/src/lib/rules.ts): for each op of
`Mutation.data`'s `x-data-by-op`, its component (references inlined, descriptions and defaults left out) and
the component's named rules (`x-rules`).
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
RULES = TYPES.with_name("rules.ts")
STALE = "{} is stale: run make api-types"
# Documentation, not a constraint: left out of rules.ts, so everything else there is something to check.
NOT_RULES = ("description", "default")


def openapi_document() -> dict:
    """Build the app on a temporary instance folder and return the document it serves."""
    with tempfile.TemporaryDirectory(prefix="zoufang-openapi-") as tmp:
        # Config reads these when it is made; set them before the server package builds one.
        os.environ["ZOUFANG_INSTANCE_DIR"] = tmp
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'openapi.db'}"
        os.environ.setdefault("SECRET_KEY", "openapi-dump")
        # The one request it makes is no news: no request-log line between the build's messages.
        os.environ.setdefault("LOG_LEVEL", "WARNING")
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


def _inline(node, schemas: dict):
    """`node` with every `$ref` replaced by its component, without NOT_RULES keys."""
    if isinstance(node, list):
        return [_inline(item, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(schemas[node["$ref"].removeprefix("#/components/schemas/")], schemas)
    if len(node.get("allOf", ())) == 1:
        # A nullable nested object, as the server's document writes it: {allOf: [component], nullable: true}.
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return {**_inline(node["allOf"][0], schemas), **_inline(rest, schemas)}
    out = {key: _inline(value, schemas) for key, value in node.items() if key not in NOT_RULES and key != "properties"}
    if "properties" in node:  # names of fields, not keywords: a field may be called `description`
        out["properties"] = {name: _inline(value, schemas) for name, value in node["properties"].items()}
    return out


def rules_module(document: dict) -> str:
    """pwa/src/api/rules.ts: each op's component and its `x-rules`, as a typed constant."""
    schemas = document["components"]["schemas"]
    by_op = schemas["Mutation"]["properties"]["data"]["x-data-by-op"]
    ops = {}
    for op, ref in by_op.items():
        name = ref["$ref"].removeprefix("#/components/schemas/")
        component = _inline(schemas[name], schemas)
        ops[op] = {"component": name, "rules": component.pop("x-rules", []), "schema": component}
    body = json.dumps(ops, ensure_ascii=False, indent=2, sort_keys=True)
    return ("// Generated by scripts/openapi.py --types from the server's OpenAPI document (GET /api/openapi.json):\n"
            "// each op's `data` component (Mutation.data's x-data-by-op) and its named rules (x-rules). Never edit\n"
            "// it by hand: run `make api-types`. pwa/src/lib/rules.ts checks a record against it.\n"
            f"export const OP_RULES = {body} as const\n")


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
    rules = rules_module(document)
    if not args.check:
        TYPES.parent.mkdir(parents=True, exist_ok=True)
        generate_types(document, TYPES)
        RULES.write_text(rules, encoding="utf-8")
        return
    with tempfile.TemporaryDirectory(prefix="zoufang-openapi-") as tmp:
        fresh = Path(tmp) / "schema.d.ts"
        generate_types(document, fresh)
        current = TYPES.read_bytes() if TYPES.exists() else b""
        if fresh.read_bytes() != current:
            raise SystemExit(STALE.format(TYPES.relative_to(ROOT)))
    if not RULES.exists() or RULES.read_text(encoding="utf-8") != rules:
        raise SystemExit(STALE.format(RULES.relative_to(ROOT)))


if __name__ == "__main__":
    main()
