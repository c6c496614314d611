"""The small expression language shared by schedule and controller specs.

Grammar (whitespace is free)::

    chain   := product (">>" product)*
    product := NUMBER "*" atom | atom ("*" NUMBER)?
    atom    := call | "(" chain ")"
    call    := NAME "(" [arg ("," arg)*] ")"
    arg     := [NAME "="] value
    value   := NUMBER | STRING | true | false | NAME | "[" [value ("," value)*] "]"

Parsing yields a tiny syntax tree with source positions, so the layer that builds real objects
from it can point at the exact place a spec went wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TypeAlias

from .errors import LrkitError

Value: TypeAlias = "float | int | str | bool | tuple"


class SpecError(LrkitError):
    """A spec string could not be read; the message names the position and what was expected."""

    def __init__(self, text: str, position: int, message: str) -> None:
        self.text = text
        self.position = position
        self.reason = message
        super().__init__(f"in spec {text!r} at position {position}: {message}")


@dataclass(frozen=True)
class Call:
    """`name(args..., key=value...)` with the position of its name."""

    name: str
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    position: int
    kwarg_positions: dict[str, int] = field(default_factory=dict, compare=False)
    arg_positions: tuple[int, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Chain:
    """`left >> right`: right starts where left ends. `grouped` marks a chain written in
    parentheses, which stays one piece: `warmup(5) >> (a >> b)` warms up to the whole group."""

    left: Node
    right: Node
    position: int
    grouped: bool = False


@dataclass(frozen=True)
class Scaled:
    """`factor * node` (or `node * factor`)."""

    factor: float
    node: Node
    position: int


Node: TypeAlias = "Call | Chain | Scaled"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<digitname>\d+(?![eE][+-]?\d)-?[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<number>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|nan)\b)
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_\-]*)
  | (?P<op>>>|[()\[\],=*])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SpecError(text, position, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        # Names may start with digits (`1cycle`, `shape=1-sqrt`) as long as they do not read as
        # a number: `1e5` stays a number.
        kind = "name" if kind == "digitname" else kind
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive descent over the token list; one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def fail(self, expected: str) -> SpecError:
        found = repr(self.token.text) if self.token.text else "the end"
        return SpecError(self.text, self.token.position, f"expected {expected}, found {found}")

    def take(self, text: str, expected: str) -> _Token:
        if self.token.text != text:
            raise self.fail(expected)
        token = self.token
        self.index += 1
        return token

    def at(self, text: str) -> bool:
        return self.token.kind == "op" and self.token.text == text

    def parse(self) -> Node:
        node = self.chain()
        if self.token.kind != "end":
            raise self.fail("'>>' or the end of the spec")
        return node

    def chain(self) -> Node:
        node = self.product()
        while self.at(">>"):
            position = self.token.position
            self.index += 1
            node = Chain(node, self.product(), position)
        return node

    def product(self) -> Node:
        if self.token.kind == "number":
            position = self.token.position
            factor = float(self.token.text)
            self.index += 1
            self.take("*", "'*' after a leading factor")
            return Scaled(factor, self.atom(), position)
        node = self.atom()
        if self.at("*"):
            self.index += 1
            if self.token.kind != "number":
                raise self.fail("a number after '*'")
            position = self.token.position
            factor = float(self.token.text)
            self.index += 1
            return Scaled(factor, node, position)
        return node

    def atom(self) -> Node:
        if self.at("("):
            self.index += 1
            node = self.chain()
            self.take(")", "')' to close the group")
            return replace(node, grouped=True) if isinstance(node, Chain) else node
        if self.token.kind != "name":
            raise self.fail("a schedule name such as cosine(...)")
        name = self.token
        self.index += 1
        if not self.at("("):
            raise self.fail(f"'(' after {name.text!r}")
        self.index += 1
        args: list[Value] = []
        arg_positions: list[int] = []
        kwargs: dict[str, Value] = {}
        positions: dict[str, int] = {}
        while not self.at(")"):
            if args or kwargs:
                self.take(",", "',' or ')' in the argument list")
            start = self.token.position
            if self.token.kind == "name" and self.tokens[self.index + 1].text == "=":
                key = self.token.text
                if key in kwargs:
                    raise SpecError(self.text, start, f"argument {key!r} given twice")
                self.index += 2
                kwargs[key] = self.value()
                positions[key] = start
            elif kwargs:
                raise SpecError(self.text, start, "positional argument after a keyword argument")
            else:
                args.append(self.value())
                arg_positions.append(start)
        self.index += 1
        return Call(
            name.text, tuple(args), tuple(kwargs.items()), name.position, positions, tuple(arg_positions)
        )

    def value(self) -> Value:
        token = self.token
        if token.kind == "number":
            self.index += 1
            number = float(token.text)
            is_int = re.fullmatch(r"[+-]?\d+", token.text) is not None
            return int(token.text) if is_int else number
        if token.kind == "string":
            self.index += 1
            return token.text[1:-1]
        if token.kind == "name":
            self.index += 1
            lowered = token.text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            return token.text
        if self.at("["):
            self.index += 1
            items: list[Value] = []
            while not self.at("]"):
                if items:
                    self.take(",", "',' or ']' in the list")
                items.append(self.value())
            self.index += 1
            return tuple(items)
        raise self.fail("a value (number, string, true/false or [list])")


def parse_tree(text: str) -> Node:
    """Parse `text` into a syntax tree; raises SpecError on malformed input."""
    if not isinstance(text, str):
        raise TypeError(f"a spec must be a string, not {type(text).__name__}")
    if not text.strip():
        raise SpecError(text, 0, "the spec is empty; expected a schedule such as cosine(lr=0.1, steps=1000)")
    return _Parser(text).parse()


def format_value(value: object) -> str:
    """Write a value the way the parser reads it back (floats by repr, strings quoted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def format_call(name: str, arguments: list[tuple[str, object]]) -> str:
    """`name(key=value, ...)` in the canonical form every spec prints."""
    inner = ", ".join(f"{key}={format_value(value)}" for key, value in arguments)
    return f"{name}({inner})"
