"""The shapes of the reports: the API answers with them (so OpenAPI documents every field) and
the CLI prints them, so both always say the same thing."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Dimension = Literal["campaign", "landing_page", "event", "email"]


class AppliedFilters(BaseModel):
    """The filters the report was computed with (records by natural key, times in UTC)."""

    campaign: str | None = None
    program: str | None = None
    owner: str | None = None
    created_from: str | None = None
    created_to: str | None = None


class StageCount(BaseModel):
    stage: str
    leads: int = Field(description="Leads in this stage now.")
    reached: int = Field(description="Leads that are or ever were in this stage, or reached a "
                         "later stage of the path (for `lost`: are or ever were lost).")


class Conversion(BaseModel):
    from_stage: str
    to_stage: str
    reached_from: int = Field(description="Leads that reached `from_stage`.")
    reached_to: int = Field(description="Of those, leads that reached `to_stage`.")
    rate: float | None = Field(description="reached_to / reached_from (null when no lead "
                               "reached from_stage).")


class StageTime(BaseModel):
    stage: str
    stays: int = Field(description="Finished stays: times a lead entered and left the stage.")
    avg_hours: float | None = Field(description="Average hours of the finished stays.")
    median_hours: float | None = Field(description="Median hours of the finished stays.")
    current: int = Field(description="Leads in the stage now.")
    current_avg_hours: float | None = Field(
        description="Average hours the leads in the stage now have spent in it so far.")


class Funnel(BaseModel):
    """Leads per stage, conversion between consecutive stages of the path, and time in stage."""

    filters: AppliedFilters
    total: int = Field(description="Leads counted (after filters).")
    stages: list[StageCount]
    conversions: list[Conversion]
    time_in_stage: list[StageTime]


class Revenue(BaseModel):
    currency: str | None
    amount: float = Field(description="Sum of estimated_revenue of won opportunities.")
    opportunities: int = Field(description="Won opportunities counted.")


class Outcome(BaseModel):
    """What the leads of one initiative (or of none, or of all) came to."""

    id: int | None = None
    key: str | None = None
    name: str | None = None
    leads: int = Field(description="Leads created (in the filtered period).")
    sales_ready: int = Field(description="Of those, leads that are or ever were sales-ready.")
    won: int
    lost: int
    revenue: list[Revenue] = Field(description="Revenue of won opportunities, per currency.")
    influenced: int | None = Field(
        default=None, description="Leads (of any origin) with an interaction of this "
        "initiative linked to them; null on the unattributed and total rows.")
    sales_ready_rate: float | None = Field(description="sales_ready / leads")
    win_rate: float | None = Field(description="won / leads")
    close_rate: float | None = Field(description="won / (won + lost)")


class Attribution(BaseModel):
    """Per initiative: leads created, sales-ready, won and revenue."""

    by: Dimension
    filters: AppliedFilters
    items: list[Outcome] = Field(description="Every initiative of the company, most leads first.")
    unattributed: Outcome = Field(description="Leads without an initiative in this dimension.")
    totals: Outcome = Field(description="All leads counted.")
