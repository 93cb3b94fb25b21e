import pytest
from django.core import mail
from django.urls import reverse

from apps.core.navigation import MAIN_NAV
from apps.pages import services
from apps.pages.models import Policy, SupportTicket
from apps.pages.views import HELP_PAGE_SIZE

from .factories import HelpArticleFactory

pytestmark = pytest.mark.django_db

CONTACT = {
    "name": "Jordan Rivers",
    "email": "jordan@example.com",
    "subject": "Moving my booking",
    "message": "Can I move Friday's reading to Saturday, please?",
    "website": "",
}


@pytest.mark.parametrize(
    ("url_name", "path", "expected", "version"),
    [
        ("pages:terms", "/terms/", "Readers keep 70%", 1),
        ("pages:privacy", "/privacy/", "They are NOT end-to-end encrypted.", 2),
        ("pages:privacy", "/privacy/", "Each download link works for 24 hours", 2),
        ("pages:privacy", "/privacy/", "your account is deleted after 14 days", 2),
        ("pages:refunds", "/refunds/", "You cancel between 24 hours and 2 hours before the start: 50% refund.", 1),
    ],
)
def test_policy_page_renders_current_text_and_version(client, policies, url_name, path, expected, version):
    # when
    response = client.get(reverse(url_name))
    # then
    assert reverse(url_name) == path
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert f"Version {version}" in response.content.decode()


def test_policy_page_markup_in_body_is_shown_as_text(client, policies):
    # given
    Policy.objects.filter(slug="terms").update(body='## Heading\n\n<script>alert("x")</script>')
    # when
    html = client.get(reverse("pages:terms")).content.decode()
    # then
    assert "<h2>Heading</h2>" in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert '<script>alert("x")' not in html


def test_help_center_without_articles_shows_empty_state_with_contact_link(client):
    # when
    response = client.get(reverse("pages:help"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "No help articles yet — use the contact form" in html
    assert reverse("pages:contact") in html


def test_help_center_lists_only_published_articles(client):
    # given
    HelpArticleFactory(title="Published article")
    HelpArticleFactory(title="Draft article", is_published=False)
    # when
    html = client.get(reverse("pages:help")).content.decode()
    # then
    assert "Published article" in html
    assert "Draft article" not in html


def test_help_center_search_shows_matches_and_count(client):
    # given
    HelpArticleFactory(title="Refunds for bookings", body="Cancel 24 hours ahead for a full refund.")
    HelpArticleFactory(title="Video readings", body="Allow the camera.")
    # when
    html = client.get(reverse("pages:help"), {"q": "refund"}).content.decode()
    # then
    assert "Refunds for bookings" in html
    assert "Video readings" not in html
    assert "1 article found for “refund”" in html


def test_help_center_search_without_matches_offers_contact_form(client):
    # given
    HelpArticleFactory()
    # when
    html = client.get(reverse("pages:help"), {"q": "astrology"}).content.decode()
    # then
    assert "No articles match your search" in html


def test_help_center_paginates_articles(client):
    # given
    for n in range(HELP_PAGE_SIZE + 1):
        HelpArticleFactory(title=f"Article {n:02d}", order=n)
    # when
    first = client.get(reverse("pages:help")).content.decode()
    second = client.get(reverse("pages:help"), {"page": 2}).content.decode()
    # then
    assert "Article 00" in first
    assert f"Article {HELP_PAGE_SIZE:02d}" not in first
    assert f"Article {HELP_PAGE_SIZE:02d}" in second
    assert "Page 2 of 2" in second


def test_help_article_published_renders_body(client):
    # given
    article = HelpArticleFactory(body="## Top-ups\n\nPay through Stripe Checkout.\n\n- fast\n- safe")
    # when
    response = client.get(reverse("pages:help_article", args=[article.slug]))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>Top-ups</h2>" in html
    assert "<li>fast</li>" in html


def test_help_article_unpublished_answers_404(client):
    # given
    article = HelpArticleFactory(is_published=False)
    # when
    response = client.get(reverse("pages:help_article", args=[article.slug]))
    # then
    assert response.status_code == 404


def test_help_article_unknown_slug_answers_404(client):
    assert client.get("/help/no-such-article/").status_code == 404


def test_help_is_in_the_main_navigation():
    assert any(item.url_name == "pages:help" and item.visible_to == "all" for item in MAIN_NAV)


def test_contact_get_signed_in_user_prefills_name_and_email(client, client_user):
    # given
    client.force_login(client_user)
    # when
    html = client.get(reverse("pages:contact")).content.decode()
    # then
    assert f'value="{client_user.email}"' in html
    assert f'value="{client_user.display_name}"' in html
    assert '<legend class="form-label">About you</legend>' in html


def test_contact_post_valid_creates_ticket_redirects_and_emails_confirmation_on_commit(
    client, celery_eager, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("pages:contact"), CONTACT)
    # then
    assert response.status_code == 302
    assert response.url == reverse("pages:contact_sent")
    ticket = SupportTicket.objects.get()
    assert (ticket.email, ticket.subject, ticket.requester) == ("jordan@example.com", "Moving my booking", None)
    assert len(callbacks) == 1
    assert [message.to for message in mail.outbox] == [["jordan@example.com"]]


def test_contact_post_signed_in_user_links_ticket_to_account(client, client_user, django_capture_on_commit_callbacks):
    # given
    client.force_login(client_user)
    # when
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("pages:contact"), CONTACT)
    # then
    assert SupportTicket.objects.get().requester == client_user


def test_contact_post_honeypot_filled_refuses_and_creates_nothing(client):
    # when
    response = client.post(reverse("pages:contact"), {**CONTACT, "website": "http://spam.example"})
    # then
    assert response.status_code == 400
    assert "This submission looks automated" in response.content.decode()
    assert not SupportTicket.objects.exists()
    assert mail.outbox == []


def test_contact_post_too_long_message_shows_linked_error_and_creates_nothing(client):
    # when
    response = client.post(reverse("pages:contact"), {**CONTACT, "message": "x" * 5001})
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_message_error"' in html
    assert 'aria-describedby="id_message_error id_message_helptext"' in html
    assert 'aria-invalid="true"' in html
    assert not SupportTicket.objects.exists()


def test_contact_post_over_hourly_limit_shows_error_and_creates_nothing(client, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(services.CONTACT_RATE_LIMIT):
            assert client.post(reverse("pages:contact"), CONTACT).status_code == 302
    # when
    response = client.post(reverse("pages:contact"), CONTACT)
    # then
    assert response.status_code == 400
    assert "several messages in the last hour" in response.content.decode()
    assert SupportTicket.objects.count() == services.CONTACT_RATE_LIMIT


def test_contact_sent_page_renders(client):
    assert client.get(reverse("pages:contact_sent")).status_code == 200


def test_contact_post_without_fields_shows_required_errors_and_creates_nothing(client):
    # when
    response = client.post(reverse("pages:contact"), {})
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_email_error"' in html
    assert not SupportTicket.objects.exists()


def test_policy_and_article_urls_point_at_their_public_pages(policies):
    # given
    article = HelpArticleFactory(slug="topping-up")
    # when / then
    assert [policies[slug].get_absolute_url() for slug in ("terms", "privacy", "refunds")] == [
        "/terms/",
        "/privacy/",
        "/refunds/",
    ]
    assert article.get_absolute_url() == "/help/topping-up/"
