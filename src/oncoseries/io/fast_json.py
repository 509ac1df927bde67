"""``json.dumps(obj, indent=2)``, byte for byte, faster on long lists.

With ``indent`` set, the standard library encodes in Python, one call per value; results.json of a
registry holds lists of millions of patient ids (those left out of each model), a few seconds at 10^6
patients. Here a list of scalars is encoded in one pass of the C helpers (``encode_basestring_ascii``,
``float.__repr__``) and joined; dicts and nested lists recurse. Anything else (other types, non-finite
floats, non-string keys) is handed to ``json.dumps`` itself, so the output is always its output
(tests/io/test_fast_json.py compares them on random documents).
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii as _str

__all__ = ["dumps_indent2"]

_INDENT = "  "


class _Fallback(Exception):
    pass


def _scalar(v) -> str:
    t = type(v)
    if t is str:
        return _str(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if t is int:
        return int.__repr__(v)
    if t is float and math.isfinite(v):
        return float.__repr__(v)
    raise _Fallback


def _enc(o, level: int) -> str:
    t = type(o)
    if t is dict:
        if not o:
            return "{}"
        inner = "\n" + _INDENT * (level + 1)
        parts = []
        for k, v in o.items():
            if type(k) is not str:
                raise _Fallback
            parts.append(_str(k) + ": " + _enc(v, level + 1))
        return "{" + inner + ("," + inner).join(parts) + "\n" + _INDENT * level + "}"
    if t is list:
        if not o:
            return "[]"
        inner = "\n" + _INDENT * (level + 1)
        try:                                   # ids: the C helper on every item (TypeError: not all text)
            body = ("," + inner).join(map(_str, o))
        except TypeError:
            body = ("," + inner).join([_enc(v, level + 1) for v in o])
        return "[" + inner + body + "\n" + _INDENT * level + "]"
    return _scalar(o)


def dumps_indent2(obj) -> str:
    """``json.dumps(obj, indent=2)`` (ensure_ascii, no sort_keys)."""
    try:
        return _enc(obj, 0)
    except (_Fallback, RecursionError):
        return json.dumps(obj, indent=2)
