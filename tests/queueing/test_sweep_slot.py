"""One timer sweep per interval for the whole deployment, however many processes run the loop."""

import time

import pytest
from django.utils import timezone

from chats.outbox import Outbox
from queueing.timers import sweep_if_slot, take_sweep_slot
from tests.postgres.conftest import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def test_of_several_processes_trying_at_once_exactly_one_takes_the_slot():
    """Eight loops (separate connections, as separate processes) at the same moment: one sweeps."""
    results = at_once([lambda: take_sweep_slot(5.0) for _ in range(8)])
    assert results.count(True) == 1 and results.count(False) == 7, results


def test_the_slot_comes_back_after_an_interval_and_not_before():
    """The process that swept, or any other, gets the next interval's slot; a repeat within it does not."""
    assert take_sweep_slot(0.3)
    assert not take_sweep_slot(0.3)
    time.sleep(0.35)
    assert take_sweep_slot(0.3)


def test_a_loop_without_the_slot_does_not_sweep(provider, agent):
    """sweep_if_slot sweeps for the slot's holder only (the sweep itself is tested in test_idle and others)."""
    assert sweep_if_slot(now=timezone.now(), outbox=Outbox(), interval=5.0) is True
    assert sweep_if_slot(now=timezone.now(), outbox=Outbox(), interval=5.0) is False
