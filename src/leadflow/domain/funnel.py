"""The words of the reports: the stages a lead passes through in order, and how a rate is given.

The life cycle (SPEC §5) is a path `nurture → sales_ready → accepted → qualified → opportunity
→ won` with one way out, `lost`, from any open stage. The funnel counts a lead as having reached
a stage of the path when it is in it now, was ever moved into or out of it, or reached a later
stage of the path (a lead created straight into `qualified` has passed the stages before it).
So the leads that reached a stage always include those that reached the next one.
"""

from __future__ import annotations

from leadflow.domain.lifecycle import STAGES

PATH = STAGES[:6]  # the way to a sale, in order; `lost` is the way out
OPEN_STAGES = PATH[:5]  # stages a lead leaves again; won and lost are final
RANK = {stage: position for position, stage in enumerate(PATH)}
ATTRIBUTION_DIMENSIONS = ("campaign", "landing_page", "event", "email")


def rate(part: int, whole: int) -> float | None:
    """`part / whole` rounded to 4 places; None when there is nothing to divide (not 0, which
    would claim a measured failure)."""
    if whole == 0:
        return None
    return round(part / whole, 4)


def hours(value: float | None) -> float | None:
    """Hours rounded to 2 places for people (None stays None)."""
    return None if value is None else round(float(value), 2)
