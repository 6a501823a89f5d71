"""Warnings shown at the user's line, however deep in the package they are raised."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointed at the first frame outside alfa_notebook: the line the user wrote.
    A fixed ``stacklevel`` points into the package as soon as a call path changes depth; Python
    3.12's ``skip_file_prefixes`` does what this does, 3.10 and 3.11 lack it."""
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
