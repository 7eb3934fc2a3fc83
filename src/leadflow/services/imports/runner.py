"""Running an import: check the file, map its columns, then apply it chunk by chunk.

Each chunk is one unit of work given by the caller (one transaction per chunk). A crash
leaves the chunks already committed; running the same file again is safe because matching
makes an import idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leadflow.db.types import utcnow
from leadflow.services import custom_fields
from leadflow.services.imports.accounts import apply_accounts
from leadflow.services.imports.batch import Chunk
from leadflow.services.imports.columns import ColumnMap, load_mapping, map_columns
from leadflow.services.imports.contacts import apply_contacts
from leadflow.services.imports.leads import apply_leads
from leadflow.services.imports.report import KEPT_ERRORS, Summary
from leadflow.services.imports.rows import ParsedRow, RowError, RowParser
from leadflow.services.imports.source import BrokenFile, CsvSource, open_csv

UnitOfWork = Callable[[], AbstractContextManager[Session]]
ErrorSink = Callable[[RowError], None]
Progress = Callable[[int, int], None]
Apply = Callable[[Chunk, list[ParsedRow]], None]

KINDS: dict[str, tuple[str, Apply]] = {
    "contacts": ("contact", apply_contacts),
    "accounts": ("account", apply_accounts),
    "leads": ("lead", apply_leads),
}
CHUNK_ROWS = 1000


@dataclass
class ImportOptions:
    """What to import and how."""

    kind: str
    path: Path
    mapping: Path | None = None
    update: bool = True
    dry_run: bool = False
    chunk_rows: int = CHUNK_ROWS


@dataclass
class Plan:
    """A checked file and how its columns map: everything known before a row is written."""

    source: CsvSource
    columns: ColumnMap
    parser: RowParser


def plan_import(session: Session, company_id: int, options: ImportOptions) -> Plan:
    """Check the file and the mapping; raise ValidationFailed if either is unusable."""
    entity, _ = KINDS[options.kind]
    mapping = load_mapping(options.mapping) if options.mapping else None
    source = open_csv(options.path)
    definitions = custom_fields.definitions(session, company_id, entity)
    columns = map_columns(options.kind, source.header, definitions, mapping)
    return Plan(source, columns, RowParser(columns, definitions))


def run_import(
    units: UnitOfWork, company_id: int, options: ImportOptions, sink: ErrorSink,
    progress: Progress | None = None,
) -> Summary:
    """Import the file; row errors go to `sink`, and every row is counted in the summary."""
    with units() as session:
        plan = plan_import(session, company_id, options)
    summary = Summary(options.kind, str(options.path), options.dry_run,
                      warnings=list(plan.columns.warnings))
    _, apply = KINDS[options.kind]
    try:
        for lines in _chunks(plan.source.rows(), options.chunk_rows):
            good, failed, errors = _parse(plan.parser, lines)
            with units() as session:
                chunk = Chunk(session, company_id, options.update, utcnow())
                apply(chunk, good)
                chunk.settle()
            summary.counts["failed"] += failed
            _record(summary, chunk, errors, sink)
            if progress is not None:
                progress(lines[-1][0], plan.source.lines)
    except BrokenFile as error:
        # The rows before the break are imported; the caller reports both.
        summary.fatal = str(error)
    except DBAPIError as error:
        # Only a concurrent change should get here (rows are checked before writing).
        summary.fatal = (
            f"the database refused a chunk of rows ({error.orig}); the chunks before it were"
            " imported and running the import again is safe"
        )
    return summary


def _chunks(rows: Iterable[tuple[int, list[str]]], size: int) -> Iterator[
    list[tuple[int, list[str]]]
]:
    """Rows in lists of `size`; when the file breaks, the rows read before it still come."""
    batch: list[tuple[int, list[str]]] = []
    try:
        for row in rows:
            batch.append(row)
            if len(batch) == size:
                yield batch
                batch = []
    except BrokenFile:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def _parse(
    parser: RowParser, lines: list[tuple[int, list[str]]]
) -> tuple[list[ParsedRow], int, list[RowError]]:
    """The valid rows, how many rows failed, and their errors (a row may have several)."""
    good: list[ParsedRow] = []
    failed = 0
    errors: list[RowError] = []
    for number, cells in lines:
        parsed = parser.parse(number, cells)
        if isinstance(parsed, ParsedRow):
            good.append(parsed)
        else:
            failed += 1
            errors += parsed
    return good, failed, errors


def _record(summary: Summary, chunk: Chunk, parse_errors: list[RowError], sink: ErrorSink) -> None:
    """Add a committed chunk's outcomes to the summary and send its errors to the sink."""
    for name, count in chunk.counts.items():
        summary.counts[name] += count
    for kind, count in chunk.also_created.items():
        summary.also_created[kind] = summary.also_created.get(kind, 0) + count
    for error in sorted(parse_errors + chunk.errors, key=lambda e: e.row):
        sink(error)
        if len(summary.errors) < KEPT_ERRORS:
            summary.errors.append(error)
