"""Give freed memory back to the system after the large stages of a registry-size run (issue 17).

glibc's malloc keeps the freed parts of its heaps (the many small and medium blocks of object arrays,
index hashes and Python strings) for reuse; at 10^6 patients that is more than a gigabyte after reading
or deriving. ``trim()`` returns them (``malloc_trim(0)``) and Arrow's memory pool its unused buffers.
Nothing happens where glibc is not the allocator (macOS, Windows, musl): the call is a no-op there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_found: dict = {}


def libc(name: str, argtypes=None, restype=None):
    """glibc's function ``name`` through ctypes (looked up once), or None where it is not there (not
    Linux, not glibc, or an old one)."""
    if name not in _found:
        _found[name] = None
        if sys.platform.startswith("linux"):
            try:
                fn = getattr(_libc(), name)
                if argtypes is not None:
                    fn.argtypes = argtypes
                if restype is not None:
                    fn.restype = restype
                _found[name] = fn
            except (OSError, AttributeError):
                pass
    return _found[name]


def _libc():
    """The C library: glibc's soname first (``ctypes.util.find_library`` runs ``ldconfig -p`` in a
    subprocess, ~0.1 s in every process that trims, e.g. each figure drawer), then the name it finds."""
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def trim() -> bool:
    """Return freed heap memory to the system; True when glibc's ``malloc_trim`` ran."""
    if "pyarrow" in sys.modules:
        try:
            sys.modules["pyarrow"].default_memory_pool().release_unused()
        except Exception:                          # noqa: BLE001  an old pyarrow: nothing to release
            pass
    fn = libc("malloc_trim")
    if fn is None:
        return False
    fn(0)
    return True
