"""PostgreSQL only: chats_post_message(), a message stored in one statement (chats.pg_store).

Everything that does not depend on the locked chat (masking, the text digest, the canonical form
around the seq) is computed in Python and passed in; the function locks the chat, applies the
write rule, answers a resend with its stored seq, appends the entry with the next seq and the
chained hash, and applies the chatter-activity updates. It mirrors, and must keep mirroring,
chats.messaging.check_may_write / activity_updates and transcripts.integrity.chain_hash;
tests/postgres/test_message_store.py compares the two paths case by case.

Inside a VOLATILE plpgsql function each statement takes a fresh snapshot, so the duplicate check
after the lock sees a resend committed while this call waited for it (as the portable path does).
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION chats_post_message(
    p_chat uuid, p_client uuid, p_user bigint, p_role text, p_sender_name text,
    p_text text, p_text_sha256 text, p_original text, p_at timestamptz, p_hash_head text, p_hash_tail text
) RETURNS TABLE (
    outcome text, seq integer, chat_pk bigint, status text, provider_id bigint, agent_id bigint,
    idle_steps_done integer
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    c chats_chat%ROWTYPE;
    v_seq integer;
    v_hash text;
    v_entry bigint;
    v_active boolean;
BEGIN
    SELECT * INTO c FROM chats_chat WHERE public_id = p_chat FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::integer, NULL::bigint, NULL::text, NULL::bigint,
            NULL::bigint, NULL::integer;
        RETURN;
    END IF;
    outcome := CASE
        WHEN c.status = 'ended' THEN 'chat_ended'
        WHEN p_role = 'provider' AND c.provider_id <> p_user THEN 'forbidden'
        WHEN p_role <> 'provider' AND (c.agent_id IS DISTINCT FROM p_user OR c.status <> 'active')
            THEN 'not_your_chat'
    END;
    IF outcome IS NULL THEN
        SELECT e.seq INTO v_seq FROM chats_entry e WHERE e.chat_id = c.id AND e.client_id = p_client;
        outcome := CASE WHEN FOUND THEN 'duplicate' ELSE 'stored' END;
    END IF;
    IF outcome = 'stored' THEN
        v_seq := c.last_seq + 1;
        v_hash := encode(sha256(convert_to(
            COALESCE(NULLIF(c.head_hash, ''), repeat('0', 64)) || p_hash_head || v_seq::text || p_hash_tail,
            'UTF8')), 'hex');
        INSERT INTO chats_entry (chat_id, seq, kind, event, sender_id, sender_role, sender_name, text,
                                 text_sha256, client_id, at, hash)
        VALUES (c.id, v_seq, 'message', '', p_user, p_role, p_sender_name, p_text,
                p_text_sha256, p_client, p_at, v_hash)
        RETURNING id INTO v_entry;
        IF p_original IS NOT NULL THEN
            INSERT INTO chats_redactedoriginal (entry_id, text) VALUES (v_entry, p_original);
        END IF;
        v_active := c.status = 'active';
        UPDATE chats_chat SET
            last_seq = v_seq,
            head_hash = v_hash,
            idle_since = CASE WHEN v_active AND p_role = 'provider' THEN p_at ELSE chats_chat.idle_since END,
            idle_steps_done = CASE WHEN v_active AND p_role = 'provider' THEN 0
                                   ELSE chats_chat.idle_steps_done END,
            answered_at = CASE WHEN v_active AND p_role <> 'provider' AND c.answered_at IS NULL THEN p_at
                               ELSE chats_chat.answered_at END
        WHERE id = c.id;
    END IF;
    RETURN QUERY SELECT outcome, v_seq, c.id, c.status::text, c.provider_id, c.agent_id,
        c.idle_steps_done::integer;
END
$$;
"""

DROP = "DROP FUNCTION IF EXISTS chats_post_message(uuid, uuid, bigint, text, text, text, text, text, timestamptz, text, text)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # no placeholders: %ROWTYPE is PL/pgSQL


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("chats", "0003_redacted_original")]

    operations = [migrations.RunPython(create, drop)]
