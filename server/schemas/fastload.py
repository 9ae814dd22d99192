"""A fast path for marshmallow `Schema.load` on the sync push path, with marshmallow as the only judge.

marshmallow's generic machinery (error stores, per-field closures, an `And` validator built per value)
costs ≈ 120 µs for a visit mutation: the largest single cost of a push. `FastLoader(schema).load(data)`
compiles the schema's declared fields once into plain Python checks and, for input it is *sure* about,
returns exactly what `schema.load(data)` returns. On anything it is not sure about — any invalid value, an
unusual but perhaps valid one (a float for an Integer, bytes for a String…), a field type, hook or option it
does not know — it hands the input to `schema.load` unchanged, so every error (and every unusual success)
comes from marshmallow itself, with marshmallow's messages. The schemas stay the single source of truth (and
of the OpenAPI document); a schema the compiler cannot handle is simply always loaded by marshmallow.

What the compiled path replicates, per field (marshmallow 4's `Schema._deserialize` and `Field.deserialize`):
missing → skipped when partial, an error when required, else `load_default`; `None` → `None` when
`allow_none`, else an error; otherwise the type's conversion, then every validator. Schema hooks: `pre_load`,
`validates` and `validates_schema` methods (not `pass_many`/`pass_original`) are called as marshmallow calls
them; `post_load` is not compiled. Unknown keys with `unknown=RAISE` fall back (an error).
"""

from __future__ import annotations

import math
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields, missing
from marshmallow.validate import Validator

from .common import SHA256_RE, UUID_RE, Sha256, UtcDateTime, UuidString, WholeNested


class _Unsure(Exception):
    """The compiled path is not sure: marshmallow decides."""


_UNSURE = _Unsure()


def _string(value):
    if type(value) is str:
        return value
    raise _UNSURE


def _uuid_string(value):
    if type(value) is str and UUID_RE.match(value):
        return value.lower()
    raise _UNSURE


def _sha256(value):
    if type(value) is str and SHA256_RE.match(value):
        return value
    raise _UNSURE


def _integer(value):
    if type(value) is int:
        return value
    raise _UNSURE


def _float(value):
    if type(value) is float or type(value) is int:
        try:
            number = float(value)
        except OverflowError:
            raise _UNSURE from None
        if not math.isinf(number) and not math.isnan(number):
            return number
    raise _UNSURE


def _dict(value):
    if type(value) is dict:
        return dict(value)
    raise _UNSURE


def _raw(value):
    return value


def _self_contained(field: fields.Field):
    """A field whose `_deserialize` depends on the value alone (our UtcDateTime, marshmallow's Date)."""
    deserialize = field._deserialize

    def convert(value):
        try:
            return deserialize(value, None, None)
        except ValidationError:
            raise _UNSURE from None

    return convert


def _validated(convert, validators):
    """`convert`, then every validator as marshmallow's `And` runs them (a False return fails too)."""
    if not validators:
        return convert
    plain = [v for v in validators if isinstance(v, Validator)]
    others = [v for v in validators if not isinstance(v, Validator)]

    def run(value):
        out = convert(value)
        try:
            for validator in plain:
                validator(out)
            for validator in others:
                if validator(out) is False:
                    raise _UNSURE
        except ValidationError:
            raise _UNSURE from None
        return out

    return run


def _value_converter(field: fields.Field, partial: bool | None):
    """A function value → loaded value (never called with `missing`), or None when not compilable."""
    if field.pre_load or field.post_load:
        return None
    kind = type(field)
    if kind is fields.String:
        convert = _string
    elif kind is UuidString:
        convert = _uuid_string
    elif kind is Sha256:
        convert = _sha256
    elif kind is UtcDateTime or kind is fields.Date:
        convert = _self_contained(field)
    elif kind is fields.Integer:
        convert = _integer
    elif kind is fields.Float:
        if field.allow_nan:
            return None
        convert = _float
    elif kind is fields.Dict:
        if field.key_field is not None or field.value_field is not None:
            return None
        convert = _dict
    elif kind is fields.Raw:
        convert = _raw
    elif kind is fields.List:
        inner = _value_converter(field.inner, partial)
        if inner is None:
            return None
        inner_allow_none = field.inner.allow_none

        def convert(value, inner=inner, inner_allow_none=inner_allow_none):
            if type(value) is not list:
                raise _UNSURE
            out = []
            for item in value:
                if item is None:
                    if not inner_allow_none:
                        raise _UNSURE
                    out.append(None)
                else:
                    out.append(inner(item))
            return out
    elif kind is fields.Nested or kind is WholeNested:
        if field.many or field.unknown is not None or field.only is not None or field.exclude:
            return None
        nested = field.schema
        if nested.many:
            return None
        loader = compile_schema(nested, False if kind is WholeNested else partial)
        if loader is None:
            return None
        convert = loader
    else:
        return None
    return _validated(convert, field.validators)


def compile_schema(schema: Schema, partial: bool | None = None):
    """A function data → loaded data that raises `_Unsure` when marshmallow must decide; None if the
    schema uses something the compiler does not know."""
    if partial is None:
        partial = schema.partial
    if partial is not None and not isinstance(partial, bool):
        return None  # partial as a list of field names
    if schema.many or schema.unknown not in (RAISE, EXCLUDE, INCLUDE) or schema.dict_class is not dict:
        return None
    hooks = schema._hooks
    if any(hooks.get(tag) for tag in ("post_load",)):
        return None
    pre_loads = []
    for name, many, kwargs in hooks.get("pre_load", ()):
        if many or kwargs.get("pass_original"):
            return None
        pre_loads.append(getattr(schema, name))
    schema_validators = []
    for name, many, kwargs in hooks.get("validates_schema", ()):
        if many or kwargs.get("pass_original"):
            return None
        schema_validators.append(getattr(schema, name))

    specs = []
    keys = set()
    out_keys = {}
    for attr_name, field in schema.load_fields.items():
        in_key = field.data_key if field.data_key is not None else attr_name
        out_key = field.attribute or attr_name
        if "." in out_key:
            return None
        convert = _value_converter(field, partial)
        if convert is None:
            return None
        keys.add(in_key)
        out_keys[attr_name] = (out_key, in_key)
        specs.append((in_key, out_key, field.required, field.load_default, callable(field.load_default),
                      field.allow_none, convert))
    field_validators = []
    for name, _many, kwargs in hooks.get("validates", ()):
        method = getattr(schema, name)
        for field_name in kwargs["field_names"]:
            if field_name not in schema.fields:
                if field_name in schema.declared_fields:
                    continue
                return None  # marshmallow raises ValueError here: let it
            field = schema.fields[field_name]
            data_key = field.data_key if field.data_key is not None else field_name
            field_validators.append((method, field.attribute or field_name, data_key))
    unknown = schema.unknown
    raise_unknown = unknown == RAISE
    include_unknown = unknown == INCLUDE
    hook_kwargs = {"many": False, "partial": partial, "unknown": unknown}
    partial_true = partial is True

    def load(data):
        if type(data) is not dict:
            raise _UNSURE
        try:
            for hook in pre_loads:
                data = hook(data, **hook_kwargs)
        except ValidationError:
            raise _UNSURE from None
        if type(data) is not dict:
            raise _UNSURE
        if raise_unknown and not keys.issuperset(data):
            raise _UNSURE
        out = {}
        for in_key, out_key, required, default, default_callable, allow_none, convert in specs:
            value = data.get(in_key, missing)
            if value is missing:
                if partial_true:
                    continue
                if required:
                    raise _UNSURE
                if default is missing:
                    continue
                out[out_key] = default() if default_callable else default
            elif value is None:
                if not allow_none:
                    raise _UNSURE
                out[out_key] = None
            else:
                out[out_key] = convert(value)
        if include_unknown:
            for key in data.keys() - keys:
                out[key] = data[key]
        try:
            for method, out_key, data_key in field_validators:
                if out_key in out and method(out[out_key], data_key=data_key) is missing:
                    out.pop(out_key, None)
            for method in schema_validators:
                method(out, **hook_kwargs)
        except ValidationError:
            raise _UNSURE from None
        return out

    return load


class FastLoader:
    """`load(data)` ≡ `schema.load(data)`: the compiled path when it is sure, marshmallow otherwise."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self._compiled = compile_schema(schema)

    def load(self, data: Any):
        if self._compiled is not None:
            try:
                return self._compiled(data)
            except _Unsure:
                pass
        return self.schema.load(data)
