"""Settings for the test suite: the project's own settings with a dev-safe environment.

The defaults below are applied only while the project's settings are read, then the environment
is restored, so server processes that tests start do not inherit them (CHAT_TIMERS above all).
"""

import os

_environment = dict(os.environ)
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CHAT_HOURS", "Mon-Sun 00:00-24:00")  # rules about hours pass their own schedule
os.environ.setdefault("CHAT_TIMERS", "0")  # tests fire timers with an injected clock
# Tests open many chats per provider in a second; the request limits have their own tests.
os.environ.setdefault("CHAT_REQUESTS_PER_USER", "100000")
os.environ.setdefault("CHAT_REQUESTS_PER_AGENCY", "100000")
os.environ.setdefault("CHAT_MAX_OPEN_PER_PROVIDER", "100000")
# No wrap-up unless a test asks for it: most tests close a chat and expect the slot free at once.
os.environ.setdefault("CHAT_WRAPUP_SECONDS", "0")

from chatserver.settings import *  # noqa: E402,F403

os.environ.clear()
os.environ.update(_environment)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only

# One test database per run (test_clickchat_<pid>), so that several runs on one server never share
# one; scripts/test.sh drops those of runs whose process is gone.
DATABASES["default"]["TEST"] = {"NAME": f"test_clickchat_{os.getpid()}"}  # noqa: F405
