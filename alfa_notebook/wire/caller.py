"""Warnings shown at the user's line, however deep in the package they are raised."""

from __future__ import annotations

import os
import sys
import warnings
from types import FrameType

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _ours(frame: FrameType | None) -> bool:
    return frame is not None and frame.f_code.co_filename.startswith(_PACKAGE)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointed at the user's line: the first frame that is neither the package's
    nor called by it (a ``functools.cached_property`` between two of the package's functions is
    passed over). A fixed ``stacklevel`` points into the package as soon as a call path changes
    depth; Python 3.12's ``skip_file_prefixes`` is the same idea, without the frames in between."""
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and (_ours(frame) or _ours(frame.f_back)):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
