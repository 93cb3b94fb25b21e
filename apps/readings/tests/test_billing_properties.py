"""Property test of billing: random heartbeats, disconnects, reconnects, ticks, top-ups and ends on a
controllable clock, with the billing rules checked after every step (SPEC §4)."""

import itertools
import math
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from apps.accounts.tests.factories import UserFactory
from apps.readings.enums import SessionState
from apps.readings.models import ReadingSession
from apps.readings.services import (
    session_accept,
    session_bill_tick,
    session_disconnect,
    session_end,
    session_finalize,
    session_heartbeat,
    session_request,
)
from apps.readings.services.transitions import confirmed_until, seconds_between
from apps.readings.tests.helpers import credit, hold_balance, ledger_minutes, make_reader
from apps.wallet.models import Account

S = SessionState
RATE = Decimal("1.50")
TICK_STEP = 5  # seconds between beat ticks on the simulated clock


class ReadingMachine(RuleBasedStateMachine):
    """One reading per example. Online parties heartbeat on every 5 s step; the tick runs on every step."""

    def __init__(self) -> None:
        super().__init__()
        self.t = timezone.now()
        self.client = UserFactory()
        self.reader = make_reader(rate=RATE)
        self.credited = Decimal("0.00")
        self.online = {"client": True, "reader": True}
        self.ticked_at = None
        self.session = None

    @rule(minutes_of_funds=st.integers(min_value=1, max_value=3))
    @precondition(lambda self: self.session is None)
    def start(self, minutes_of_funds):
        self._credit(RATE * minutes_of_funds)
        session = session_request(client=self.client, reader=self.reader, modality="text", now=self.t)
        self.session = session_accept(reader=self.reader, session_id=session.pk, now=self.t)
        assert self.session.state == S.ACTIVE

    # --- the clock ---------------------------------------------------------------------------------

    @rule(steps=st.integers(min_value=1, max_value=30))
    @precondition(lambda self: self._live())
    def time_passes(self, steps):
        for _ in range(steps):
            self.t += timedelta(seconds=TICK_STEP)
            for side, user in (("client", self.client), ("reader", self.reader)):
                if self.online[side]:
                    session_heartbeat(user=user, session_id=self.session.pk, now=self.t)
            session_bill_tick(now=self.t)
            self.ticked_at = self.t

    @rule()
    @precondition(lambda self: self.session is not None)
    def tick(self):
        session_bill_tick(now=self.t)
        self.ticked_at = self.t

    @rule(seconds=st.integers(min_value=1, max_value=9))
    @precondition(lambda self: self._live())
    def a_few_seconds_without_tick(self, seconds):
        self.t += timedelta(seconds=seconds)

    # --- presence ----------------------------------------------------------------------------------

    @rule(
        side=st.sampled_from(["client", "reader"]), announce=st.booleans(), roll=st.integers(min_value=0, max_value=1)
    )
    @precondition(lambda self: self._live())
    def side_drops(self, side, announce, roll):
        if roll:
            return
        self.online[side] = False
        if announce:  # the room module reports the disconnect; otherwise 30 s of silence tell the tick
            session_disconnect(user=self._user(side), session_id=self.session.pk, now=self.t)

    @rule(side=st.sampled_from(["client", "reader"]))
    @precondition(lambda self: self._live())
    def side_returns(self, side):
        self.online[side] = True
        session_heartbeat(user=self._user(side), session_id=self.session.pk, now=self.t)
        # A heartbeat after this instant's tick confirms time that only the next tick can bill (or pause for):
        # the "billed up to what is confirmed" rule is checked again after that tick.
        self.ticked_at = None

    # --- money and ending --------------------------------------------------------------------------

    @rule(minutes=st.integers(min_value=1, max_value=3))
    @precondition(lambda self: self.session is not None)
    def top_up(self, minutes):
        self._credit(RATE * minutes)

    @rule(side=st.sampled_from(["client", "reader"]), roll=st.integers(min_value=0, max_value=5))
    @precondition(lambda self: self._live())
    def end(self, side, roll):
        if roll:  # ending is one outcome in six, so that readings live long enough to pause and reconnect
            return
        session_end(actor=self._user(side), session_id=self.session.pk, reason="", now=self.t)

    @rule()
    @precondition(lambda self: self._state() == S.ENDED)
    def finalize(self):
        session_finalize(session_id=self.session.pk, now=self.t)

    # --- invariants --------------------------------------------------------------------------------

    @invariant()
    def billing_rules_hold(self):
        if self.session is None:
            return
        session = ReadingSession.objects.get(pk=self.session.pk)
        wallet = Account.objects.get(code=f"wallet:{self.client.pk}")
        # The wallet never goes below zero, and everything it lost is what the reading charged.
        assert wallet.balance >= 0
        assert wallet.balance == self.credited - session.charged_amount
        # Each minute charged exactly once, under keys 1..n, at the snapshot rate.
        keys = ledger_minutes(session)
        assert keys == [f"session:{session.pk}:minute:{n}" for n in range(1, session.minutes_billed + 1)]
        assert session.charged_amount == RATE * session.minutes_billed
        # Never an active second that was not paid for.
        assert session.active_seconds <= session.minutes_billed * 60
        if session.state == S.ACTIVE:
            confirmed = session.active_seconds + seconds_between(
                session.active_since_at, confirmed_until(session, self.t)
            )
            assert session.minutes_billed <= max(1, math.ceil(confirmed / 60))
            if self.ticked_at == self.t:
                assert session.minutes_billed == max(1, math.ceil(confirmed / 60))
        else:
            assert session.minutes_billed == max(1, math.ceil(session.active_seconds / 60))
        # No billing while paused or reconnecting: leaving those states, the minutes are what they were.
        events = list(session.events.order_by("at", "pk"))
        for before, after in itertools.pairwise(events):
            if before.to_state in (S.PAUSED, S.RECONNECTING):
                assert after.minutes_billed == before.minutes_billed, (before, after)
        if session.state in (S.PAUSED, S.RECONNECTING):
            assert session.minutes_billed == events[-1].minutes_billed
        # Settlement: hold empty, shares add up to what was charged.
        if session.state == S.FINALIZED:
            assert hold_balance(session) == 0
            assert session.reader_share_amount + session.platform_share_amount == session.charged_amount

    def teardown(self):
        # Leave nothing live for the next example (the tick sees every reading in the database).
        if self.session is not None:
            if self._live():
                session_end(actor=self.client, session_id=self.session.pk, reason="", now=self.t)
            if self._state() == S.ENDED:
                session_finalize(session_id=self.session.pk, now=self.t)
            self.billing_rules_hold()

    # --- helpers -----------------------------------------------------------------------------------

    def _credit(self, amount):
        credit(self.client, amount)
        self.credited += amount

    def _user(self, side):
        return self.client if side == "client" else self.reader

    def _state(self):
        return (
            None
            if self.session is None
            else ReadingSession.objects.values_list("state", flat=True).get(pk=self.session.pk)
        )

    def _live(self):
        return self._state() in (S.ACTIVE, S.PAUSED, S.RECONNECTING)


@pytest.mark.slow
@pytest.mark.django_db
def test_session_billing_random_walk_keeps_every_rule():
    # given / when: random readings driven through the services on a controllable clock
    run_state_machine_as_test(
        ReadingMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # then: the whole ledger, with the readings' own checks, is clean
    call_command("ledger_check")
