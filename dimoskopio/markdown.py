"""The one way to turn staff-written Markdown into HTML: markdown-it-py, then nh3's allow-list."""

import re

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


_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*([^)\s]+)[^)]*\)")
_STARS_AND_CODE = re.compile(r"(\*\*|\*|`)(?=\S)(.+?)(?<=\S)\1")
_UNDERSCORES = re.compile(r"(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)")
_HEADING = re.compile(r"^#{1,6}[ \t]+", re.MULTILINE)
# CommonMark's backslash escapes: any ASCII punctuation character. An escaped character stands
# in for itself in the Unicode private use area while the markup is taken out, so it is not taken
# for markup.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_STAND_IN = 0xE000
_STAND_INS = re.compile("[\uE000-\uE07F]")


def markdown_to_text(source: str) -> str:
    """Staff-written Markdown as plain text, for calendar descriptions: Markdown reads well as it
    is, so only the inline markup goes ("**bold**" becomes "bold", a link "text (address)").
    Regular expressions, not a parser: a feed turns a thousand descriptions at a time."""
    text = _ESCAPED.sub(lambda match: chr(_STAND_IN + ord(match.group(1))), source or "")
    text = _LINK.sub(r"\1 (\2)", text)
    for _ in range(2):  # emphasis inside emphasis
        text = _UNDERSCORES.sub(r"\2", _STARS_AND_CODE.sub(r"\2", text))
    text = _HEADING.sub("", text)
    return _STAND_INS.sub(lambda match: chr(ord(match.group()) - _STAND_IN), text).strip()
