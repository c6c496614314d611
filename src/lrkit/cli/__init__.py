"""The `lrkit` command: thin wrappers that parse arguments, call the Python API and render results."""

from ._app import main

__all__ = ["main"]
