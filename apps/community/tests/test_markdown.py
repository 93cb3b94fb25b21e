"""Markdown of posts: rendered, and sanitised so that nothing in a post runs or loads in a reader's browser."""

from html.parser import HTMLParser

import pytest

from apps.community.markdown import ALLOWED_TAGS, markdown_has_links, markdown_quote, markdown_render


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))


def _elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href='javascript:alert(1)'>x</a>",
    "<svg/onload=alert(1)>",
    "<iframe src=https://example.com></iframe>",
    '"><script>alert(1)</script>',
    "![x](https://example.com/track.png)",
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_render_payload_is_inert(payload):
    # given / when
    elements = _elements(markdown_render(payload))
    # then: only allowed elements, no event handlers, links only to web or mail addresses
    for tag, attrs in elements:
        assert tag in ALLOWED_TAGS
        for name, value in attrs:
            assert not name.startswith("on")
            if name == "href":
                assert (value or "").startswith(("http://", "https://", "mailto:", "/"))


def test_markdown_render_keeps_formatting_and_marks_links():
    html = markdown_render("# Title\n\n**bold** and *soft*\n\n> quoted\n\n- one\n- two\n\n[site](https://example.com)")
    assert "<h3>Title</h3>" in html  # headings stay below the page's own
    assert "<strong>bold</strong>" in html and "<em>soft</em>" in html
    assert "<blockquote>" in html and "<li>one</li>" in html
    assert '<a href="https://example.com" rel="nofollow ugc noopener">site</a>' in html


def test_markdown_has_links_finds_every_way_of_writing_one():
    assert markdown_has_links("see [this](https://x.example)")
    assert markdown_has_links("go to https://x.example now")
    assert markdown_has_links("or www.example.com")
    assert markdown_has_links("<https://x.example>")
    assert not markdown_has_links("no links here, just cards and candles.")


def test_markdown_quote_attributes_and_escapes_the_name():
    quoted = markdown_quote(
        text="line one\n\nline two", author_name="[evil](javascript:x)", permalink="/community/p/3/"
    )
    assert quoted.startswith("[\\[evil\\]\\(javascript:x\\) wrote](/community/p/3/):")
    assert "> line one\n>\n> line two" in quoted
    html = markdown_render(quoted)
    assert "javascript:" not in html.split('href="')[1].split('"')[0]
    assert '<a href="/community/p/3/"' in html and "<blockquote>" in html
