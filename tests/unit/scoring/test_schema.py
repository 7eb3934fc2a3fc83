"""The schema registry: built-in entities, custom fields and custom interaction types."""

from __future__ import annotations

import pytest

from leadflow.scoring import BUILTIN_SCHEMA, FieldType, Schema, SchemaInvalid


def test_builtin_relations_are_the_hops_of_the_spec() -> None:
    lead = BUILTIN_SCHEMA.entity("Lead")
    assert lead is not None
    assert dict(lead.relations) == {"contact": "Contact", "account": "Account",
                                    "campaign": "Campaign", "program": "Program",
                                    "owner": "User"}
    clicked = BUILTIN_SCHEMA.entity("EmailClicked")
    assert clicked is not None and clicked.type_key == "email_clicked"
    assert set(clicked.relations) == {"contact", "account", "campaign", "program", "email",
                                      "landing_page", "event"}


def test_builtin_field_types_and_choices() -> None:
    lead = BUILTIN_SCHEMA.entity("Lead")
    assert lead is not None
    stage = lead.field("stage")
    assert stage is not None and stage.type is FieldType.CHOICE and "won" in stage.choices
    due = lead.field("due_date")
    assert due is not None and due.type is FieldType.DATE


def test_ten_builtin_interaction_types() -> None:
    assert len(BUILTIN_SCHEMA.interaction_types()) == 10


def test_undeclared_attribute_is_text_and_declared_is_typed() -> None:
    schema = Schema.build(interaction_types=[
        {"key": "website_visited", "attributes": [{"key": "pricing_views", "type": "number"}]}])
    visited = schema.entity("WebsiteVisited")
    assert visited is not None
    declared, other = visited.field("attr.pricing_views"), visited.field("attr.anything")
    assert declared is not None and declared.type is FieldType.NUMBER
    assert other is not None and other.type is FieldType.TEXT


def test_custom_fields_and_types_join_the_schema() -> None:
    schema = Schema.build(
        custom_fields=[{"key": "segment", "entity": "contact", "type": "choice",
                        "choices": ["smb", "enterprise"]}],
        interaction_types=[{"key": "webinar_watched", "name": "WebinarWatched",
                            "attributes": [{"key": "minutes", "type": "number"}]}],
    )
    contact = schema.entity("Contact")
    assert contact is not None and contact.field("segment") is not None
    assert schema.interaction_types()["WebinarWatched"] == "webinar_watched"
    assert BUILTIN_SCHEMA.entity("WebinarWatched") is None


@pytest.mark.parametrize(
    ("custom_fields", "types", "message"),
    [
        ([{"key": "city", "entity": "contact"}], [], "clashes"),
        ([{"key": "Bad Key", "entity": "contact"}], [], "lower_snake_case"),
        ([{"key": "x", "entity": "deal"}], [], "entity must be"),
        ([{"key": "x", "entity": "lead", "type": "money"}], [], "is not one of"),
        ([{"key": "x", "entity": "lead", "type": "choice"}], [], "needs choices"),
        ([], [{"key": "webinar", "name": "webinar"}], "CamelCase"),
        ([], [{"key": "webinar", "name": "Lead"}], "already an entity"),
    ],
)
def test_bad_declarations_are_rejected(
    custom_fields: list[dict[str, object]], types: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(SchemaInvalid, match=message):
        Schema.build(custom_fields, types)
