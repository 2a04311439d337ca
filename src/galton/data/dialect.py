"""How a text table is written: separator, decimal mark, thousands separator, encoding,
missing markers and compression, sniffed from the file and overridable.

The sniffing reads the first ``SNIFF_BYTES`` of the (decompressed) file: the encoding is
UTF-8 when that decodes, else Windows-1252 (a superset of Latin-1 for text) with a note;
the separator is the one of ``,;\\t|`` that splits the lines most consistently; a decimal
comma is recognised from numbers such as ``3,14`` under another separator, and a
thousands separator from numbers such as ``1.234,5`` or ``1,234.5``.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from galton.errors import DataError

#: Cells that mean "missing" unless the user says otherwise (``--na-values``).
MISSING_MARKERS = (
    *("", "NA", "N/A", "n/a", "na", "NaN", "nan", "?", "-", "."),
    *("null", "NULL", "None", "#N/A"),
)
#: Compression by the file's last extension.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}
#: Text tables by extension (after any compression extension); ``text`` is sniffed.
TEXT_KINDS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".txt": "text", ".dat": "text"}
SPREADSHEETS = {".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".ods": "excel"}
BINARY_KINDS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
#: Every kind of table by extension.
KINDS = {**TEXT_KINDS, **SPREADSHEETS, **BINARY_KINDS}
#: Bytes read to sniff the dialect.
SNIFF_BYTES = 1 << 16
SEPARATORS = ",;\t|"


@dataclass(frozen=True)
class ReadOptions:
    """What the user says about a file; ``None`` leaves it to the sniffing.

    Attributes
    ----------
    sep, decimal, thousands : str, optional
        Field separator, decimal mark, thousands separator.
    na_values : tuple of str, optional
        Cells read as missing (default ``MISSING_MARKERS``).
    encoding : str, optional
        Text encoding (default: UTF-8, else Windows-1252 with a note).
    sheet : str or int, optional
        Spreadsheet sheet, by name or 0-based position (default the first).
    """

    sep: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    na_values: tuple[str, ...] | None = None
    encoding: str | None = None
    sheet: str | int | None = None

    @property
    def markers(self) -> list[str]:
        return list(self.na_values if self.na_values is not None else MISSING_MARKERS)


@dataclass(frozen=True)
class TextDialect:
    """A text table's dialect, as sniffed (and overridden); ``notes`` say what was guessed
    that a user may want to know (an encoding fallback)."""

    sep: str
    decimal: str
    thousands: str | None
    encoding: str
    notes: list[str] = field(default_factory=list)
    #: Columns (by position) read as text: dotted dates such as ``01.03.2021``, which a
    #: thousands separator ``.`` would otherwise turn into the number 1032021.
    text_columns: tuple[int, ...] = ()

    def read_csv_options(self, markers: list[str]) -> dict[str, Any]:
        """Keyword arguments for ``pandas.read_csv``."""
        options: dict[str, Any] = {
            "sep": self.sep,
            "decimal": self.decimal,
            "thousands": self.thousands,
            "encoding": self.encoding,
            "na_values": markers,
            "keep_default_na": False,
        }
        if self.text_columns:
            options["dtype"] = dict.fromkeys(self.text_columns, str)
        return options


def file_kind(path: str | Path) -> tuple[str | None, str | None]:
    """The table kind (``csv``, ``tsv``, ``text``, ``parquet``, ``jsonl``, ``excel``) and the
    compression (``gzip``, ...) from a file name such as ``data.csv.gz``."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    kind = KINDS.get(last)
    if kind is None and compression:
        kind = "text"  # data.gz: a compressed text table, sniffed
    return kind, compression


def open_bytes(path: str | Path | IO[bytes], compression: str | None) -> Any:
    """The file's (decompressed) bytes as a binary stream (a context manager)."""
    if not isinstance(path, str | Path):
        return path
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    if compression == "zstd":
        try:
            import zstandard
        except ImportError:
            raise DataError(f"{path}: .zst files need zstandard: pip install zstandard") from None
        return zstandard.open(path, "rb")
    if compression == "zip":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if len(members) != 1:
            raise DataError(f"{path}: a .zip must hold exactly one data file, not {len(members)}")
        return archive.open(members[0])
    return open(path, "rb")


def _decode(sample: bytes, encoding: str | None, source: str) -> tuple[str, str, list[str]]:
    """The sample's text, the encoding that reads it and a note when it is not UTF-8."""
    if encoding is not None:
        try:
            return sample.decode(encoding, errors="strict"), encoding, []
        except (LookupError, UnicodeDecodeError) as exc:
            if isinstance(exc, LookupError):
                raise DataError(f"{source}: unknown encoding {encoding!r}") from None
            # a multi-byte character cut at the end of the sample is not an error
            return sample.decode(encoding, errors="ignore"), encoding, []
    if sample.startswith(b"\xef\xbb\xbf"):
        return sample[3:].decode("utf-8", errors="ignore"), "utf-8-sig", []
    try:
        return sample.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:  # a character cut by the sample's end
            return sample[: exc.start].decode("utf-8"), "utf-8", []
    note = f"{source}: not UTF-8; read as Windows-1252 (Latin-1); give --encoding if that is wrong"
    return sample.decode("cp1252", errors="replace"), "cp1252", [note]


def _separator(lines: list[str], kind: str | None) -> str:
    """The separator that splits the sample's lines into the same number (> 1) of fields
    most often; tab for a ``tsv`` file; a comma when nothing splits."""
    if kind == "tsv":
        return "\t"
    best, best_score = ",", 0.0
    for sep in SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=sep) if row]
        except csv.Error:
            continue
        if not counts:
            continue
        width, agree = Counter(counts).most_common(1)[0]
        score = agree / len(counts) * (width > 1) + (width > 1) * 1e-3 * min(width, 100)
        if score > best_score:
            best, best_score = sep, score
    if best_score == 0 and kind == "text" and all(len(line.split()) > 1 for line in lines[:20]):
        return r"\s+"  # whitespace-aligned columns
    return best


_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d+$")
_DECIMAL_POINT = re.compile(r"^[-+]?\d*\.\d+([eE][-+]?\d+)?$")
_THOUSANDS_POINT = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")
_THOUSANDS_COMMA = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _cells(lines: list[str], sep: str) -> list[str]:
    if sep == r"\s+":
        return [c for line in lines[1:] for c in line.split()]
    return [c.strip() for row in csv.reader(lines[1:], delimiter=sep) for c in row]


_DOTTED_DATE = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2,4}$")


def _dotted_dates(lines: list[str], sep: str) -> tuple[int, ...]:
    """Positions of the columns whose sampled cells are all dotted dates (or empty)."""
    if sep == r"\s+":
        rows = [line.split() for line in lines[1:]]
    else:
        rows = list(csv.reader(lines[1:], delimiter=sep))
    width = max((len(r) for r in rows), default=0)
    found = []
    for j in range(width):
        cells = [r[j].strip() for r in rows if j < len(r) and r[j].strip()]
        dated = sum(bool(_DOTTED_DATE.match(c)) for c in cells)
        if cells and dated >= 0.9 * len(cells):
            found.append(j)
    return tuple(found)


def _marks(cells: list[str], sep: str) -> tuple[str, str | None]:
    """The decimal mark and thousands separator the cells use."""
    comma = sum(bool(_DECIMAL_COMMA.match(c)) for c in cells)
    point = sum(bool(_DECIMAL_POINT.match(c)) for c in cells)
    grouped_point = sum(bool(_THOUSANDS_POINT.match(c)) for c in cells)
    grouped_comma = sum(bool(_THOUSANDS_COMMA.match(c)) for c in cells)
    if sep != "," and (comma > point or (grouped_point and not point)):
        return ",", "." if grouped_point else None
    if sep != "," and grouped_comma and not comma:
        return ".", ","
    return ".", None


def sniff(
    path: str | Path | IO[bytes],
    kind: str | None,
    compression: str | None,
    options: ReadOptions,
    source: str,
) -> TextDialect:
    """The dialect of a text table, from its first ``SNIFF_BYTES`` and the user's options."""
    if isinstance(path, str | Path):
        with open_bytes(path, compression) as handle:
            sample = handle.read(SNIFF_BYTES)
    else:  # standard input, already in memory: read and rewind, not closed
        sample = path.read(SNIFF_BYTES)
        path.seek(0)
    text, encoding, notes = _decode(sample, options.encoding, source)
    lines = text.splitlines()
    if len(sample) == SNIFF_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    sep = options.sep if options.sep is not None else _separator(lines[:200], kind)
    decimal, thousands = _marks(_cells(lines[:200], sep), sep)
    dates = _dotted_dates(lines[:200], sep)
    dialect = TextDialect(sep, decimal, thousands, encoding, notes, dates)
    if options.decimal is not None:
        dialect = replace(dialect, decimal=options.decimal, thousands=options.thousands)
    elif options.thousands is not None:
        dialect = replace(dialect, thousands=options.thousands)
    if dialect.thousands == dialect.decimal or dialect.thousands == dialect.sep:
        dialect = replace(dialect, thousands=None)
    return dialect


def read_stdin() -> io.BytesIO:
    """Standard input, whole, as a seekable binary stream (``-`` as DATA)."""
    import sys

    return io.BytesIO(sys.stdin.buffer.read())
