"""N0: the Channels tutorial's chat with one ORM write per message, default settings otherwise.

Only what the tutorial sets is set: the default `RedisChannelLayer`, PostgreSQL (CONN_MAX_AGE
left at Django's default 0), DEBUG off.
"""

import os

import dj_database_url

SECRET_KEY = "n0-bench-only-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "chat"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "n0proj.urls"
ASGI_APPLICATION = "n0proj.asgi.application"
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
