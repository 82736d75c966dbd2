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


def jsonable(value: Any, decimals: int = DECIMALS) -> Any:
    """``value`` as plain JSON types: numpy scalars unwrapped, NaN as None, floats rounded."""
    if value is None or isinstance(value, (bool, str)):
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
