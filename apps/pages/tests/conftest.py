import pytest

from config.celery import app as celery_app


@pytest.fixture
def celery_eager():
    """Run tasks in-process when .delay() is called, so on-commit emails land in mail.outbox."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def policies(db):
    from apps.pages.models import Policy

    from .factories import ensure_initial_policies

    ensure_initial_policies()
    return {policy.slug: policy for policy in Policy.objects.all()}
