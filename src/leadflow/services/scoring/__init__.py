"""Scoring use cases: models' life cycle, rescoring, the ledger, explanations."""
