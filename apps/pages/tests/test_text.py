from apps.pages.text import TextBlock, text_blocks, text_summary


def test_text_blocks_headings_lists_and_paragraphs_split_on_blank_lines():
    # given
    body = "## Your wallet\n\nFirst line\nsecond line\n\n- one\n- two\n\r\n\r\nLast <b>bold</b>"
    # when
    blocks = text_blocks(body)
    # then
    assert blocks == [
        TextBlock(kind="heading", text="Your wallet"),
        TextBlock(kind="paragraph", text="First line\nsecond line"),
        TextBlock(kind="list", items=["one", "two"]),
        TextBlock(kind="paragraph", text="Last <b>bold</b>"),
    ]


def test_text_blocks_heading_marker_inside_longer_block_stays_paragraph():
    assert text_blocks("## Not a heading\nbecause it continues") == [
        TextBlock(kind="paragraph", text="## Not a heading\nbecause it continues")
    ]


def test_text_summary_long_first_paragraph_cut_at_word_boundary():
    # given
    body = "## Title\n\n" + "word " * 100
    # when
    summary = text_summary(body, limit=50)
    # then
    assert summary.endswith("…")
    assert len(summary) <= 51
    assert "wor…" not in summary
