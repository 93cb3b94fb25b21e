"""The accessibility check every browser test leans on reports what axe-core finds, and only what matters."""

import pytest

from tests.e2e.conftest import assert_axe_clean, axe_violations

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>Broken page</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<form><input type="text" name="unlabelled"></form>
<p style="color:#777;background:#888">Faint text</p>
</main></body></html>"""

CLEAN = """<!doctype html><html lang="en"><head><title>Clean</title></head><body><main>
<h1>Clean page</h1><p>Readable text.</p></main></body></html>"""


def test_axe_helper_reports_serious_and_critical_violations_with_their_targets(page):
    # given a page with an image without text, an unlabelled field and faint text
    page.set_content(BROKEN)
    # when
    found = {violation["id"]: violation for violation in axe_violations(page)}
    # then each is reported with where it is, and the assertion fails naming them
    assert {"image-alt", "label", "color-contrast"} <= set(found)
    assert found["image-alt"]["impact"] == "critical" and found["image-alt"]["nodes"][0]["target"] == ["img"]
    with pytest.raises(AssertionError, match="image-alt"):
        assert_axe_clean(page)


def test_axe_helper_passes_a_clean_page_and_leaves_out_lesser_impacts(page):
    page.set_content(CLEAN)
    assert_axe_clean(page)
    assert all(v["impact"] == "minor" for v in axe_violations(page, impacts=("minor",)))
