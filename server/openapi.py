"""Generate the OpenAPI 3 document from the url map, the views' @doc metadata and marshmallow schemas."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from .schemas.common import ErrorEnvelopeSchema

ERRORS = {
    "400": "Malformed request", "401": "Not logged in", "403": "Wrong role or CSRF token",
    "404": "Not found or outside your area", "413": "Too large", "422": "Invalid input",
}


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[:-6] if name.endswith("Schema") and len(name) > 6 else name


def build_spec(app: Flask) -> dict:
    spec = APISpec(title="走访通 Zoufang API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
                   info={"description": "Offline-first visit logging. Errors: {error: {code, message, fields}}."})
    spec.components.schema("ErrorEnvelope", schema=ErrorEnvelopeSchema)
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "zoufang_session"})
    spec.components.security_scheme("csrf", {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"})
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "zf_doc", None) or getattr(getattr(view, "__wrapped__", None), "zf_doc", None)
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        params = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer" if rule._converters[name].__class__.__name__ == "IntegerConverter"
                              else "string"}} for name in rule.arguments]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation: dict = {"summary": (meta or {}).get("summary") or view.__doc__ or rule.endpoint,
                               "operationId": f"{rule.endpoint}.{method.lower()}",
                               "tags": [rule.endpoint.split(".")[0]]}
            if params:
                operation["parameters"] = list(params)
            if meta and meta.get("query"):
                operation["parameters"] = [*operation.get("parameters", []),
                                           {"in": "query", "schema": meta["query"]}]
            if meta and meta.get("body"):
                operation["requestBody"] = {"required": True,
                                            "content": {"application/json": {"schema": meta["body"]}}}
            elif meta and meta.get("content_type") == "multipart/form-data":
                operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}}}}}}
            elif meta and meta.get("content_type"):
                operation["requestBody"] = {"required": True, "content": {
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                    "image/webp": {"schema": {"type": "string", "format": "binary"}}}}
            status = str((meta or {}).get("status", 200))
            ok: dict = {"description": "OK"}
            if meta and meta.get("response"):
                ok["content"] = {"application/json": {"schema": meta["response"]}}
            elif meta and meta.get("produces"):
                ok["content"] = {meta["produces"]: {"schema": {"type": "string", "format": "binary"}}}
            responses = {status: ok}
            for code, text in ERRORS.items():
                responses[code] = {"description": text, "content": {
                    "application/json": {"schema": "ErrorEnvelope"}}}
            operation["responses"] = responses
            if not getattr(view, "zf_public", False):
                operation["security"] = [{"session": [], "csrf": []}] if method != "GET" else [{"session": []}]
            else:
                operation["security"] = []
            roles = getattr(view, "zf_roles", None)
            if roles:
                operation["description"] = f"Roles: {', '.join(roles)}"
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
