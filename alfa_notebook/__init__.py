"""Boosted.ai's Alfa research assistant in Jupyter."""

from ._version import __version__

__all__ = ["__version__"]
