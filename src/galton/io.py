"""Model files: a data-only container that costs bounded time and memory to read.

Format 2 (written since galton 0.2) is a `safetensors <https://huggingface.co/docs/safetensors>`_
file: an 8-byte little-endian header length, a JSON header of at most ``MAX_HEADER_BYTES``
naming each array's dtype (from a short whitelist), shape and byte range, then the raw
little-endian array bytes, nothing else. galton's own metadata (model kind, parameters,
fitted state) is one JSON string in the header's ``__metadata__``. Nothing in a file is ever
executed: there is no pickle, no compression and no code, every offset and size is checked
against the file's real length before anything is allocated, JSON nesting is bounded, and
``galton.model_schema`` then validates every field before a model is built.

Format 1 files (a stored ``.npz`` zip, galton 0.1) are still read, through the same bounds:
only uncompressed members, ``.npy`` headers parsed without evaluation and their declared
sizes checked against the member's real length.

Integrity is not authenticity. The SHA-256 ``checksum`` over the metadata and every array
detects corruption and accidental edits; anyone can recompute it, so it proves nothing about
who wrote the file. A file written with a key also carries an HMAC-SHA256 ``signature``;
``read_model_file(path, key=...)`` refuses unsigned or wrongly signed files.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
import struct
import zipfile
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from galton.atomic import atomic_write
from galton.errors import ModelFileError

FORMAT = "galton-model"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
#: Largest JSON header accepted (safetensors itself allows 100 MB; galton's are kilobytes).
MAX_HEADER_BYTES = 16 * 1024 * 1024
#: Deepest JSON nesting accepted (galton writes at most 6).
MAX_JSON_DEPTH = 32
#: Largest model file read: ``GALTON_MAX_MODEL_BYTES`` overrides it.
MAX_FILE_BYTES = 4 * 1024**3
#: Most arrays in one file.
MAX_ARRAYS = 100_000
#: Keys longer than this are refused; a key shorter than this is refused as too weak.
MAX_KEY_BYTES, MIN_KEY_BYTES = 1 << 20, 16
SIGNING_KEY_ENV = "GALTON_SIGNING_KEY"

#: safetensors dtype names <-> numpy dtypes (little-endian), the only ones read or written.
DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAMES = {dtype: name for name, dtype in DTYPES.items()}
_ARRAY_NAME = re.compile(r"^[A-Za-z0-9_./-]{1,200}$")


def _canonical(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """A hash fed with the canonical metadata and every array's name, dtype, shape and bytes."""
    digest = hashlib.sha256()
    digest.update(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])  # as galton 0.1 hashed (0-d as (1,))
        digest.update(f"{name}|{arr.dtype.str}|{arr.shape}".encode())
        digest.update(arr.tobytes())
    return digest


def _checksum(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    return str(_canonical(meta, arrays).hexdigest())


def _signature(key: bytes, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    return hmac.new(key, _canonical(meta, arrays).digest(), hashlib.sha256).hexdigest()


def read_key(key: bytes | str | os.PathLike[str]) -> bytes:
    """The signing key: ``bytes`` are the key itself; a path names a file holding it.

    A trailing newline in the file is dropped. Keys under 16 bytes are refused as too weak.
    """
    if isinstance(key, bytes | bytearray):
        material = bytes(key)
    else:
        path = Path(key)
        try:
            if not path.is_file():
                raise ModelFileError(f"{path}: no such key file")
            if path.stat().st_size > MAX_KEY_BYTES:
                raise ModelFileError(f"{path}: a key file is at most {MAX_KEY_BYTES} bytes")
            material = path.read_bytes().rstrip(b"\r\n")
        except OSError as exc:
            raise ModelFileError(f"{path}: cannot read the key file ({exc.strerror})") from None
    if len(material) < MIN_KEY_BYTES:
        raise ModelFileError(f"a signing key needs at least {MIN_KEY_BYTES} bytes")
    return material


def key_from_environment() -> bytes | None:
    """The key named by ``GALTON_SIGNING_KEY``: a key file's path, or else the key itself."""
    value = os.environ.get(SIGNING_KEY_ENV)
    if not value:
        return None
    return read_key(value if Path(value).is_file() else value.encode())


def write_model_file(
    path: str | Path,
    meta: dict[str, Any],
    arrays: dict[str, np.ndarray],
    key: bytes | None = None,
) -> None:
    """Write ``meta`` (JSON-able) and numeric ``arrays`` to ``path`` atomically (format 2).

    ``key`` signs the file with HMAC-SHA256 (``read_key`` makes one from a file).
    """
    from galton import __version__

    arrays = {name: _little_endian(name, arr) for name, arr in arrays.items()}
    body = {"format": FORMAT, "format_version": FORMAT_VERSION, "galton_version": __version__}
    body.update(meta)
    body["checksum"] = _checksum(body, arrays)
    if key is not None:
        unsigned = {k: v for k, v in body.items() if k != "checksum"}
        body["signature"] = {"algorithm": "hmac-sha256", "value": _signature(key, unsigned, arrays)}
    header: dict[str, Any] = {"__metadata__": {"galton": json.dumps(body, allow_nan=True)}}
    offset = 0
    for name in sorted(arrays):
        arr = arrays[name]
        end = offset + arr.nbytes
        header[name] = {
            "dtype": _NAMES[arr.dtype],
            "shape": list(arr.shape),
            "data_offsets": [offset, end],
        }
        offset = end
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # safetensors aligns the data to 8 bytes

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(struct.pack("<Q", len(text)))
            handle.write(text)
            for name in sorted(arrays):
                handle.write(arrays[name].tobytes())

    atomic_write(path, write)


def _little_endian(name: str, arr: Any) -> np.ndarray:
    arr = np.asarray(arr)
    arr = arr if arr.flags.c_contiguous else arr.copy(order="C")  # 0-d stays 0-d
    dtype = arr.dtype.newbyteorder("<") if arr.dtype.byteorder not in "|" else arr.dtype
    if dtype not in _NAMES:
        raise ModelFileError(f"array '{name}' has dtype {arr.dtype}, which model files refuse")
    return arr.astype(dtype, copy=False)


def read_model_file(
    path: str | Path, key: bytes | None = None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a model file; returns ``(meta, arrays)``.

    Costs at most about twice the file's size in memory. Raises ``ModelFileError`` (one
    line) for anything that is not a well-formed galton file, a checksum mismatch, and, when
    ``key`` is given, a missing or wrong signature.
    """
    path = Path(path)
    size = _checked_size(path)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
            handle.seek(0)
            if magic == b"PK\x03\x04":
                meta, arrays = _read_npz(path, handle, size)
            else:
                meta, arrays = _read_safetensors(path, handle, size)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror})") from None
    _check_envelope(path, meta)
    stored = meta.pop("checksum", None)
    signature = meta.pop("signature", None)
    if stored != _checksum(meta, arrays):
        raise ModelFileError(f"{path}: checksum mismatch: the file is corrupted or was edited")
    if key is not None:
        _verify_signature(path, key, meta, arrays, signature)
    meta["signed"] = signature is not None
    return meta, arrays


def _verify_signature(
    path: Path, key: bytes, meta: dict[str, Any], arrays: dict[str, np.ndarray], signature: Any
) -> None:
    if signature is None:
        raise ModelFileError(f"{path}: the file is not signed, and a key was given")
    value = signature.get("value") if isinstance(signature, dict) else None
    if not isinstance(value, str) or not hmac.compare_digest(value, _signature(key, meta, arrays)):
        raise ModelFileError(f"{path}: the signature does not match this key")


def _max_file_bytes() -> int:
    try:
        return int(os.environ.get("GALTON_MAX_MODEL_BYTES", MAX_FILE_BYTES))
    except ValueError:
        return MAX_FILE_BYTES


def _checked_size(path: Path) -> int:
    """The size of ``path``, a regular file no larger than the limit."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model file ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise ModelFileError(f"{path}: not a regular file")
    if info.st_size > _max_file_bytes():
        raise ModelFileError(
            f"{path}: {info.st_size} bytes is over the {_max_file_bytes()}-byte limit "
            "for model files (GALTON_MAX_MODEL_BYTES)"
        )
    return info.st_size


def _corrupt(path: Path, what: str) -> ModelFileError:
    return ModelFileError(f"{path}: not a galton model file, or truncated or corrupted ({what})")


def json_depth(text: str) -> int:
    """How deeply the JSON ``text`` nests arrays and objects, found without parsing it."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    codes = np.frombuffer(bare.encode(), dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64)
    steps -= np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def parse_json(path: Path, text: bytes, what: str) -> Any:
    """``text`` parsed as JSON after its nesting depth is checked (no recursion errors)."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise _corrupt(path, f"{what} is not UTF-8") from None
    if json_depth(decoded) > MAX_JSON_DEPTH:
        raise ModelFileError(f"{path}: {what} nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(decoded)
    except (ValueError, RecursionError):
        raise _corrupt(path, f"{what} is not JSON") from None


def _read_safetensors(
    path: Path, handle: BinaryIO, size: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    if size < 8:
        raise _corrupt(path, "shorter than a header")
    (length,) = struct.unpack("<Q", handle.read(8))
    if not 2 <= length <= min(size - 8, MAX_HEADER_BYTES):
        raise _corrupt(path, f"header length {length}")
    header = parse_json(path, handle.read(length), "header")
    if not isinstance(header, dict):
        raise _corrupt(path, "header is not an object")
    extra = header.pop("__metadata__", None)
    if not isinstance(extra, dict) or not isinstance(extra.get("galton"), str):
        raise ModelFileError(f"{path}: not a galton model file (no galton metadata)")
    if len(header) > MAX_ARRAYS:
        raise _corrupt(path, "too many arrays")
    layout = [_tensor_layout(path, name, info) for name, info in header.items()]
    layout.sort(key=lambda item: item[3])
    data_size = size - 8 - length
    position = 0
    for name, _, _, begin, end in layout:
        if begin != position:
            raise _corrupt(path, f"array '{name}' does not start where the previous ended")
        position = end
    if position != data_size:
        raise _corrupt(path, f"arrays cover {position} of {data_size} data bytes")
    data = bytearray(data_size)
    if handle.readinto(data) != data_size:  # type: ignore[attr-defined]
        raise _corrupt(path, "truncated")
    arrays = {
        name: np.frombuffer(data, dtype=dtype, count=int(np.prod(shape)), offset=begin).reshape(
            shape
        )
        for name, dtype, shape, begin, _ in layout
    }
    meta = parse_json(path, extra["galton"].encode(), "metadata")
    return meta, arrays


def _tensor_layout(
    path: Path, name: str, info: Any
) -> tuple[str, np.dtype, tuple[int, ...], int, int]:
    """One header entry checked: a known dtype, a small shape, offsets matching its size."""
    if not _ARRAY_NAME.match(name):
        raise _corrupt(path, f"array name {name[:40]!r}")
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise _corrupt(path, f"array '{name}' entry")
    dtype = DTYPES.get(info["dtype"]) if isinstance(info["dtype"], str) else None
    shape, offsets = info["shape"], info["data_offsets"]
    if dtype is None:
        raise ModelFileError(f"{path}: array '{name}' has a dtype model files refuse")
    if not _int_list(shape, 0, 4) or not _int_list(offsets, 2, 2):
        raise _corrupt(path, f"array '{name}' shape or offsets")
    begin, end = offsets
    count = 1
    for dim in shape:
        count *= dim  # Python integers: a declared 10**12 cannot overflow or allocate
    if not 0 <= begin <= end or end - begin != count * dtype.itemsize:
        raise _corrupt(path, f"array '{name}' size does not match its shape")
    return name, dtype, tuple(shape), begin, end


def _int_list(value: Any, least: int, most: int) -> bool:
    return (
        isinstance(value, list)
        and least <= len(value) <= most
        and all(type(v) is int and v >= 0 for v in value)
    )


def _read_npz(
    path: Path, handle: BinaryIO, size: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A format-1 file: a zip of uncompressed ``.npy`` members, read within its own size."""
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            if len(members) > MAX_ARRAYS or sum(m.file_size for m in members) > size:
                raise _corrupt(path, "members larger than the file")
            arrays = {}
            for member in members:
                if member.compress_type != zipfile.ZIP_STORED:
                    raise _corrupt(path, "compressed member")
                name = member.filename.removesuffix(".npy")
                with archive.open(member) as stream:
                    arrays[name] = _read_npy(path, stream, member.file_size)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError) as exc:
        raise _corrupt(path, type(exc).__name__) from None
    raw = arrays.pop("__meta__", None)
    if raw is None or raw.dtype != np.uint8:
        raise ModelFileError(f"{path}: not a galton model file (no metadata)")
    meta = parse_json(path, raw.tobytes(), "metadata")
    out = {}
    for name, arr in arrays.items():
        if not name.startswith("a/") or not _ARRAY_NAME.match(name[2:]):
            raise _corrupt(path, f"member {name[:40]!r}")
        out[name[2:]] = arr
    return meta, out


def _read_npy(path: Path, stream: IO[bytes], member_size: int) -> np.ndarray:
    """One ``.npy`` member: its header parsed by numpy's literal parser, sizes checked first."""
    fmt = np.lib.format
    version = fmt.read_magic(stream)
    reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, fortran, dtype = reader(stream, max_header_size=10_000)
    if dtype.hasobject or dtype not in _NAMES and dtype.newbyteorder("<") not in _NAMES:
        raise ModelFileError(f"{path}: an array has a dtype model files refuse")
    count = 1
    for dim in shape:
        count *= int(dim)
    if len(shape) > 4 or count * dtype.itemsize > member_size:
        raise _corrupt(path, "array larger than its member")
    data = stream.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise _corrupt(path, "truncated array")
    arr = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return arr.astype(arr.dtype.newbyteorder("="), copy=False)


def _check_envelope(path: Path, meta: Any) -> None:
    """The fields every model file has, before anything else is trusted."""
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a galton model file")
    version = meta.get("format_version")
    if version not in READABLE_VERSIONS or type(version) is not int:
        raise ModelFileError(
            f"{path}: model file format {str(version)[:20]} is not supported "
            f"(this galton reads formats {', '.join(map(str, READABLE_VERSIONS))})"
        )
