"""Home, About and the error pages."""

import pytest
from django.test import override_settings
from django.urls import include, path, reverse

from apps.core.context_processors import BRAND_IMAGES
from apps.pages.views import server_error

pytestmark = pytest.mark.django_db

ABOUT_PARAGRAPHS = [
    "At SoulSeer, we are dedicated to providing ethical, compassionate, and judgment-free spiritual guidance. "
    "Our mission is twofold: to offer clients genuine, heart-centered readings and to uphold fair, ethical "
    "standards for our readers.",
    "Founded by psychic medium Emilynn, SoulSeer was created as a response to the corporate greed that dominates "
    "many psychic platforms. Unlike other apps, our readers keep the majority of what they earn and play an "
    "active role in shaping the platform.",
    "SoulSeer is more than just an app\u2014it&#x27;s a soul tribe. A community of gifted psychics united by our "
    "life&#x27;s calling: to guide, heal, and empower those who seek clarity on their journey.",
]


def test_about_renders_seed_copy_verbatim_and_founder_image(client):
    # when
    response = client.get(reverse("pages:about"))
    # then
    assert response.status_code == 200
    html = response.content.decode().replace("'", "&#x27;")
    for paragraph in ABOUT_PARAGRAPHS:
        assert f"<p>{paragraph}</p>" in html
    assert f'src="{BRAND_IMAGES["founder"]}" alt="Emilynn, founder of SoulSeer"' in html


def test_home_anonymous_shows_hero_and_sign_up_call_to_action(client):
    # when
    response = client.get(reverse("pages:home"))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert BRAND_IMAGES["hero"] in html
    assert BRAND_IMAGES["background"] in html
    assert f'href="{reverse("account_signup")}"' in html
    assert "How it works" in html


def test_home_signed_in_points_to_dashboard_instead_of_sign_up(client, client_user):
    # given
    client.force_login(client_user)
    # when
    html = client.get(reverse("pages:home")).content.decode()
    # then
    assert f'class="btn btn-primary btn-lg" href="{reverse("dashboards:home")}"' in html
    assert f'href="{reverse("account_signup")}"' not in html


def test_page_not_found_renders_designed_404(client):
    # when
    response = client.get("/this-path-does-not-exist/")
    # then
    assert response.status_code == 404
    html = response.content.decode()
    assert "This path is hidden" in html
    assert '<main id="main"' in html


def test_server_error_renders_without_request_context(rf):
    # given
    request = rf.get("/")
    # when
    response = server_error(request)
    # then
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong" in html
    assert 'href="/static/build/app.css"' in html
    assert "hx-headers" not in html


def _raise_error(request):
    raise RuntimeError("the failing request")


# The site's URLs plus one view that fails, to exercise handler500 end to end.
urlpatterns = [path("failing/", _raise_error), path("", include("config.urls"))]
handler500 = "apps.pages.views.server_error"


@override_settings(ROOT_URLCONF=__name__)
def test_server_error_handler_is_used_for_unhandled_errors(client):
    # given
    client.raise_request_exception = False
    # when
    response = client.get("/failing/")
    # then
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
