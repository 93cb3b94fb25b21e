"""bandit, the Python security linter, over the code that ships: no finding of medium severity or above.

A finding that is not a problem (our own SQL from model column names, ``mark_safe`` of escaped text) is accepted
where it stands, with ``# nosec BXXX: why`` on its line; anything else fails here with bandit's report.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BANDIT = Path(sys.executable).parent / "bandit"


def test_bandit_finds_nothing_of_medium_severity_or_above():
    result = subprocess.run(
        [str(BANDIT), "--recursive", "--quiet", "--severity-level", "medium", "--format", "json",
         "apps", "config", "scripts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    report = json.loads(result.stdout)
    findings = [
        f"{item['filename']}:{item['line_number']} {item['test_id']} ({item['issue_severity']}): {item['issue_text']}"
        for item in report["results"]
    ]
    assert report["errors"] == [], report["errors"]
    assert findings == [], "bandit findings (fix them, or accept one with `# nosec BXXX: why`):\n" + "\n".join(findings)
    assert result.returncode == 0, result.stderr
