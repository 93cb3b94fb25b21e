"""Reviews landing at the same moment for one reader: the stored rating aggregate counts every one of them."""

import threading
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.urls import reverse

from apps.accounts.tests.factories import UserFactory
from apps.readers.models import ReaderProfile
from apps.sessions.services import session_accept, session_end, session_finalize, session_request
from apps.sessions.tests.helpers import credit, make_reader

ROUNDS = 3
CLIENTS = 4


def _finished(client_user, reader):
    credit(client_user, Decimal("5.00"))
    session = session_request(client=client_user, reader=reader, modality="text")
    session_accept(reader=reader, session_id=session.pk)
    session_end(actor=client_user, session_id=session.pk)
    return session_finalize(session_id=session.pk)


@pytest.mark.django_db(transaction=True)
def test_review_create_concurrent_reviews_of_one_reader_aggregate_counts_all():
    # given one reader and several clients, each with a finalized paid reading, over a few rounds
    reader = make_reader()
    expected_total = 0
    for round_number in range(ROUNDS):
        ratings = [1 + (round_number + index) % 5 for index in range(CLIENTS)]
        sessions = [_finished(UserFactory(), reader) for _ in ratings]
        barrier = threading.Barrier(len(sessions))
        statuses: list[int] = []

        def post(session, rating, barrier=barrier, statuses=statuses):
            from django.test import Client

            try:
                web = Client()
                web.force_login(session.client)
                barrier.wait()
                response = web.post(reverse("livesessions:review", args=[session.pk]), {"rating": str(rating)})
                statuses.append(response.status_code)
            finally:
                connection.close()

        # when they all publish their review at the same moment
        threads = [threading.Thread(target=post, args=pair) for pair in zip(sessions, ratings, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        expected_total += sum(ratings)

        # then every review is counted in the reader's aggregate
        assert statuses == [302] * CLIENTS
        profile = ReaderProfile.objects.get(user=reader)
        count = CLIENTS * (round_number + 1)
        assert profile.rating_count == count
        average = (Decimal(expected_total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert profile.rating_average == average
