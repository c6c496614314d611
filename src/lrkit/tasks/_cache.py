"""A cache folder for generated data sets, so that slow generation happens once per machine."""

from __future__ import annotations

import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cache_dir() -> Path:
    """`$LRKIT_CACHE_DIR` if set, else `$XDG_CACHE_HOME/lrkit`, else `~/.cache/lrkit`."""
    if os.environ.get("LRKIT_CACHE_DIR"):
        return Path(os.environ["LRKIT_CACHE_DIR"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "lrkit"
    return Path.home() / ".cache" / "lrkit"


def cached_arrays(
    filename: str, make: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Arrays stored in the cache folder under `filename`, made by `make()` the first time.

    The file is written atomically (a temporary file renamed into place), so a crash or a
    concurrent process never leaves a half-written cache; an unreadable file is made again.
    """
    path = cache_dir() / filename
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {key: stored[key] for key in stored.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            warnings.warn(f"lrkit: cached data {path} is unreadable; making it again", stacklevel=2)
    arrays = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{filename}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, **arrays)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as error:
        warnings.warn(
            f"lrkit: could not write the data cache {path} ({error}); it will be made again "
            "next time; set LRKIT_CACHE_DIR to a writable folder",
            stacklevel=2,
        )
    return arrays
