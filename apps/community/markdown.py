"""Safe Markdown for forum posts.

markdown-it-py renders CommonMark with raw HTML switched off (``<script>`` in a post is shown as text), then nh3
(a maintained allow-list sanitiser) keeps only the tags and attributes below. Links may only be http(s) or
mailto and carry ``rel="nofollow ugc noopener"``. Images written in Markdown are not kept: a post's pictures are
its attachments, checked and stored by us, so a post cannot make readers' browsers fetch someone else's URL.
"""

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("strikethrough")
_md.disable("image")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
LINK_REL = "nofollow ugc noopener"
# Headings inside a post stay below the page's own h1/h2.
_HEADING = re.compile(r"<(/?)h([12])>")
_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)|<(?:https?|mailto):[^>]*>|https?://\S+|www\.\S+", re.IGNORECASE)


def markdown_render(text: str) -> str:
    """The post's Markdown as safe HTML."""
    html = _HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 2}>", _md.render(text))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=LINK_REL,
        strip_comments=True,
    )


def markdown_has_links(text: str) -> bool:
    """Whether the Markdown holds a link (written as a link, an autolink, or a bare web address)."""
    return bool(_LINK.search(text))


def markdown_quote(*, text: str, author_name: str, permalink: str) -> str:
    """``text`` as a Markdown blockquote, attributed to its author and linked to the quoted post."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.strip().splitlines())
    name = re.sub(r"([\\`*_\[\]()#+\-.!<>])", r"\\\1", author_name)
    return f"[{name} wrote]({permalink}):\n\n{quoted}\n\n"
