"""Settings for the test suite: the project's own settings with a dev-safe environment."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("CHAT_HOURS", "Mon-Sun 00:00-24:00")  # rules about hours pass their own schedule
os.environ.setdefault("CHAT_TIMERS", "0")  # tests fire timers with an injected clock

from chatserver.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests only
