"""Assignment (SPEC §4): a company's ordered rules route leads to owners. `assign_leads` is
the one function every trigger calls; `rules` manages the rules, `ondemand` runs them for a
person (one lead, a filter, or all, with a dry run)."""

from leadflow.services.assignment.runner import TRIGGERS, Outcome, assign_leads

__all__ = ["TRIGGERS", "Outcome", "assign_leads"]
