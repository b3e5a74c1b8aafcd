"""The one way to turn staff-written Markdown into HTML: markdown-it-py, then nh3's allow-list."""

import re
from html import unescape

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre", "hr",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(source: str) -> Markup:
    """Safe HTML for a page or an email: no scripts, styles, images or unknown links."""
    html = _parser.render(source or "")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # noqa: S704 - sanitized by nh3 just above


def markdown_to_text(source: str) -> str:
    """The words of staff-written Markdown without its markup, for calendar descriptions and
    other plain-text places (paragraphs and list items stay on their own lines)."""
    html = _parser.render(source or "")
    text = nh3.clean(html, tags=set(), attributes={})
    lines = (line.strip() for line in unescape(text).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
