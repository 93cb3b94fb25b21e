"""The view guards: money actions need a verified email address."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.core.permissions import verified_email_required

pytestmark = pytest.mark.django_db


@verified_email_required
def _spend(request):
    return HttpResponse("spent")


def _request(rf, user):
    request = rf.post("/spend/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_verified_email_required_unverified_user_sent_to_email_page_view_not_run(rf):
    # given
    request = _request(rf, UserFactory(verified=False))
    # when
    response = _spend(request)
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email")
    assert [str(m) for m in request._messages] == ["Please verify your email address before doing anything with money."]


def test_verified_email_required_verified_user_runs_view(rf):
    assert _spend(_request(rf, UserFactory())).content == b"spent"


def test_verified_email_required_anonymous_sent_to_sign_in(rf):
    response = _spend(_request(rf, AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(lambda: reverse("wallet:topup"), id="wallet-top-up"),
        pytest.param(lambda: reverse("messaging:unlock", args=[1]), id="paid-reply-unlock"),
    ],
)
def test_money_pages_unverified_user_sent_to_email_page(client, url):
    # given
    client.force_login(UserFactory(verified=False))
    # when
    response = client.post(url())
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email")
