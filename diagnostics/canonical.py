"""Plain, canonical JSON for derived views, so equal content always has an equal hash.

Snapshots are deduplicated by the hash of their payload: a rerun on unchanged data must produce the
same bytes. That needs three things this module does once for every view: numpy and pandas scalars
become Python ones, floats are rounded (summation order must not flip the 15th digit), and keys are
sorted when serialising.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson

DECIMALS = 6
_INFINITIES = (math.inf, -math.inf)


class Canonical(dict[str, Any]):
    """A JSON object already in canonical form, which ``jsonable`` hands back as it is.

    An enterprise workbook's input holds its explanation trails (most of its ~800 values), made
    canonical once when the trail is read; converting them again in every enclosing ``jsonable`` was
    most of the time of building 10 000 report inputs. Only ``canonical()`` makes one, and nobody
    changes one afterwards (``Canonical(c)`` of a Canonical ``c`` is a shallow copy, still canonical).
    """


def canonical(value: Mapping[Any, Any], decimals: int = DECIMALS) -> Canonical:
    """``jsonable_dict(value)``, marked so that later conversions skip it."""
    return Canonical(jsonable_dict(value, decimals))


def jsonable(value: Any, decimals: int = DECIMALS) -> Any:
    """``value`` as plain JSON types: numpy scalars unwrapped, NaN as None, floats rounded."""
    # fast path by exact type for what payloads are mostly made of (a report input is ~800 values and
    # 10 000 are built per census); anything else takes the general checks below, with the same results
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is Canonical and decimals == DECIMALS:
        return value
    if t is float:
        if value != value or value in _INFINITIES:
            return None
        r = round(value, decimals)
        return 0.0 if r == 0 else r  # no "-0.0"
    if t is dict:
        return {k if type(k) is str else str(k): jsonable(v, decimals) for k, v in value.items()}
    if t is list:
        return [jsonable(v, decimals) for v in value]
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            return None
        r = round(f, decimals)
        return 0.0 if r == 0 else r  # no "-0.0"
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, decimals) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = list(value)
        if isinstance(value, (set, frozenset)):
            items = sorted(items, key=str)
        return [jsonable(v, decimals) for v in items]
    if hasattr(value, "item"):  # pandas / numpy 0-d
        return jsonable(value.item(), decimals)
    return str(value)


def jsonable_dict(value: Mapping[Any, Any], decimals: int = DECIMALS) -> dict[str, Any]:
    """``jsonable`` for a mapping, typed as the JSON object it returns (the views are all objects)."""
    return {str(k): jsonable(v, decimals) for k, v in value.items()}


def _scalar(value: Any) -> Any:
    if hasattr(value, "item"):
        return jsonable(value.item())
    raise TypeError(f"{type(value).__name__} is not JSON data")


_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def dump_bytes(value: Any, *, plain: bool = False) -> bytes:
    """Canonical UTF-8 bytes: sorted keys, no spaces, text kept readable (not ``\\u`` escaped).

    ``plain=True`` skips the deep conversion for data already made of rounded Python values (portrait
    rows: converting 10 000 nested rows twice would cost seconds); a stray numpy scalar still converts.
    orjson, not ``json``: naming 10 000 report files and storing 100 000 portraits serialises every
    value, and orjson does it ~7x faster (1.6 ms against 0.2 ms per enterprise report input). Keys are
    sorted as text, and NaN (only possible with ``plain``) is written as ``null``.
    """
    data = value if plain else jsonable(value)
    return orjson.dumps(data, default=_scalar, option=_OPTIONS)


def dumps(value: Any, *, plain: bool = False) -> str:
    """``dump_bytes`` as text."""
    return dump_bytes(value, plain=plain).decode("utf-8")


def digest(value: Any, *, plain: bool = False) -> str:
    """SHA-256 of the canonical text of ``value``."""
    return hashlib.sha256(dump_bytes(value, plain=plain)).hexdigest()
