"""Ingestion: interactions arrive, contacts are matched, leads are generated (SPEC §3)."""
