"""Carrying out Segment calls for one company: identify, track, page, group, alias, screen."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from leadflow.db import integrations as queries
from leadflow.db.tables import Account, Company, Contact
from leadflow.errors import FieldError, ValidationFailed
from leadflow.integrations.common import (
    BOUNCE_TYPE_WIDTH,
    ItemResult,
    RecordLinks,
    check_width,
    deferred_ingestor,
    field_errors,
    rescore,
    run_item,
    scalars,
    touched,
)
from leadflow.integrations.segment_mapping import (
    CONTACT_TRAITS,
    EventMapping,
    GroupTraits,
    Identity,
    contact_fields,
    event_mapping,
    group_traits,
    identity,
    section,
    split_properties,
    text_id,
    timestamp,
)
from leadflow.services import custom_fields
from leadflow.services.ingestion import people
from leadflow.services.ingestion.inputs import FormContact, InteractionIn
from leadflow.services.ingestion.types import LEAD_INTERACTIONS

log = logging.getLogger("leadflow.integrations.segment")
CALLS = ("identify", "track", "page", "screen", "group", "alias")


def _invalid(loc: str, message: str) -> ValidationFailed:
    return ValidationFailed("Invalid message", errors=[FieldError(loc, message)])


class SegmentCalls:
    """Applies Segment messages to one company, each in its own savepoint."""

    def __init__(self, session: Session, company: Company) -> None:
        self.session = session
        self.company = company
        self.ingestor = deferred_ingestor(session, company, "segment")
        self.links = RecordLinks(session, company.id)
        self._events: EventMapping | None = None
        self._custom: set[str] | None = None

    def handle(self, message: Any) -> ItemResult:
        """Apply one message; a bad one is reported as an error and changes nothing."""
        return run_item(self.session, lambda: self._dispatch(message))

    def finish(self) -> None:
        """Rescore once for the whole post (scores are current when the answer is sent)."""
        rescore(self.ingestor)

    def _dispatch(self, message: Any) -> ItemResult:
        if not isinstance(message, dict):
            raise _invalid("", "a message must be a JSON object")
        handlers: dict[str, Callable[[dict[str, Any]], ItemResult]] = {
            "identify": self.identify, "track": self.track, "page": self.page,
            "group": self.group, "alias": self.alias, "screen": self.screen,
        }
        handler = handlers.get(message.get("type"))  # type: ignore[arg-type]
        if handler is None:
            raise _invalid("type", f"must be one of {', '.join(CALLS)} "
                                   f"(got {message.get('type')!r})")
        return handler(message)

    # -- the calls ---------------------------------------------------------------------------

    def identify(self, message: dict[str, Any]) -> ItemResult:
        """The contact (matched or created by email) takes the traits; anonymous ids join it."""
        traits = section(message, "traits")
        context_traits = _object(section(message, "context").get("traits"))
        who = identity(message, ("traits.email", traits.get("email")),
                       fallback=("context.traits.email", context_traits.get("email")))
        contact = self._contact(who)
        if contact is None:
            return ItemResult("ignored", reason="no email (traits.email, or an email as userId) "
                                                "and no userId or anonymousId seen before")
        try:
            form = FormContact.model_validate(contact_fields(traits, self._custom_keys()))
        except ValidationError as error:
            raise ValidationFailed("Invalid traits",
                                   errors=field_errors(error, "traits.")) from error
        people.update_from_form(self.session, self.company.id, contact, form)
        attached = self._identify(contact, who.identities)
        return ItemResult("updated", contact_id=contact.id, account_id=contact.account_id,
                          attached_visits=attached)

    def track(self, message: dict[str, Any]) -> ItemResult:
        """An interaction, when the event name maps to a type; unknown events are ignored."""
        event = message.get("event")
        if not isinstance(event, str) or not event.strip():
            raise _invalid("event", "a track call needs an event name")
        mapped = self._event_mapping().resolve(event)
        if mapped is None:
            log.info("Segment event %r ignored for company %s: no interaction type maps to it",
                     event, self.company.key)
            return ItemResult("ignored", reason=f"no interaction type for event '{event}'")
        key, added = mapped
        return self._interaction(message, key, section(message, "properties"), added)

    def page(self, message: dict[str, Any]) -> ItemResult:
        """A website visit, anonymous until the visitor is identified."""
        added = scalars({"name": message.get("name"), "category": message.get("category")})
        return self._interaction(message, "website_visited", section(message, "properties"),
                                 added)

    def group(self, message: dict[str, Any]) -> ItemResult:
        """The account (by groupId seen before, domain, then name) and the user's membership."""
        traits = group_traits(section(message, "traits"))
        group_id = text_id(message, "groupId")
        if group_id and len(group_id) > 200:
            raise _invalid("groupId", "at most 200 characters")
        found = queries.account_by_external_id(self.session, self.company.id, group_id) \
            if group_id else None
        account = found or people.account_for(self.session, self.company.id, traits.name,
                                              traits.domain)
        if account is None:
            raise _invalid("traits.name", "a group call needs traits.name or traits.website "
                                          "(or a groupId seen before)")
        self._update_account(account, traits, group_id)
        context_traits = _object(section(message, "context").get("traits"))
        who = identity(message, fallback=("context.traits.email", context_traits.get("email")))
        contact = self._contact(who)
        if contact is not None:
            contact.account_id = account.id
        self.session.flush()
        return ItemResult("updated", contact_id=contact.id if contact else None,
                          account_id=account.id)

    def alias(self, message: dict[str, Any]) -> ItemResult:
        """`previousId` (an anonymous id) and `userId` are the same person."""
        previous = text_id(message, "previousId")
        if not previous:
            raise _invalid("previousId", "an alias call needs a previousId")
        anonymous = identity({"anonymousId": previous})
        who = identity(message)
        contact = self._contact(who)
        if contact is None:
            # The previous id may be the one that is known: then the new userId joins it.
            contact = self._contact(anonymous)
            targets = [who.user] if who.user else []
        else:
            targets = anonymous.identities
        if contact is None or not targets:
            return ItemResult("ignored", reason="neither id belongs to a known contact")
        attached = self._identify(contact, targets)
        return ItemResult("updated", contact_id=contact.id, attached_visits=attached)

    def screen(self, message: dict[str, Any]) -> ItemResult:
        """Mobile screen views are acknowledged but not stored."""
        return ItemResult("ignored", reason="screen calls are not stored")

    # -- helpers -----------------------------------------------------------------------------

    def _interaction(self, message: dict[str, Any], key: str, properties: dict[str, Any],
                     added: Mapping[str, Any]) -> ItemResult:
        context = section(message, "context")
        context_traits = _object(context.get("traits"))
        lead = key in LEAD_INTERACTIONS
        who = identity(message, ("properties.email", properties.get("email")),
                       fallback=("context.traits.email", context_traits.get("email")))
        parts = split_properties(properties, context, set(CONTACT_TRAITS) if lead else set())
        check_width("properties.bounce_type", parts.bounce_type, BOUNCE_TYPE_WIDTH)
        ids, unknown = self.links.resolve(parts.references)
        body: dict[str, Any] = {
            "type": key, "occurred_at": timestamp(message), **self._person(who), **ids,
            "url": parts.url, "link": parts.link, "bounce_type": parts.bounce_type,
            "duration_seconds": parts.duration_seconds,
            "external_id": text_id(message, "messageId"),
            "attributes": {**parts.attributes, **unknown, **added},
        }
        if lead:  # a form's fields (in properties or the page's traits) update the contact
            fields = contact_fields({**context_traits, **properties}, self._custom_keys())
            body["contact"] = fields or None
        data = InteractionIn.model_validate(body)
        return ItemResult.of(self.ingestor.one(data))

    def _identify(self, contact: Contact, identities: list[str]) -> int:
        """Link the identities to the contact; returns how many earlier visits joined it."""
        attached = [i for ident in identities
                    for i in people.identify_visitor(self.session, self.company.id, ident,
                                                     contact)]
        touched(self.ingestor, contact, attached)
        return len(attached)

    def _person(self, who: Identity) -> dict[str, Any]:
        """The InteractionIn fields naming who did it."""
        if who.email:
            return {"contact_email": who.email, "visitor_id": who.anonymous or who.user}
        for ident in (who.user, who.anonymous):
            known = people.contact_of_visitor(self.session, self.company.id, ident) \
                if ident else None
            if known is not None:
                return {"contact_id": known.id, "visitor_id": who.anonymous}
        if who.user or who.anonymous:
            return {"visitor_id": who.user or who.anonymous}
        raise _invalid("userId", "a message needs a userId or an anonymousId")

    def _contact(self, who: Identity) -> Contact | None:
        """The contact by email (created when new), else by an identity seen before."""
        if who.email:
            email = who.email
            found = queries.contact_by_email(self.session, self.company.id, email)
            return found or people.insert_or_find(
                self.session, Contact(company_id=self.company.id, email=email, custom={}),
                lambda: queries.contact_by_email(self.session, self.company.id, email))
        for ident in (who.user, who.anonymous):
            known = people.contact_of_visitor(self.session, self.company.id, ident) \
                if ident else None
            if known is not None:
                return known
        return None

    def _update_account(self, account: Account, traits: GroupTraits,
                        group_id: str | None) -> None:
        for name in ("industry", "employees", "city", "country"):
            value = getattr(traits, name)
            if value is not None:
                setattr(account, name, value)
        if traits.name and account.name == account.domain:  # the name was only a placeholder
            account.name = traits.name
        if traits.domain and not account.domain and queries.account_by_domain(
                self.session, self.company.id, traits.domain) is None:
            account.domain = traits.domain
        if group_id and account.external_id is None and queries.account_by_external_id(
                self.session, self.company.id, group_id) is None:
            account.external_id = group_id

    def _event_mapping(self) -> EventMapping:
        if self._events is None:
            self._events = event_mapping(self.ingestor.type_catalog())
        return self._events

    def _custom_keys(self) -> set[str]:
        if self._custom is None:
            self._custom = set(custom_fields.definitions(self.session, self.company.id,
                                                         "contact"))
        return self._custom


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
