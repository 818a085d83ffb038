"""Install the message store's SQL from chats/message_store.sql (the write and activity rules, chats_post_message()).

The first version of chats_post_message() (0004) answered more columns; a function's result type
cannot be replaced in place, so it is dropped first.
"""

from pathlib import Path

from django.db import migrations

SQL_FILE = Path(__file__).resolve().parents[1] / "message_store.sql"

OLD_POST_MESSAGE = (
    "DROP FUNCTION IF EXISTS chats_post_message(uuid, uuid, bigint, text, text, text, text, text, timestamptz, text, text)"
)
DROP = [
    OLD_POST_MESSAGE,
    "DROP FUNCTION IF EXISTS chats_after_activity(chats_chat, text, timestamptz)",
    "DROP FUNCTION IF EXISTS chats_write_refusal(text, bigint, bigint, bigint, text)",
]


def install(apps, schema_editor):
    schema_editor.execute(OLD_POST_MESSAGE, params=None)
    schema_editor.execute(SQL_FILE.read_text(), params=None)  # no placeholders: %ROWTYPE is PL/pgSQL


def uninstall(apps, schema_editor):
    for statement in DROP:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("chats", "0004_post_message_function")]

    operations = [migrations.RunPython(install, uninstall)]
