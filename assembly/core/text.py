"""Markdown written by members, rendered safely: markdown passes raw HTML through, nh3 cleans it."""

from __future__ import annotations

import threading

import markdown as md
import nh3
from markupsafe import Markup

_ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}


# Building a converter (loading its extensions) costs far more than converting a line: each
# thread (each greenlet under gevent) keeps one and resets it between texts.
_local = threading.local()


def _converter() -> md.Markdown:
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = md.Markdown(extensions=["extra", "sane_lists"], output_format="html")
        _local.converter = converter
    return converter.reset()


def render_markdown(text: str | None) -> Markup:
    html = _converter().convert(text or "")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
