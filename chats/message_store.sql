-- The message store's SQL (chats/message_store.py calls it; migration chats 0005 installs it).
-- Changing it: add a migration that runs this file again (every statement is CREATE OR REPLACE;
-- a changed result type needs a DROP first, as 0005 does for 0004's function).
--
-- chats_write_refusal(): who may write to a chat now, the one statement of that rule. NULL means
-- allowed; otherwise the refusal's code, which chats.messaging words for the client.
-- chats_after_activity(): a chat row as chatter activity leaves it, the one statement of that
-- rule: a provider's word restarts an active chat's idle ladder, an agent's first word answers the
-- offer. Messages apply it here; a provider's typing applies it too (chats.messaging.relay_typing).
-- chats_post_message(): a message stored in one statement. Everything that does not depend on
-- the locked chat (masking, the text digest, the canonical form around the seq) comes from
-- Python; the function locks the chat, applies the write rule, answers a resend with its stored
-- seq, appends the entry with the next seq and the chained hash (chats.integrity.chain_hash:
-- sha256 of previous hash || head || seq || tail), and applies chats_after_activity().
--
-- Inside a VOLATILE plpgsql function each statement takes a fresh snapshot, so the duplicate
-- check after the lock sees a resend committed while this call waited for the lock.

CREATE OR REPLACE FUNCTION chats_write_refusal(
    p_status text, p_provider bigint, p_agent bigint, p_user bigint, p_role text
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN p_status = 'ended' THEN 'chat_ended'
        WHEN p_role = 'provider' AND p_provider IS DISTINCT FROM p_user THEN 'forbidden'
        WHEN p_role <> 'provider' AND (p_agent IS DISTINCT FROM p_user OR p_status <> 'active') THEN 'not_your_chat'
    END
$$;

CREATE OR REPLACE FUNCTION chats_after_activity(c chats_chat, p_role text, p_at timestamptz)
RETURNS chats_chat LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF c.status = 'active' THEN
        IF p_role = 'provider' THEN
            c.idle_since := p_at;
            c.idle_steps_done := 0;
        ELSIF c.answered_at IS NULL THEN
            c.answered_at := p_at;
        END IF;
    END IF;
    RETURN c;
END
$$;

CREATE OR REPLACE FUNCTION chats_post_message(
    p_chat uuid, p_client uuid, p_user bigint, p_role text, p_sender_name text,
    p_text text, p_text_sha256 text, p_original text, p_at timestamptz, p_hash_head text, p_hash_tail text
) RETURNS TABLE (outcome text, seq integer, chat_pk bigint, idle_steps_done integer) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    c chats_chat%ROWTYPE;
    v_seq integer;
    v_hash text;
    v_entry bigint;
    a chats_chat%ROWTYPE;
BEGIN
    SELECT * INTO c FROM chats_chat WHERE public_id = p_chat FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::integer, NULL::bigint, NULL::integer;
        RETURN;
    END IF;
    outcome := chats_write_refusal(c.status, c.provider_id, c.agent_id, p_user, p_role);
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
        a := chats_after_activity(c, p_role, p_at);
        UPDATE chats_chat SET last_seq = v_seq, head_hash = v_hash,
            idle_since = a.idle_since, idle_steps_done = a.idle_steps_done, answered_at = a.answered_at
        WHERE id = c.id;
    END IF;
    RETURN QUERY SELECT outcome, v_seq, c.id, c.idle_steps_done::integer;
END
$$;
