"""Reading data in chunks of rows, for fits that never hold the whole table in memory.

A *stream source* is a file (CSV, TSV, Parquet, JSON Lines), a directory of such files, a
glob pattern, a list of any of these, a DataFrame, or any iterable of DataFrames. Chunks
come as ``Chunk(frame, source, first_row)``: ``first_row`` counts the rows before the chunk
in its file, so error messages name the row in the file.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from galton.data.datasets import DATASETS
from galton.data.dialect import ReadOptions, file_kind, open_bytes
from galton.data.loading import read_table, text_layout
from galton.errors import DataError, first_line

#: Rows per chunk when nothing else says: about 100 MB of float64 for 100 columns.
DEFAULT_CHUNK_ROWS = 100_000


class Chunk(NamedTuple):
    """Some consecutive rows of a stream source."""

    frame: pd.DataFrame
    source: str  # the file (or object) the rows come from
    first_row: int  # rows of that file before these


def is_pattern(source: Any) -> bool:
    """Whether ``source`` is a path with glob wildcards."""
    return isinstance(source, str | Path) and any(ch in str(source) for ch in "*?[")


def stream_files(source: str | Path) -> list[Path]:
    """The files a path stands for: itself, a directory's data files, or a glob's matches
    (sorted, so a stream's order is reproducible)."""
    if is_pattern(source):
        files = sorted(Path(p) for p in glob.glob(str(source)) if Path(p).is_file())
        if not files:
            raise DataError(f"{source}: no files match")
        return files
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if file_kind(p)[0] and p.is_file())
        if not files:
            raise DataError(
                f"{source}: is a directory with no data files (CSV, Parquet, JSON Lines)"
            )
        return files
    if not path.is_file():
        raise DataError(f"{source}: no such file")
    return [path]


def stream_bytes(source: Any) -> int:
    """Bytes on disk of a path source (0 for objects in memory)."""
    if isinstance(source, str | Path):
        try:
            return sum(f.stat().st_size for f in stream_files(source))
        except DataError:
            return 0
    if isinstance(source, list | tuple):
        return sum(stream_bytes(s) for s in source)
    return 0


def iter_chunks(
    source: Any, chunk_rows: int = DEFAULT_CHUNK_ROWS, options: ReadOptions | None = None
) -> Iterator[Chunk]:
    """Yield chunks of at most ``chunk_rows`` rows from ``source`` (see the module); text
    files are read in their sniffed dialect, or as ``options`` say."""
    if isinstance(source, pd.DataFrame):
        name = str(source.attrs.get("source", "DataFrame"))
        for start in range(0, len(source), chunk_rows):
            yield Chunk(source.iloc[start : start + chunk_rows], name, start)
    elif isinstance(source, str | Path):
        if str(source) in DATASETS and not Path(source).exists():  # small: read whole
            yield from iter_chunks(read_table(str(source)), chunk_rows)
            return
        for path in stream_files(source):
            yield from _file_chunks(path, chunk_rows, options or ReadOptions())
    elif isinstance(source, Iterable):
        first_row = 0
        for part in source:
            if isinstance(part, str | Path):
                yield from iter_chunks(part, chunk_rows, options)
            elif isinstance(part, pd.DataFrame):  # rows counted over the whole stream
                yield Chunk(part, "stream", first_row)
                first_row += len(part)
            else:
                raise DataError(f"a stream yields DataFrames or paths, not {type(part).__name__}")
    else:
        raise DataError(f"cannot stream rows from a {type(source).__name__}")


def _file_chunks(path: Path, chunk_rows: int, options: ReadOptions) -> Iterator[Chunk]:
    kind, compression = file_kind(path)
    if kind is None or kind == "excel":
        raise DataError(
            f"{path}: cannot stream '{''.join(path.suffixes)}' files; use csv, tsv, text, "
            "parquet or jsonl (compressed or not)"
        )
    first_row = 0
    try:
        for frame in _frames(path, kind, compression, chunk_rows, options):
            yield Chunk(frame, str(path), first_row)
            first_row += len(frame)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except Exception as exc:  # parsers raise many types; the user needs one line
        first = first_line(exc)
        raise DataError(f"{path}: cannot read as {kind} after row {first_row}: {first}") from None


def _frames(
    path: Path, kind: str, compression: str | None, chunk_rows: int, options: ReadOptions
) -> Iterator[pd.DataFrame]:
    if kind in ("csv", "tsv", "text"):
        read, names = text_layout(path, kind, compression, options, path)
        with pd.read_csv(path, compression=compression, chunksize=chunk_rows, **read) as reader:
            for frame in reader:
                yield frame.set_axis(names, axis=1)
    elif kind == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetFile(path) as handle:
            for batch in handle.iter_batches(batch_size=chunk_rows):
                yield batch.to_pandas()
    else:
        with pd.read_json(
            path, lines=True, chunksize=chunk_rows, compression=compression
        ) as reader:
            yield from reader


_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_memory(text: str) -> int:
    """Bytes from ``"1GB"``, ``"512M"``, ``"2.5G"`` or a plain number of bytes."""
    clean = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = clean[-1:] if clean[-1:] in _UNITS else ""
    try:
        value = float(clean[: len(clean) - len(unit)])
    except ValueError:
        raise DataError(f"memory limit must look like 1GB or 512MB, got '{text}'") from None
    if not value > 0:
        raise DataError(f"memory limit must be positive, got '{text}'")
    return int(value * _UNITS[unit])


def total_memory() -> int:
    """Physical memory in bytes (8 GiB where the system does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def memory_limit(text: str | None) -> int:
    """Bytes from ``--memory-limit``'s text; by default a quarter of physical memory (the
    streaming threshold and budget)."""
    return parse_memory(text) if text else total_memory() // 4


#: Processing a chunk holds, at its peak, about this many float64 copies of its rows (the
#: parsed table, the design, its weighted copy, the stacked block and LAPACK's copy of it)
FLOAT_COPIES = 7
#: ... and this many copies of the text the rows were parsed from (the parser's buffer
#: and its tokens)
TEXT_COPIES = 2
#: The share of the memory left that chunks are sized for.
HEADROOM = 0.6


def resident_bytes() -> int:
    """This process's resident memory now (0 where the system does not say)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def chunk_rows_for(source: Any, memory_limit: int, options: ReadOptions | None = None) -> int:
    """Rows per chunk so that the whole process stays inside ``memory_limit``: what is
    left of it after the memory already in use, shared by the copies a chunk's processing
    holds at once (``FLOAT_COPIES``, ``TEXT_COPIES``). Row sizes come from the first 1000
    rows of ``source`` (a path or DataFrame; an iterator is not sampled, since that would
    consume it)."""
    if not isinstance(source, str | Path | pd.DataFrame | list | tuple):
        return DEFAULT_CHUNK_ROWS
    sample = next(iter_chunks(source, 1000, options), None)
    if sample is None or len(sample.frame) == 0:
        return DEFAULT_CHUNK_ROWS
    floats = 8 * (sample.frame.shape[1] + 1)
    parsed = sample.frame.memory_usage(deep=True).sum() / len(sample.frame)  # text columns
    per_row = FLOAT_COPIES * max(floats, parsed) + TEXT_COPIES * _text_bytes_per_row(sample)
    # a margin for what the allocator keeps between chunks and imports still to come
    budget = HEADROOM * max(memory_limit - resident_bytes(), memory_limit // 4)
    return int(np.clip(budget // per_row, 1000, 1_000_000))


def _text_bytes_per_row(sample: Chunk) -> float:
    """Bytes of (decompressed) text per row for text formats, from the first 64 KB (0
    otherwise)."""
    path = Path(sample.source)
    kind, compression = file_kind(path)
    if kind not in ("csv", "tsv", "text", "jsonl") or not path.is_file():
        return 0.0
    with open_bytes(path, compression) as handle:
        head = handle.read(1 << 16)
    return len(head) / max(head.count(b"\n"), 1)
