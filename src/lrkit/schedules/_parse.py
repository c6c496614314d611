"""`parse(spec) -> Schedule`: turn a spec string into a schedule, pointing at any mistake."""

from __future__ import annotations

import dataclasses
import difflib
import inspect
from typing import Any

from .._spec import Call, Chain, Node, Scaled, SpecError, parse_tree
from ._base import Schedule, ScheduleError, registry
from ._compose import Join
from ._compose import Scaled as ScaledSchedule
from ._warmup import WarmupPrefix

# Other names people use for the same schedules.
ALIASES = {
    "const": "constant",
    "step_decay": "step",
    "multi_step": "multistep",
    "exp": "exponential",
    "poly": "polynomial",
    "cos": "cosine",
    "cosine_annealing": "cosine",
    "sgdr": "cosine_restarts",
    "cyclical": "cyclic",
    "clr": "cyclic",
    "onecycle": "one_cycle",
    "1cycle": "one_cycle",
    "rsqrt": "inverse_sqrt",
    "warmup_stable_decay": "wsd",
}


def parse(text: str) -> Schedule:
    """Build the schedule a spec describes, e.g. "warmup(200) >> cosine(lr=0.1, steps=5000)".

    Raises SpecError naming the position and what was expected.
    """
    built = _build(text, parse_tree(text))
    if isinstance(built, WarmupPrefix):
        raise SpecError(text, len(text), "warmup(...) must be followed by '>> schedule' to warm up to")
    return built


def _build(text: str, node: Node) -> Schedule | WarmupPrefix:
    if isinstance(node, Chain):
        return _build_chain(text, node)
    if isinstance(node, Scaled):
        inner = _build(text, node.node)
        if isinstance(inner, WarmupPrefix):
            hint = "cannot scale a bare warmup(...); group it: 0.5 * (warmup(n) >> s)"
            raise SpecError(text, node.position, hint)
        return _construct(text, node.position, lambda: ScaledSchedule(inner, node.factor))
    return _build_call(text, node)


def _flatten(node: Chain) -> list[Node]:
    """The items of a chain in order; a parenthesised chain inside it stays one item."""
    return [*_items(node.left), *_items(node.right)]


def _items(node: Node) -> list[Node]:
    if isinstance(node, Chain) and not node.grouped:
        return _flatten(node)
    return [node]


def _build_chain(text: str, node: Chain) -> Schedule:
    """A warmup(...) binds to the single schedule (or group) right after it; the rest are joined."""
    pieces: list[tuple[Schedule, int]] = []
    pending: list[tuple[WarmupPrefix, int]] = []
    for item in _flatten(node):
        built = _build(text, item)
        if isinstance(built, WarmupPrefix):
            pending.append((built, item.position))
            continue
        position = item.position
        while pending:
            prefix, position = pending.pop()
            built = _construct(text, position, lambda p=prefix, b=built: p >> b)
        pieces.append((built, position))
    if pending:
        raise SpecError(text, len(text), "warmup(...) must be followed by the schedule it warms up")
    if len(pieces) == 1:
        return pieces[0][0]
    for piece, position in pieces[:-1]:
        if piece.length is None:
            raise SpecError(text, position, f"{piece} never ends, so nothing can follow it; give it steps=N")
    return _construct(text, node.position, lambda: Join(tuple(piece for piece, _ in pieces)))


def _build_call(text: str, call: Call) -> Schedule | WarmupPrefix:
    name = ALIASES.get(call.name, call.name)
    if name == "warmup":
        cls: Any = WarmupPrefix
        parameters = [f.name for f in dataclasses.fields(WarmupPrefix)]
        aliases: dict[str, str] = {}
    else:
        known = {n: c for n, c in registry().items() if n not in ("join", "scale", "warmup")}
        if name not in known:
            close = difflib.get_close_matches(call.name, [*known, "warmup", *ALIASES], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see `lrkit schedule --list`)"
            raise SpecError(text, call.position, f"unknown schedule {call.name!r}{hint}")
        cls = known[name]
        parameters = [f.name for f in dataclasses.fields(cls)]
        aliases = cls.aliases
    if len(call.args) > len(parameters):
        extra = call.arg_positions[len(parameters)] if call.arg_positions else call.position
        raise SpecError(
            text, extra,
            f"{call.name}() takes at most {len(parameters)} arguments ({', '.join(parameters)}), "
            f"got {len(call.args)}",
        )
    arguments = dict(zip(parameters, call.args))
    for key, value in call.kwargs:
        field = aliases.get(key, key)
        if field not in parameters:
            close = difflib.get_close_matches(key, parameters, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise SpecError(
                text, call.kwarg_positions.get(key, call.position),
                f"{call.name}() has no parameter {key!r}; {hint}parameters: {', '.join(parameters)}",
            )
        if field in arguments:
            position = call.kwarg_positions.get(key, call.position)
            raise SpecError(text, position, f"{key!r} given twice")
        arguments[field] = value
    signature = inspect.signature(cls)
    missing = [
        p.name for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.name not in arguments
    ]
    if missing:
        raise SpecError(text, call.position, f"{call.name}() needs {', '.join(map(repr, missing))}")
    try:
        return cls(**arguments)
    except ScheduleError as error:
        raise SpecError(text, _position_of(call, error.field, parameters, aliases), str(error)) from None


def _position_of(call: Call, field: str | None, parameters: list[str], aliases: dict[str, str]) -> int:
    """Where the spec wrote `field` (by keyword or by position); the call itself otherwise."""
    for key, position in call.kwarg_positions.items():
        if aliases.get(key, key) == field:
            return position
    index = parameters.index(field) if field in parameters else len(call.arg_positions)
    return call.arg_positions[index] if index < len(call.arg_positions) else call.position


def _construct(text: str, position: int, make):
    """Run a constructor, turning its ScheduleError into a SpecError at `position`."""
    try:
        return make()
    except ScheduleError as error:
        raise SpecError(text, position, str(error)) from None
