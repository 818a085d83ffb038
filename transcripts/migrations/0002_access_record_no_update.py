"""The database itself refuses to change an audit row (deletes stay possible for test flushes)."""

from django.db import migrations

POSTGRES = [
    "CREATE OR REPLACE FUNCTION transcripts_accessrecord_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the access audit is append-only'; END; $$ LANGUAGE plpgsql;",
    "CREATE TRIGGER transcripts_accessrecord_append_only BEFORE UPDATE ON transcripts_accessrecord "
    "FOR EACH ROW EXECUTE FUNCTION transcripts_accessrecord_append_only();",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS transcripts_accessrecord_append_only ON transcripts_accessrecord;",
    "DROP FUNCTION IF EXISTS transcripts_accessrecord_append_only();",
]


def run(statements):
    def apply(apps, schema_editor):
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0001_initial")]

    operations = [
        migrations.RunPython(
            run(POSTGRES),
            run(POSTGRES_REVERSE),
        )
    ]
