"""server/api/__init__.py: the parser's rules and the test-time check that a response schema drops no key."""

from marshmallow import Schema, fields

from server.api import Parser, undeclared_keys


class ItemSchema(Schema):
    id = fields.Integer()


class PageSchema(Schema):
    items = fields.List(fields.Nested(ItemSchema))
    total = fields.Integer()
    first = fields.Nested(ItemSchema, allow_none=True)


def test_undeclared_keys_finds_keys_a_dump_would_drop_at_any_depth():
    page = {"items": [{"id": 1}, {"id": 2, "name": "x"}], "total": 2, "first": {"id": 1, "secret": True},
            "extra": 0}
    assert sorted(undeclared_keys(PageSchema(), page)) == [".extra", ".first.secret", ".items.name"]


def test_undeclared_keys_accepts_a_fully_declared_answer_and_absent_or_null_parts():
    assert undeclared_keys(PageSchema(), {"items": [{"id": 1}], "total": 1, "first": None}) == []
    assert undeclared_keys(PageSchema(), {"total": 0}) == []
    assert undeclared_keys(PageSchema(many=True), [{"total": 0, "other": 1}]) == ["[].other"]


def test_the_parser_lets_each_schema_decide_about_unknown_fields_in_every_location():
    assert set(Parser.DEFAULT_UNKNOWN_BY_LOCATION.values()) == {None}
    assert {"json", "query", "files"} <= set(Parser.DEFAULT_UNKNOWN_BY_LOCATION)
