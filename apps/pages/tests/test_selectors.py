import pytest

from apps.pages import selectors
from apps.pages.enums import TicketStatus

from .factories import HelpArticleFactory, SupportTicketFactory

pytestmark = pytest.mark.django_db


def test_help_article_list_without_search_lists_published_in_order():
    # given
    second = HelpArticleFactory(title="B", order=2)
    first = HelpArticleFactory(title="A", order=1)
    HelpArticleFactory(title="Draft", is_published=False)
    # when
    articles = list(selectors.help_article_list())
    # then
    assert articles == [first, second]


def test_help_article_list_search_on_postgresql_matches_word_forms_and_ranks_title_first():
    # given
    in_body = HelpArticleFactory(title="Cancelling a booking", body="Cancelled bookings are refunded to the wallet.")
    in_title = HelpArticleFactory(title="Refunds", body="How money comes back to you.")
    HelpArticleFactory(title="Video readings", body="Allow the camera when your browser asks.")
    HelpArticleFactory(title="Refund drafts", body="Unpublished refund notes.", is_published=False)
    # when: "refund" matches "Refunds" and "refunded" through English stemming
    articles = list(selectors.help_article_list(search="refund"))
    # then
    assert articles == [in_title, in_body]


def test_help_article_list_search_on_postgresql_understands_web_search_syntax():
    # given
    wallet = HelpArticleFactory(title="Wallet top-ups", body="Top up with a card through Stripe.")
    HelpArticleFactory(title="Wallet and gifts", body="Gifts are paid from your wallet.")
    # when
    articles = list(selectors.help_article_list(search="wallet -gifts"))
    # then
    assert articles == [wallet]


def test_help_article_list_search_on_postgresql_ignores_punctuation_only_query():
    # given
    HelpArticleFactory()
    # when / then: websearch syntax never raises on odd input
    assert list(selectors.help_article_list(search="!!! & | :*")) == []


def test_support_ticket_list_non_staff_viewer_gets_nothing(client_user, reader_user):
    # given
    SupportTicketFactory(requester=client_user)
    # when / then
    assert list(selectors.support_ticket_list(viewer=client_user)) == []
    assert list(selectors.support_ticket_list(viewer=reader_user)) == []


def test_support_ticket_list_status_filter_and_counts(admin_user):
    # given
    open_ticket = SupportTicketFactory()
    SupportTicketFactory(status=TicketStatus.CLOSED)
    SupportTicketFactory(status=TicketStatus.CLOSED)
    # when
    open_only = list(selectors.support_ticket_list(viewer=admin_user, status="open"))
    everything = selectors.support_ticket_list(viewer=admin_user, status="bogus")
    counts = selectors.support_ticket_status_counts(viewer=admin_user)
    # then
    assert open_only == [open_ticket]
    assert everything.count() == 3
    assert counts == {"open": 1, "answered": 0, "closed": 2}


def test_support_ticket_list_for_requester_includes_signed_out_tickets_from_own_address(client_user, other_client_user):
    # given
    mine = SupportTicketFactory(requester=client_user)
    from_my_address = SupportTicketFactory(email=client_user.email)
    SupportTicketFactory(requester=other_client_user, email=other_client_user.email)
    # when
    tickets = list(selectors.support_ticket_list_for_requester(user=client_user))
    # then
    assert tickets == [mine, from_my_address]
