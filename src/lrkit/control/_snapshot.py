"""The last good state of a model, optimizer and scheduler, for the divergence guard to go back to.

Anything with `state_dict()` / `load_state_dict()` can be kept, so this module needs no torch:
states are deep copies in memory, or one file written with `torch.save` (torch is imported only
then) and read back with `torch.load(..., weights_only=True)`, which unpickles no arbitrary code.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Protocol


class Stateful(Protocol):
    """What a snapshot needs of an object: torch's module / optimizer / scheduler state methods."""

    def state_dict(self) -> dict[str, Any]:
        """The object's state."""

    def load_state_dict(self, state: dict[str, Any]) -> Any:
        """Go back to a state `state_dict()` returned."""


class Snapshot:
    """Holds the latest `save()` of named objects and puts them back with `restore()`."""

    FILE_NAME = "snapshot.pt"

    def __init__(self, objects: dict[str, Stateful], directory: str | os.PathLike[str] | None = None) -> None:
        self._objects = objects
        self._states: dict[str, Any] | None = None
        self.path = None if directory is None else Path(directory) / self.FILE_NAME
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def save(self) -> None:
        """Keep every object's current state, replacing the previous one."""
        states = {name: obj.state_dict() for name, obj in self._objects.items()}
        if self.path is None:
            self._states = copy.deepcopy(states)
            return
        import torch  # only here: the control layer itself is standard library only

        partial = self.path.with_name(self.path.name + ".partial")
        torch.save(states, partial)
        os.replace(partial, self.path)  # a crash mid-write leaves the previous snapshot whole

    def restore(self) -> None:
        """Load the saved states back into the objects; the snapshot stays for later restores."""
        if self.path is None:
            # A copy, since load_state_dict may keep the tensors it is given and train them further.
            states = copy.deepcopy(self._states)
        else:
            import torch

            states = torch.load(self.path, weights_only=True)
        for name, obj in self._objects.items():
            obj.load_state_dict(states[name])
