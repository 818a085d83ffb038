"""A provider socket's wait estimate reads the agents' capacity and handle time, or shares a read
that began after it subscribed (queueing.board.SharedWaitInputs)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from queueing.board import SharedWaitInputs

pytestmark = pytest.mark.django_db

READ = 2  # queries of one read: the available agents' load, the recent handle times


def test_a_socket_that_subscribed_before_a_read_shares_it(django_assert_num_queries):
    shared = SharedWaitInputs()
    subscribed = timezone.now()
    with django_assert_num_queries(READ):
        first = shared.for_socket_subscribed_at(subscribed)
    with django_assert_num_queries(0):  # queued behind the first socket's read: takes it
        assert shared.for_socket_subscribed_at(subscribed) is first
    assert first.read_at > subscribed


def test_a_socket_that_subscribed_after_the_read_reads_afresh(django_assert_num_queries):
    shared = SharedWaitInputs()
    first = shared.for_socket_subscribed_at(timezone.now())
    later = timezone.now()  # a change committed before this socket subscribed may be missing from it
    with django_assert_num_queries(READ):
        again = shared.for_socket_subscribed_at(later)
    assert again.read_at > later >= first.read_at


def test_a_frozen_clock_always_reads(django_assert_num_queries):
    shared = SharedWaitInputs()
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        shared.for_socket_subscribed_at(now)
        with django_assert_num_queries(READ):  # read at the same instant: not provably after
            shared.for_socket_subscribed_at(now)


def test_a_read_stamped_long_after_the_subscription_is_a_clock_jump_and_not_shared(django_assert_num_queries):
    shared = SharedWaitInputs()
    shared.for_socket_subscribed_at(timezone.now())
    with django_assert_num_queries(READ):
        shared.for_socket_subscribed_at(timezone.now() - SharedWaitInputs.REUSE_WITHIN - timedelta(seconds=1))
