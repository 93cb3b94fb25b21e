"""Plain-text bodies for policies and help articles, turned into structured blocks for templates.

Admins write plain text; no HTML or Markdown is interpreted, so nothing they type can inject markup.
The only conventions:

- blocks are separated by a blank line;
- a block whose single line starts with ``## `` is a heading;
- a block whose every line starts with ``- `` is a bulleted list;
- anything else is a paragraph (its line breaks are kept).

Templates render the blocks with auto-escaping on.
"""

from dataclasses import dataclass, field

BODY_FORMAT_HELP = (
    "Plain text. Separate paragraphs with a blank line. A line starting with “## ” is a heading; "
    "lines starting with “- ” form a bulleted list. HTML is shown as text, never interpreted."
)


@dataclass(frozen=True)
class TextBlock:
    kind: str  # "heading" | "paragraph" | "list"
    text: str = ""
    items: list[str] = field(default_factory=list)


def text_blocks(body: str) -> list[TextBlock]:
    blocks: list[TextBlock] = []
    chunk: list[str] = []
    for line in [*body.replace("\r\n", "\n").replace("\r", "\n").split("\n"), ""]:
        if line.strip():
            chunk.append(line.rstrip())
            continue
        if chunk:
            blocks.append(_block(chunk))
            chunk = []
    return blocks


def _block(lines: list[str]) -> TextBlock:
    if len(lines) == 1 and lines[0].startswith("## "):
        return TextBlock(kind="heading", text=lines[0][3:].strip())
    if all(line.lstrip().startswith("- ") for line in lines):
        return TextBlock(kind="list", items=[line.lstrip()[2:].strip() for line in lines])
    return TextBlock(kind="paragraph", text="\n".join(line.strip() for line in lines))


def text_summary(body: str, *, limit: int = 220) -> str:
    """The first paragraph of ``body``, cut at a word boundary to about ``limit`` characters."""
    for block in text_blocks(body):
        if block.kind == "paragraph":
            text = " ".join(block.text.split())
            if len(text) <= limit:
                return text
            return text[:limit].rsplit(" ", 1)[0].rstrip(".,;:") + "…"
    return ""
