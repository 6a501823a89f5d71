"""dtype backends, named as pandas names them: which array each converted column is handed out as.

* ``"numpy_nullable"`` (the default): pandas' masked arrays (``Int64``, ``Float64``, ``boolean``,
  ``string``); missing is ``<NA>`` everywhere.
* ``"pyarrow"``: ``pd.ArrowDtype`` columns, which parquet, polars and DuckDB take without a copy.
* ``"numpy"``: plain numpy dtypes, so numpy works on ``df[cols].to_numpy()`` directly: ``float64``
  with ``NaN``; ``int64`` and ``bool`` when nothing is missing, else ``float64`` with ``NaN`` and
  ``object`` with ``None``; text as ``object`` with ``None``.

Dates stay ``datetime64[us]`` (tz-aware ``datetime``\\ s keep UTC), periods stay ``period[...]``
and unknown columns ``object`` under every backend: neither numpy nor Arrow has a period type.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...wire.errors import ConfigurationError, OptionalDependencyError
from .coltypes import ArrayLike

DTYPE_BACKENDS = ("numpy_nullable", "pyarrow", "numpy")
DEFAULT_DTYPE_BACKEND = "numpy_nullable"


def check_dtype_backend(name: Any) -> str:
    """``name`` if it is one of pandas' backend names, else a one-line ConfigurationError."""
    if name not in DTYPE_BACKENDS:
        raise ConfigurationError(
            f"dtype_backend {name!r} is not one of {', '.join(map(repr, DTYPE_BACKENDS))} (pandas' names)"
        )
    if name == "pyarrow":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise OptionalDependencyError(
                "dtype_backend='pyarrow' needs pyarrow, which is not installed: pip install pyarrow "
                "(or use the default, 'numpy_nullable')"
            ) from None
    return str(name)


def _stays(array: ArrayLike) -> bool:
    """Periods, objects and datetimes are the same under every backend."""
    return isinstance(array, (np.ndarray, pd.arrays.PeriodArray, pd.arrays.DatetimeArray))


def to_backend(array: ArrayLike, backend: str) -> ArrayLike:
    """``array`` (as the converters make it, i.e. numpy_nullable) under ``backend``."""
    if backend == "numpy_nullable" or _stays(array):
        return array
    if backend == "pyarrow":
        import pyarrow as pa

        return pd.arrays.ArrowExtensionArray(pa.array(array, from_pandas=True))
    return _to_numpy(array)


def _to_numpy(array: Any) -> np.ndarray:
    """A masked array (``Float64``, ``Int64``, ``boolean``, ``string``) as numpy."""
    if isinstance(array, pd.arrays.FloatingArray):
        return array.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = bool(array.isna().any())
    if isinstance(array, pd.arrays.IntegerArray):
        return array.to_numpy(dtype=np.float64, na_value=np.nan) if missing else array.to_numpy(dtype=np.int64)
    if isinstance(array, pd.arrays.BooleanArray) and not missing:
        return array.to_numpy(dtype=np.bool_)
    return array.to_numpy(dtype=object, na_value=None)
