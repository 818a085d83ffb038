"""Once installed chats_post_message() from SQL written here; 0005 now installs chats/message_store.sql.

Kept as an empty step so that databases that applied it and new ones share one history.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("chats", "0003_redacted_original")]

    operations: list = []
