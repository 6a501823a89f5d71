"""The public names: which they are, and the module they report.

The one list of public names is the ``TYPE_CHECKING`` block at the end of ``__init__.py``: type
checkers read those imports, and this module reads them as text (it imports nothing of the
package, so every layer may use it).
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

PACKAGE = "alfa_notebook"


@cache
def exports() -> dict[str, str]:
    """Public name -> the module (relative to the package) that defines it, read once."""
    tree = ast.parse((Path(__file__).parent / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    return {
        alias.name: node.module or "" for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names
    }


def publish(module: str) -> None:
    """Give the public names ``module`` defines ``alfa_notebook`` as their ``__module__``, so
    tracebacks and reprs read ``alfa_notebook.RateLimitError``, the name users import (as httpx
    does). Each module that defines a public name calls this as its last line, so it holds from
    its first import on, also for an error raised before the user touched ``alfa_notebook.X``;
    pickle finds the names again through the package's ``__getattr__``."""
    namespace = sys.modules[module].__dict__
    for name, source in exports().items():
        if f"{PACKAGE}.{source}" == module:
            namespace[name].__module__ = PACKAGE
