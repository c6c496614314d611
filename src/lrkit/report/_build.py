"""`build_report`: results (objects, dicts or JSON files) -> a folder of self-contained HTML pages
with inline SVG figures, and each figure again as a PNG file; `result_html` for notebooks."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._claims_page import claims_sections
from ._html import Section, fragment, page, section_html
from ._load import ReportError, companion, kind_of, load_results, result_from_dict
from ._sections import sections
from ._svg import close, inline_svg, save_png
from ._view import view_of

_FRAGMENTS = itertools.count()  # notebook outputs share one document, so each gets its own ids
# The schedule gallery `lrkit demo` draws into the report's folder: every page links it when it is there.
GALLERY = "schedules.png"


def build_report(results: Any, out_dir: str | Path) -> Path:
    """Write the report of `results` into `out_dir` and return its `index.html`.

    `results` is one result or a list of them, each a result object (TuneResult, SweepResult,
    RunResult, FinderResult, ClaimsResult), its `to_dict()`, or the path of its JSON file. The
    first gets `index.html`, each other its own page (`claims.html`, ...) linked from every page;
    a `claims.json` next to the first file joins the report when no claims result was given. A
    schedule gallery (`schedules.png`) already in `out_dir` is linked from every page.
    """
    items = list(results) if isinstance(results, (list, tuple)) else [results]
    if not items:
        raise ReportError("nothing to report: give at least one result")
    loaded = [_result(item) for item in items]
    paths = [Path(item) for item in items if isinstance(item, (str, Path))]
    kinds = [_kind(result) for result in loaded]
    found = companion(paths[0]) if paths and "claims" not in kinds else None
    if found is not None:
        loaded.append(load_results(found))
        kinds.append("claims")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = _page_names(kinds)
    contents = [_contents(result, kind) for result, kind in zip(loaded, kinds)]
    pages = [(name, title) for name, (title, _, _) in zip(names, contents)]
    for name, (title, subtitle, parts) in zip(names, contents):
        stem = "" if name == "index.html" else name.removesuffix(".html") + "-"
        body = "\n".join(section_html(s, _render(s, f"{stem}{s.id}", out)) for s in parts)
        links = [(href, text) for href, text in pages if href != name] if len(pages) > 1 else []
        if (out / GALLERY).is_file():
            links.append((GALLERY, "schedule gallery"))
        links += [(f"#{s.id}", s.title) for s in parts]
        (out / name).write_text(page(title, subtitle, links, body), encoding="utf-8")
    return out / "index.html"


def result_html(result: Any) -> str:
    """One result's report as an HTML fragment with inline figures (what a notebook shows)."""
    title, _, parts = _contents(result, _kind(result))
    prefix = f"lrkit{next(_FRAGMENTS)}"
    return fragment(title, "\n".join(section_html(s, _render(s, f"{prefix}-{s.id}", None)) for s in parts))


def _result(item: Any) -> Any:
    if isinstance(item, (str, Path)):
        return load_results(item)
    if isinstance(item, Mapping):
        return result_from_dict(item)
    return item


def _kind(result: Any) -> str:
    to_dict = getattr(result, "to_dict", None)
    if to_dict is None:
        raise ReportError(f"cannot report a {type(result).__name__}: give a result, its dict or its "
                          "JSON file")
    return kind_of(to_dict())


def _page_names(kinds: list[str]) -> list[str]:
    """index.html for the first result, then `KIND.html` (`KIND-2.html` for a second of a kind)."""
    names = ["index.html"]
    for kind in kinds[1:]:
        name, number = f"{kind}.html", 2
        while name in names:
            name, number = f"{kind}-{number}.html", number + 1
        names.append(name)
    return names


def _contents(result: Any, kind: str) -> tuple[str, str, list[Section]]:
    """A result's page title, subtitle and sections."""
    if kind == "claims":
        return ("lrkit: claims tested", "Statements about the learning rate, measured.",
                claims_sections(result))
    view = view_of(result)
    return f"lrkit: {view.title}", f"{view.kind} result on task {view.task or '(unnamed)'}", sections(view)


def _render(section: Section, name: str, out: Path | None) -> str | None:
    """The section's figure as inline SVG (and as `name`.png in `out`), the figure then freed."""
    if section.figure is None:
        return None
    try:
        if out is not None:
            save_png(section.figure, out / f"{name}.png")
        return inline_svg(section.figure, name, section.title)
    finally:
        close(section.figure)
