"""What a turn leaves the user: the ``Answer``, a ``Batch`` of them, and ``frames`` (artifacts,
charts and citations as typed pandas DataFrames)."""
