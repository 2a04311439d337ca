"""Keeping freed memory in the process between a training's steps.

Every step of a network's training allocates and frees the same large arrays (a layer's
activations: rows x width x 8 bytes, a megabyte or more). glibc's ``malloc`` hands arrays
over its mmap threshold back to the kernel on every ``free`` and trims the heap's free top,
so each step paid the kernel to map and zero those pages again: on age-income (2,700 rows,
64 x 64) a fit spent as long in the kernel as in arithmetic. Raising the two thresholds
once keeps those pages for reuse; the arithmetic, and so every result, is unchanged.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: Arrays up to this size come from the heap, not from a fresh mapping (glibc's own
#: ceiling for its adaptive threshold).
MMAP_THRESHOLD = 32 << 20
#: Free memory the heap may keep at its top before it is returned to the kernel.
TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers (malloc.h)
_done: list[bool] = []


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once; a no-op elsewhere,
    e.g. on macOS, Windows or musl). Returns whether they were set.

    The process may then hold up to ``TRIM_THRESHOLD`` bytes of freed memory instead of
    returning it to the kernel at once.
    """
    if _done:
        return _done[0]
    ok = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            mallopt = libc.mallopt  # glibc only: musl has none
            ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
            )
        except (OSError, AttributeError):
            ok = False
    _done.append(ok)
    return ok
