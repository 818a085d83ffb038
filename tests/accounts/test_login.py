"""Login, lockout after 5 failures for 30 minutes, and the 70-minute idle logoff."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_login_page_and_successful_login(provider):
    """The login page renders; a correct password logs in and lands on the provider's home."""
    client = Client()
    assert client.get("/login/").status_code == 200
    response = login(client, "paula", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").url == "/chat/"


def test_wrong_password_and_unknown_user_get_the_same_message(provider):
    """The message never reveals whether the username exists."""
    wrong = login(Client(), "paula", "nope-nope-nope").content.decode()
    unknown = login(Client(), "nobody-here", "nope-nope-nope").content.decode()
    assert "did not match" in wrong and "did not match" in unknown


def test_lockout_after_five_failures_for_thirty_minutes(provider):
    """Five failures lock the login (429, generic text) even for the right password; 30 min later it works."""
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        for _ in range(4):
            assert login(client, "paula", "wrong-password-1").status_code == 200
        locked = login(client, "paula", "wrong-password-1")
        assert locked.status_code == 429
        assert "Too many failed attempts" in locked.content.decode()
        assert login(client, "paula", PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=31))
        assert login(client, "paula", PASSWORD).status_code == 302


def test_still_locked_just_before_thirty_minutes(provider):
    """29 minutes after the last attempt the lock still holds (attempts while locked extend it)."""
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        for _ in range(5):
            login(client, "paula", "wrong-password-1")
        clock.shift(timedelta(minutes=29))
        assert login(client, "paula", PASSWORD).status_code == 429


def test_four_failures_then_success_resets_the_count(provider):
    """A successful login clears earlier failures."""
    client = Client()
    for _ in range(4):
        login(client, "paula", "wrong-password-1")
    assert login(client, "paula", PASSWORD).status_code == 302
    other = Client()
    for _ in range(4):
        assert login(other, "paula", "wrong-password-1").status_code == 200


def test_session_ends_after_seventy_idle_minutes_and_login_page_says_so(provider):
    """Activity keeps the session alive; 70 idle minutes end it, and the login page explains."""
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        login(client, "paula", PASSWORD)
        clock.shift(timedelta(minutes=60))
        assert client.get("/").status_code == 302 and client.get("/").url == "/chat/"  # still logged in
        clock.shift(timedelta(minutes=69))
        assert client.get("/").url == "/chat/"  # activity moved the expiry
        clock.shift(timedelta(minutes=71))
        response = client.get("/")
        assert response.url.startswith("/login/")
        page = client.get("/login/").content.decode()
        assert "session ended after 70 minutes without activity" in page


def test_activity_is_saved_at_most_once_a_minute_not_on_every_request(provider):
    """A burst of requests writes the session once; the next minute's request moves the expiry again."""
    with time_machine.travel(START, tick=False) as clock:
        client = Client()
        login(client, "paula", PASSWORD)
        client.get("/")
        key = client.cookies["sessionid"].value
        saved = Session.objects.get(session_key=key).expire_date
        clock.shift(timedelta(seconds=30))
        response = client.get("/")
        assert "sessionid" not in response.cookies  # not saved, cookie not re-sent
        assert Session.objects.get(session_key=key).expire_date == saved
        clock.shift(timedelta(seconds=31))
        response = client.get("/")
        assert "sessionid" in response.cookies
        assert Session.objects.get(session_key=key).expire_date == saved + timedelta(seconds=61)


def test_logout_ends_the_session(provider):
    """POST /logout/ logs out."""
    client = Client()
    login(client, "paula", PASSWORD)
    assert client.post("/logout/").status_code == 302
    assert client.get("/").url.startswith("/login/")
