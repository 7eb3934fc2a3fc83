"""CSV import of contacts, accounts and leads (SPEC §6.3); see docs/import.md."""

from leadflow.services.imports.report import ErrorReport, Summary
from leadflow.services.imports.rows import RowError
from leadflow.services.imports.runner import KINDS, ImportOptions, UnitOfWork, run_import

__all__ = ["KINDS", "ErrorReport", "ImportOptions", "RowError", "Summary", "UnitOfWork",
           "run_import"]
