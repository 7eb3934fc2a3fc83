"""Putting rows in order with flat memory: an external merge sort over temporary files.

Rows are collected in runs of RUN_ROWS; each run is sorted in memory and, when the input is
larger than one run, written to a temporary file as JSON lines. The runs are then merged
(heapq.merge reads one line of each file at a time). Memory holds at most one run, whatever
the size of the input; a file that fits in one run never touches the disk.
"""

from __future__ import annotations

import heapq
import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

RUN_ROWS = 20_000  # about 20 MB of rows held in memory at most

# (sort key, file line, row data); the line breaks ties, so equal keys keep file order.
Keyed = tuple[str, int, dict[str, Any]]


@contextmanager
def in_order(rows: Iterable[Keyed], run_rows: int | None = None) -> Iterator[Iterator[Keyed]]:
    """`rows` sorted by (key, line); temporary files are removed when the block ends."""
    run_rows = run_rows or RUN_ROWS
    with tempfile.TemporaryDirectory(prefix="leadflow-sort-") as folder:
        runs: list[Path] = []
        run: list[Keyed] = []
        for row in rows:
            run.append(row)
            if len(run) >= run_rows:
                runs.append(_spill(Path(folder), len(runs), run))
                run = []
        run.sort(key=_order)
        if not runs:
            yield iter(run)
            return
        if run:
            runs.append(_spill(Path(folder), len(runs), run))
        handles = [path.open(encoding="utf-8") for path in runs]
        try:
            yield heapq.merge(*(_read(handle) for handle in handles), key=_order)
        finally:
            for handle in handles:
                handle.close()


def _order(row: Keyed) -> tuple[str, int]:
    return row[0], row[1]


def _spill(folder: Path, number: int, run: list[Keyed]) -> Path:
    run.sort(key=_order)
    path = folder / f"run-{number}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in run:
            handle.write(json.dumps(row, separators=(",", ":"), ensure_ascii=False) + "\n")
    return path


def _read(handle: IO[str]) -> Iterator[Keyed]:
    for text in handle:
        key, line, data = json.loads(text)
        yield key, line, data
