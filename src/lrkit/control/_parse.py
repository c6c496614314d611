"""`parse_controller(spec)`: a controller from its spec string, e.g. "plateau(factor=0.5, patience=3)"."""

from __future__ import annotations

from .._spec import Call, SpecError, parse_tree
from ._protocol import Controller, ControllerError, controller_from_dict


def parse_controller(text: str) -> Controller:
    """Build the controller a spec names; keyword arguments only, as `str(controller)` writes them."""
    node = parse_tree(text)
    if not isinstance(node, Call):
        raise SpecError(text, node.position, "a controller spec is a single call such as plateau(...)")
    if node.args:
        raise SpecError(text, node.position, f"give {node.name}() its arguments by name, e.g. factor=0.5")
    try:
        return controller_from_dict({"type": node.name, **dict(node.kwargs)})
    except ControllerError as error:
        raise SpecError(text, node.position, str(error)) from None
