"""Opening a CSV file safely: encoding, delimiter, header, and a stream of numbered rows."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from leadflow.errors import ValidationFailed

BLOCK = 1 << 20
SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t")
MAX_FIELD = 16 * 1024 * 1024  # a 16 MiB cell is surely a broken file, not data
_SEP_LINE = re.compile(r"^sep=(.)\s*$")  # Excel's "sep=;" first line
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the breaks the csv module counts, no others


class BrokenFile(ValidationFailed):
    """The file cannot be read as CSV at some line (raised while streaming)."""


@dataclass
class CsvSource:
    """A checked CSV file: its delimiter, header and how many lines it has."""

    path: Path
    delimiter: str
    header: list[str]
    header_line: int
    lines: int

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number of the row's first line, values) for every non-blank row."""
        csv.field_size_limit(MAX_FIELD)
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            last_line = 0
            try:
                for values in reader:
                    start, last_line = last_line + 1, reader.line_num
                    if start <= self.header_line or not "".join(values).strip():
                        continue
                    yield start, values
            except csv.Error as error:
                raise BrokenFile(
                    f"{self.path}: line {last_line + 1} is not valid CSV ({error}); rows before"
                    " it were processed, fix the file and run the import again (that is safe)"
                ) from error


def open_csv(path: Path) -> CsvSource:
    """Check that `path` is a readable UTF-8 CSV file with a header; refuse it clearly if not."""
    if not path.exists():
        raise ValidationFailed(f"no such file: {path}")
    if path.is_dir():
        raise ValidationFailed(f"{path} is a directory, not a CSV file")
    lines = _check_text(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(SNIFF_BYTES)
    header_line, header_text, delimiter = _find_header(sample)
    if header_text is None:
        raise ValidationFailed(f"{path} is empty; a CSV file needs a header line")
    header = next(csv.reader([header_text], delimiter=delimiter))
    return CsvSource(path, delimiter, header, header_line, lines)


def _check_text(path: Path) -> int:
    """Read the whole file once (flat memory): it must be UTF-8 text. Returns its line count."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as handle:
        first = handle.read(4)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ValidationFailed(f"{path} is encoded as UTF-16; save it as UTF-8 (CSV UTF-8)")
        handle.seek(0)
        while block := handle.read(BLOCK):
            if b"\x00" in block:
                raise ValidationFailed(
                    f"{path} is not a CSV text file (it contains binary data; a spreadsheet?"
                    " save it as CSV UTF-8)"
                )
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                line = lines + block.count(b"\n", 0, error.start) + 1
                raise ValidationFailed(
                    f"{path} is not UTF-8 text (first bad byte on line {line}); save it as"
                    " CSV UTF-8"
                ) from error
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            raise ValidationFailed(f"{path} ends in the middle of a UTF-8 character") from error
    return lines + 1


def _find_header(sample: str) -> tuple[int, str | None, str]:
    """(line number, text, delimiter) of the first non-blank line of `sample`."""
    delimiter: str | None = None
    for number, line in enumerate(_LINE_BREAK.split(sample), start=1):
        if not line.strip():
            continue
        match = _SEP_LINE.match(line.strip()) if number == 1 else None
        if match:
            delimiter = match.group(1)
            continue
        return number, line, delimiter or _sniff(line)
    return 0, None, ","


def _sniff(header: str) -> str:
    """The delimiter used most often outside quotes in the header line (`,` on a tie)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","
