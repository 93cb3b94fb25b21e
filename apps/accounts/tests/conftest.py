import pytest

from config.celery import app as celery_app


@pytest.fixture
def celery_eager():
    """Run Celery tasks in-process so their effects (emails) can be asserted."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
