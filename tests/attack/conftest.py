"""The attack suite: every test under ``tests/attack/`` carries the ``attack`` marker (``pytest -m attack`` runs
just these; ``make test`` runs them with everything else). The browser fixtures are the e2e suite's."""

from pathlib import Path

import pytest

from tests.e2e.conftest import browser, new_page, page  # noqa: F401  (fixtures shared with the e2e tests)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.attack)
