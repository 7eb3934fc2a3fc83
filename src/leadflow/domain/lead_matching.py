"""Which lead an incoming lead interaction belongs to (SPEC §3.2), as pure decisions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MarketingContext:
    """A lead's marketing context: a campaign (with its program), a program, or the company."""

    campaign_id: int | None
    program_id: int | None


@dataclass(frozen=True)
class ScopeTarget:
    """Who a lead is about: one contact, or one account."""

    scope: str
    contact_id: int
    account_id: int | None

    @property
    def target_id(self) -> int:
        return self.contact_id if self.scope == "contact" else self.account_id  # type: ignore[return-value]


def context_for(
    strategy: str, campaign_id: int | None, campaign_program_id: int | None,
    program_id: int | None,
) -> MarketingContext:
    """The context `leads.creation_strategy` gives, falling back to the most specific one
    the interaction has when it lacks the one asked for."""
    program = program_id if program_id is not None else campaign_program_id
    if strategy == "company":
        return MarketingContext(None, None)
    if strategy == "program":
        if program is not None:
            return MarketingContext(None, program)
        return MarketingContext(campaign_id, None)
    if campaign_id is not None:
        return MarketingContext(campaign_id, campaign_program_id)
    return MarketingContext(None, program)


def target_for(creation_scope: str, contact_id: int, account_id: int | None) -> ScopeTarget:
    """One lead per contact, or per account (a contact without one falls back to contact)."""
    if creation_scope == "account" and account_id is not None:
        return ScopeTarget("account", contact_id, account_id)
    return ScopeTarget("contact", contact_id, account_id)


def open_key(target: ScopeTarget, context: MarketingContext) -> str:
    """The key that is unique among a company's open automatically created leads."""
    campaign = context.campaign_id if context.campaign_id is not None else "-"
    program = context.program_id if context.program_id is not None else "-"
    return f"{target.scope}:{target.target_id}:{campaign}:{program}"
