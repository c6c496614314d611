"""Page assembly: sections into a self-contained page (inline CSS and SVG, no network), light and
dark, readable from a phone to a wide screen; the same sections as a notebook fragment."""

from __future__ import annotations

import html
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

CSS = """
.lrkit, .lrkit-page { --bg: #ffffff; --fg: #1c1e21; --muted: #5f6673; --line: #dde1e6; --card: #f5f6f8;
  --accent: #1f5fbf; --best: #1f5fbf; --good: #1a7f37; --slow: #8250df; --oscillating: #b35900;
  --diverged: #cf222e; --supported: #1a7f37; --refuted: #cf222e; --depends: #8250df; }
@media (prefers-color-scheme: dark) {
  .lrkit, .lrkit-page { --bg: #111317; --fg: #e4e6ea; --muted: #9aa1ad; --line: #30353d; --card: #1b1e24;
    --accent: #6ea8fe; --best: #6ea8fe; --good: #4ac26b; --slow: #b392f0; --oscillating: #f0883e;
    --diverged: #ff7b72; --supported: #4ac26b; --refuted: #ff7b72; --depends: #b392f0; }
  .lrkit figure svg { filter: invert(0.9) hue-rotate(180deg); }
}
.lrkit-page { margin: 0; background: var(--bg); }
.lrkit { color: var(--fg); background: var(--bg); max-width: 72rem; margin: 0 auto;
  padding: 1rem clamp(0.75rem, 3vw, 2rem) 3rem; box-sizing: border-box;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.lrkit *, .lrkit *::before, .lrkit *::after { box-sizing: inherit; }
.lrkit h1 { font-size: 1.6rem; line-height: 1.25; margin: 0.5rem 0 0.25rem; }
.lrkit h2 { font-size: 1.25rem; margin: 2.25rem 0 0.5rem; padding-top: 0.75rem;
  border-top: 1px solid var(--line); }
.lrkit h3 { font-size: 1.05rem; margin: 1.5rem 0 0.25rem; }
.lrkit .sub, .lrkit .intro, .lrkit figcaption, .lrkit footer { color: var(--muted); }
.lrkit nav { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; margin: 0.5rem 0 1rem; font-size: 0.95rem; }
.lrkit a { color: var(--accent); }
.lrkit figure { margin: 1rem 0; }
.lrkit figure svg { display: block; width: 100%; height: auto; margin: 0 auto; background: #ffffff;
  border-radius: 6px; }
.lrkit .scroll { overflow-x: auto; margin: 0.75rem 0; border: 1px solid var(--line); border-radius: 6px; }
.lrkit table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
.lrkit th, .lrkit td { padding: 0.4rem 0.6rem; text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--line); }
.lrkit th { background: var(--card); font-weight: 600; white-space: nowrap; }
.lrkit td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.lrkit tr:last-child td { border-bottom: 0; }
.lrkit .verdict { font-weight: 600; white-space: nowrap; }
.lrkit .detail { display: block; min-width: 14rem; font-size: 0.8rem; color: var(--muted); }
.lrkit .verdict.best { color: var(--best); } .lrkit .verdict.good { color: var(--good); }
.lrkit .verdict.slow { color: var(--slow); }
.lrkit .verdict.oscillating, .lrkit .verdict.overfitting { color: var(--oscillating); }
.lrkit .verdict.diverged { color: var(--diverged); } .lrkit .verdict.supported { color: var(--supported); }
.lrkit .verdict.refuted { color: var(--refuted); } .lrkit .verdict.depends { color: var(--depends); }
.lrkit .star { color: #d4a72c; }
.lrkit dl.recipe { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem;
  margin: 0.75rem 0; padding: 0.75rem 1rem; background: var(--card); border-radius: 6px; }
.lrkit dl.recipe dt { color: var(--muted); }
.lrkit dl.recipe dd { margin: 0; overflow-wrap: anywhere; }
.lrkit code, .lrkit pre, .lrkit dl.recipe dd {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.lrkit .code { margin: 0.75rem 0; border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
.lrkit .code-head { display: flex; justify-content: space-between; align-items: center; gap: 1rem;
  padding: 0.3rem 0.6rem; background: var(--card); color: var(--muted); font-size: 0.85rem; }
.lrkit .code button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line);
  border-radius: 4px; padding: 0.15rem 0.6rem; cursor: pointer; }
.lrkit pre { margin: 0; padding: 0.75rem 1rem; overflow-x: auto; font-size: 0.85rem; line-height: 1.5; }
.lrkit ul.summary { padding-left: 1.2rem; }
@media (max-width: 40rem) { .lrkit { font-size: 15px; } .lrkit dl.recipe { grid-template-columns: 1fr; } }
"""

# The one script: copy buttons. Where the clipboard is refused (a file page, an untrusted
# notebook), the code is selected instead so Ctrl+C copies it; registered once per document.
SCRIPT = """
if (!window.lrkitCopy) {
  window.lrkitCopy = true;
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button) { return; }
    var code = button.closest(".code").querySelector("pre");
    function say(word) {
      button.textContent = word;
      setTimeout(function () { button.textContent = "copy"; }, 1500);
    }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(code);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say("press Ctrl+C");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code.textContent).then(function () { say("copied"); }, select);
    } else {
      select();
    }
  });
}
"""


@dataclass(frozen=True)
class Section:
    """One part of a page: a heading, a sentence on how to read it, an optional matplotlib figure
    (named `id` in the PNG files) and HTML shown under the figure."""

    id: str
    title: str
    intro: str
    body: str = ""
    figure: Any = None


def escape(text: object) -> str:
    """Text made safe to put in HTML."""
    return html.escape(str(text), quote=True)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: Collection[int] = (),
          css: str = "") -> str:
    """An HTML table that scrolls sideways on a narrow screen; cells are HTML already, headers text."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return (f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def code_block(text: str, label: str) -> str:
    """A code block with a copy button."""
    return (f'<div class="code"><div class="code-head"><span>{escape(label)}</span><button type="button" '
            f"data-copy>copy</button></div><pre><code>{escape(text)}</code></pre></div>")


def facts(items: Iterable[tuple[str, str]]) -> str:
    """Names (text) and values (HTML) as a two-column list."""
    return '<dl class="recipe">' + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def section_html(section: Section, svg: str | None) -> str:
    """A section with its figure inline."""
    figure = "" if svg is None else f'<figure data-figure="{escape(section.id)}">{svg}</figure>'
    return (f'<section id="{escape(section.id)}"><h2>{escape(section.title)}</h2>'
            f'<p class="intro">{escape(section.intro)}</p>{figure}{section.body}</section>')


def page(title: str, subtitle: str, links: Sequence[tuple[str, str]], content: str) -> str:
    """A whole page: `links` (href, text) go in its navigation bar."""
    nav = "".join(f'<a href="{escape(href)}">{escape(text)}</a>' for href, text in links)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark"><link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n"
        f'<body class="lrkit-page"><main class="lrkit"><header><h1>{escape(title)}</h1>'
        f'<p class="sub">{escape(subtitle)}</p><nav>{nav}</nav></header>\n{content}\n'
        "<footer><p>Built by lrkit from results JSON alone; every figure is also a PNG file next to "
        f"this page.</p></footer></main><script>{SCRIPT}</script></body></html>\n"
    )


def fragment(title: str, content: str) -> str:
    """The same sections for a notebook cell: scoped CSS, no page around them."""
    return (f'<div class="lrkit"><style>{CSS}</style><h1>{escape(title)}</h1>{content}'
            f"<script>{SCRIPT}</script></div>")
