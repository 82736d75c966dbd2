"""Plain, canonical JSON for derived views, so equal content always has an equal hash.

Snapshots are deduplicated by the hash of their payload: a rerun on unchanged data must produce the
same bytes. That needs three things this module does once for every view: numpy and pandas scalars
become Python ones, floats are rounded (summation order must not flip the 15th digit), and keys are
sorted when serialising.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

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


def dumps(value: Any, *, plain: bool = False) -> str:
    """Canonical text: sorted keys, no spaces, UTF-8 kept readable.

    ``plain=True`` skips the deep conversion for data already made of rounded Python values (portrait
    rows: converting 10 000 nested rows twice would cost seconds); a stray numpy scalar still converts.
    """
    data = value if plain else jsonable(value)
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_scalar)


def digest(value: Any, *, plain: bool = False) -> str:
    """SHA-256 of the canonical text of ``value``."""
    return hashlib.sha256(dumps(value, plain=plain).encode("utf-8")).hexdigest()
