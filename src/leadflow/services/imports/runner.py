"""Running an import: check the file, map its columns, then apply it chunk by chunk.

Each chunk is one unit of work given by the caller (one transaction per chunk). A crash
leaves the chunks already committed; running the same file again is safe because matching
makes an import idempotent, and a background job resumes after its last committed chunk
(see journal.py). Interactions are first put in `occurred_at` order (ordering.py). When the
rows are in, the leads they touched are rescored once, as of now (followup.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from leadflow.db import tables as t
from leadflow.db.database import Database
from leadflow.db.types import utcnow
from leadflow.services import custom_fields
from leadflow.services.imports import followup
from leadflow.services.imports.accounts import apply_accounts
from leadflow.services.imports.batch import Chunk
from leadflow.services.imports.columns import ColumnMap, load_mapping, map_columns
from leadflow.services.imports.contacts import apply_contacts
from leadflow.services.imports.interactions import InteractionParser, ingest_chunk
from leadflow.services.imports.journal import Journal
from leadflow.services.imports.leads import apply_leads
from leadflow.services.imports.ordering import Keyed, in_order
from leadflow.services.imports.report import KEPT_ERRORS, Summary
from leadflow.services.imports.rows import ParsedRow, RowError, RowParser
from leadflow.services.imports.source import BrokenFile, CsvSource, open_csv
from leadflow.services.ingestion.types import catalog

UnitOfWork = Callable[[], AbstractContextManager[Session]]
ErrorSink = Callable[[RowError], None]
Progress = Callable[[int, int], None]
Apply = Callable[[Chunk, list[ParsedRow]], None]
Parser = RowParser | InteractionParser

ENTITIES = {"contacts": "contact", "accounts": "account", "leads": "lead",
            "interactions": "contact"}  # whose custom fields a file may fill
APPLY: dict[str, Apply] = {
    "contacts": apply_contacts, "accounts": apply_accounts, "leads": apply_leads,
}
KINDS = tuple(ENTITIES)
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
    mapping_data: dict[str, str | None] | None = None  # a mapping already read (jobs)


@dataclass
class Plan:
    """A checked file and how its columns map: everything known before a row is written."""

    source: CsvSource
    columns: ColumnMap
    parser: Parser


def plan_import(session: Session, company_id: int, options: ImportOptions) -> Plan:
    """Check the file and the mapping; raise ValidationFailed if either is unusable."""
    entity = ENTITIES[options.kind]
    mapping = load_mapping(options.mapping) if options.mapping else options.mapping_data
    source = open_csv(options.path)
    definitions = custom_fields.definitions(session, company_id, entity)
    columns = map_columns(options.kind, source.header, definitions, mapping)
    if options.kind == "interactions":
        return Plan(source, columns, InteractionParser(columns, catalog(session, company_id),
                                                       definitions))
    return Plan(source, columns, RowParser(columns, definitions))


@contextmanager
def units(database: Database, dry_run: bool) -> Iterator[UnitOfWork]:
    """One transaction per chunk; or, for a dry run, one transaction rolled back at the end
    (so later chunks still see what earlier ones would have created)."""
    if not dry_run:
        yield database.transaction
        return
    with database.sessions() as session:
        session.begin()
        try:
            yield lambda: nullcontext(session)
        finally:
            session.rollback()


@dataclass
class Run:
    """One run of an import: where it writes, what it has done, and where it reports."""

    units: UnitOfWork
    company_id: int
    options: ImportOptions
    summary: Summary
    journal: Journal
    sink: ErrorSink
    progress: Progress | None
    rescoring: bool

    def commit(self, session: Session, counts: dict[str, int], also_created: dict[str, int],
               errors: list[RowError]) -> None:
        """Journal a step inside its transaction (totals as they will be once it commits)."""
        after = Summary(self.summary.kind, self.summary.file)
        after.restore(self.summary.totals())
        after.add(counts, also_created)
        self.journal.save(session, after.totals(), errors)

    def committed(self, counts: dict[str, int], also_created: dict[str, int],
                  errors: list[RowError]) -> None:
        """Count a committed step and report its errors."""
        self.summary.add(counts, also_created)
        for error in sorted(errors, key=lambda e: e.row):
            self.sink(error)
            if len(self.summary.errors) < KEPT_ERRORS:
                self.summary.errors.append(error)


def run_import(
    units: UnitOfWork, company_id: int, options: ImportOptions, sink: ErrorSink,
    progress: Progress | None = None, journal: Journal | None = None,
) -> Summary:
    """Import the file; row errors go to `sink`, and every row is counted in the summary."""
    journal = journal or Journal()
    with units() as session:
        plan = plan_import(session, company_id, options)
        rescoring = not options.dry_run and followup.rescoring_needed(session, company_id)
    summary = Summary(options.kind, str(options.path), options.dry_run,
                      warnings=list(plan.columns.warnings))
    summary.restore(journal.totals)
    run = Run(units, company_id, options, summary, journal, sink, progress, rescoring)
    try:
        if isinstance(plan.parser, InteractionParser):
            _interactions(run, plan, plan.parser)
        else:
            _records(run, plan, plan.parser)
    except BrokenFile as error:
        # The rows before the break are imported (and are rescored below); the caller
        # reports both.
        summary.fatal = str(error)
    except DBAPIError as error:
        # Only a concurrent change should get here (rows are checked before writing).
        summary.fatal = (
            f"the database refused a chunk of rows ({error.orig}); the chunks before it were"
            " imported and running the import again is safe"
        )
        return summary
    if rescoring:
        followup.rescore(units, company_id, journal, summary.totals)
    return summary


def _records(run: Run, plan: Plan, parser: RowParser) -> None:
    """Contacts, accounts or leads: chunks of rows in file order, matched and saved in bulk."""
    apply = APPLY[run.options.kind]
    rows = _after(plan.source.rows(), run.journal.imported_through)
    for lines in _chunks(rows, run.options.chunk_rows):
        good, failed, parse_errors = _parse(parser, lines)
        with run.units() as session:
            chunk = Chunk(session, run.company_id, run.options.update, utcnow())
            apply(chunk, good)
            chunk.settle()
            followup.leads_created(session, run.company_id, chunk.created.get("leads", []))
            if run.rescoring:
                followup.note_chunk(session, run.options.kind, chunk, run.journal.run_key)
            counts = {**chunk.counts, "failed": chunk.counts.get("failed", 0) + failed}
            errors = parse_errors + chunk.errors
            run.journal.imported_through = lines[-1][0]
            run.commit(session, counts, chunk.also_created, errors)
        run.committed(counts, chunk.also_created, errors)
        if run.progress is not None:
            run.progress(lines[-1][0], plan.source.lines)


def _interactions(run: Run, plan: Plan, parser: InteractionParser) -> None:
    """Interactions: check every row, put the good ones in occurred_at order, then ingest them
    a chunk at a time through the live Ingestor."""
    with run.units() as session:
        company = session.get(t.Company, run.company_id)
        assert company is not None
    check = Check(run, plan, parser)
    with in_order(check.rows()) as ordered:
        ranked = enumerate(ordered, start=1)
        todo = ((rank, row) for rank, row in ranked if rank > run.journal.imported_through)
        for batch in _chunks(todo, run.options.chunk_rows):
            rows = [row for _, row in batch]
            with run.units() as session:
                done = ingest_chunk(session, company, parser, rows, run.options.update)
                followup.leads_created(session, run.company_id, done.created_leads)
                if run.rescoring:
                    followup.note_contacts(session, run.company_id, run.journal.run_key,
                                           done.contacts)
                run.journal.imported_through = batch[-1][0]
                run.commit(session, done.counts, done.also_created, done.errors)
            run.committed(done.counts, done.also_created, done.errors)
            if run.progress is not None:
                run.progress(batch[-1][0], check.good)
    if check.broken is not None:
        raise check.broken


@dataclass
class Check:
    """The checking pass of an interactions import: yields the good rows, counts and reports
    the bad ones a chunk at a time (each only once, even when a resumed run checks again)."""

    run: Run
    plan: Plan
    parser: InteractionParser
    good: int = 0
    broken: BrokenFile | None = None  # rows before a break in the file are still imported

    def rows(self) -> Iterator[Keyed]:
        journal = self.run.journal
        try:
            for lines in _chunks(self.plan.source.rows(), self.run.options.chunk_rows):
                failed, errors = 0, []
                for number, cells in lines:
                    parsed = self.parser.parse(number, cells)
                    if isinstance(parsed, tuple):
                        self.good += 1
                        yield parsed
                    elif number > journal.checked_through:
                        failed += 1
                        errors += parsed
                if lines[-1][0] > journal.checked_through:
                    self._report(lines[-1][0], failed, errors)
        except BrokenFile as error:
            self.broken = error

    def _report(self, line: int, failed: int, errors: list[RowError]) -> None:
        counts = {"failed": failed}
        if self.run.journal.durable:
            with self.run.units() as session:
                self.run.journal.checked_through = line
                self.run.commit(session, counts, {}, errors)
        self.run.committed(counts, {}, errors)


def _after(rows: Iterable[tuple[int, list[str]]], line: int) -> Iterator[tuple[int, list[str]]]:
    """The rows after `line` (a resumed run skips what an earlier run committed)."""
    return iter(rows) if line <= 0 else (row for row in rows if row[0] > line)


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Rows in lists of `size`; when the file breaks, the rows read before it still come."""
    batch: list[Any] = []
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
