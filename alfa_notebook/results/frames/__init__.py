"""Alfa artifacts as typed pandas DataFrames, driven by the declared schema.

Every column's dtype comes from its declared ``col_type``, never from its values. Only JSON ``null`` (``None``; ``NaN`` too, which the backend sends as null anyway) is
missing: the strings ``"NA"``, ``"N/A"`` and ``"null"`` are values, so the ticker ``NA`` stays
``"NA"`` and the CUSIP ``"00724F101"`` keeps its zeros. Missing cells become the missing value
of the column's dtype (``<NA>`` or ``NaT``).

``col_type`` to dtype
=====================

=====================  ======================  ===============================================
col_type               dtype                   why
=====================  ======================  ===============================================
integer                ``Int64``               nullable: a null stays missing, ints stay ints
integer_with_unit      ``Int64``               as integer; the unit is in the column metadata
float                  ``Float64``             nullable, like every numeric column (see below)
float_with_unit        ``Float64``             as float; unit in metadata
currency               ``Float64``             the unit is the ISO currency code
delta                  ``Float64``             a raw change
percent                ``Float64``             kept as a fraction: 0.25 is 25 %, never rescaled
pct_delta              ``Float64``             a fraction too: +0.031 is +3.1 %
score                  ``Float64``             the ``val`` of each score object
boolean                ``boolean``             nullable
string                 ``string``              ``pd.StringDtype()``, whatever ``infer_string`` says
stock                  ``string``              the symbol, else the ISIN (the backend's own label)
date                   ``datetime64[us]``      naive; ``us``: pandas 3's unit for parsed text,
                                               lossless for Python datetimes, reaches 9999-12-31
datetime               ``datetime64[us, UTC]`` tz-aware; text without an offset is read as UTC
quarter                ``period[Q-DEC]``       ``"2024Q2"``; arithmetic and sorting work
month                  ``period[M]``           ``"2024-05"``
year                   ``period[Y-DEC]``       ``"2024"``: the backend says it is no integer
(unknown)              ``object``              cells kept as given, with a warning
=====================  ======================  ===============================================

Numeric columns are all nullable extension dtypes so that one rule holds for the whole frame:
missing is ``<NA>`` and ``df.isna()`` means the same in every column. That is the default
``dtype_backend="numpy_nullable"``; ``"pyarrow"`` gives ``pd.ArrowDtype`` columns and ``"numpy"``
plain numpy dtypes (``float64`` with ``NaN``, so ``df[cols].to_numpy()`` is a float array); see
:mod:`.backends`. ``units="label"`` writes each column's unit into its label, "Market cap (USD bn)",
where merges, concatenation and files keep it; see :mod:`.units`.

Text cells in ``date``/``datetime`` columns must be ISO 8601; ``quarter`` ``YYYYQq`` (``YYYY-Qq``
and a lower-case ``q`` accepted), ``month`` ``YYYY-MM``, ``year`` ``YYYY``. ``stock`` cells are
stock objects (a bare string is taken as the symbol); ``score`` cells are score objects (a bare
number is taken as the value; ``source`` and ``sub_scores`` stay in the raw artifact). A stock
without symbol shows its ISIN (as the backend labels chart series); with neither it is
``<NA>``. An ``integer`` column takes integral floats (``3.0``) and refuses others.

Errors
======

A row whose length differs from the columns, or a cell that its column's type cannot hold
(``"12"`` in an ``integer`` column, ``1`` in a ``string`` column, ``"2024/13"`` in a ``month``
column), raises :class:`TableConversionError` naming the column and the row. Nothing is ever
shifted or coerced silently. An unknown ``col_type`` is the one documented fallback: the
column keeps its cells as ``object`` and a :class:`TableConversionWarning` names it.

Labels
======

A column is labelled ``display_name`` when present, else ``name`` (both as ``str``). Columns
with ``is_visible: false`` are dropped unless ``include_hidden=True``. Duplicate labels are
made unique in ``pandas.read_csv``'s style: the first keeps its label, the next ones become
``Return.1``, ``Return.2``, ... skipping any label another column already has.
``expand_stocks=True`` adds ``<label>.company_name``, ``<label>.isin``, ``<label>.gbi_id``,
``<label>.sector``, ... right after each stock column (fields of the stock objects, in that
order, then any others the objects carry, as ``object``).

``DataFrame.attrs``
===================

JSON values only (pandas writes ``attrs`` to parquet and feather as JSON, and reads them back
equal), held in read-only dicts and lists (:class:`ReadOnlyDict`, ``ReadOnlyList``: ``dict`` and
``list`` subclasses), so that the deep copy pandas makes
of ``attrs`` on nearly every operation costs nothing; per-column entries are keyed by frame label.
``df.alfa`` (:class:`AlfaAccessor`) reads them: ``df.alfa.citations(row=0, column="Revenue")``.

``alfa_kind``
    ``"table"``, ``"chart"`` or ``"citations"``.
``alfa_artifact_id``, ``alfa_thread_id``, ``alfa_message_id``, ``alfa_title``
    Provenance (``None`` when unknown).
``alfa_columns``
    ``{label: {"name", "label", "display_name", "col_type", "dtype", "unit", "is_highlighted",
    "is_visible", "original_order", "position", "citation_ids", "row_citation_ids",
    "source_column", "stock_field"}}`` for every column of the frame, in frame order.
    ``col_type`` is the raw declared type (also when unknown); ``position`` the index in the
    artifact's ``columns``; ``citation_ids`` the column-level citation ids and
    ``row_citation_ids`` ``{row: [ids]}`` the cell-level ones (``row`` is the frame's index
    label, which is the artifact's row index, written as text as JSON keys are: ``"0"``);
    ``source_column`` and ``stock_field`` are set
    on the columns that ``expand_stocks`` adds.
``alfa_hidden_columns``
    Names of the hidden columns left out of the frame.
``alfa_stocks``
    ``{label: {identifier: stock object}}`` per stock column: every stock of the column under
    the value shown in the cell (the first one wins if two stocks share a symbol; the
    expanded columns are exact per row).
``alfa_citations``
    ``{citation id: citation}``: the table's citations and those its columns and cells refer
    to, in that order, each as the JSON object the service sent (``Citation.from_raw`` reads it).
``alfa_graph`` (charts only)
    ``{"graph_type", "series_type", "x_type", "x_unit", "y_type", "y_unit"}``.

Charts
======

:func:`chart_to_dataframe` gives a tidy long frame with columns ``series``, ``x``, ``y``, each
typed by the graph's declared types through the same converters:

* line: one row per point; ``series`` is the dataset id (``dataset_id_type``), ``x``
  ``x_val`` (``x_axis_type``), ``y`` ``y_val`` (``y_axis_type``, ``y_unit``);
* bar: one row per bar; ``series`` is the bar's ``label`` (``label_type``), ``x`` the group
  ``index`` (``index_type``), ``y`` the ``value`` (``data_type``, ``data_unit``);
* pie: one row per slice; ``series`` is the chart title (``"pie"`` without one), ``x`` the
  slice ``label`` (``label_type``), ``y`` the ``value`` (``data_type``, ``unit``); slice
  citations are the ``y`` column's ``row_citation_ids``.

Display
=======

:func:`format_column` (and :func:`format_frame` for a whole frame) is the one place that knows
how a value of each ``col_type`` reads: ``25.0%``, ``+3.1%``, ``$1,234.50`` (USD),
``EUR 1,234.50``, ``2024-05-01``, ``2024Q2``, and ``—`` for a missing value.
"""

from __future__ import annotations

from ...wire.models import artifact_kind
from .accessor import AlfaAccessor, NotAnAlfaFrameError
from .backends import DEFAULT_DTYPE_BACKEND, DTYPE_BACKENDS, check_dtype_backend
from .charts import chart_to_dataframe
from .citations import citations_to_dataframe, table_citations
from .coltypes import (
    COLUMN_TYPES,
    MISSING_TEXT,
    ArtifactKindError,
    ColumnType,
    TableConversionError,
    TableConversionWarning,
    column_dtype,
)
from .convert import artifact_to_dataframe
from .display import format_column, format_frame, format_value
from .readonly import ReadOnlyDict, ReadOnlyList
from .schema import table_to_dataframe
from .units import DEFAULT_UNITS, UNIT_MODES, check_units

__all__ = [
    "COLUMN_TYPES",
    "DEFAULT_DTYPE_BACKEND",
    "DEFAULT_UNITS",
    "DTYPE_BACKENDS",
    "MISSING_TEXT",
    "UNIT_MODES",
    "AlfaAccessor",
    "ArtifactKindError",
    "ColumnType",
    "NotAnAlfaFrameError",
    "ReadOnlyDict",
    "ReadOnlyList",
    "TableConversionError",
    "TableConversionWarning",
    "artifact_kind",
    "artifact_to_dataframe",
    "chart_to_dataframe",
    "check_dtype_backend",
    "check_units",
    "citations_to_dataframe",
    "column_dtype",
    "format_column",
    "format_frame",
    "format_value",
    "table_citations",
    "table_to_dataframe",
]
